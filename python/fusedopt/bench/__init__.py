"""``fusedopt bench``: fusedopt against its peers and the machine's measured limit.

Run it as ``fusedopt bench`` (or ``python -m fusedopt bench``); ``--help`` lists the
options. The modules here are the command's parts: the workloads (:mod:`.workloads`), the
peers (:mod:`.peers`), interleaved timing (:mod:`.timing`), the optimizer-step run
(:mod:`.step`), the output (:mod:`.report`) and the solver comparison behind
``fusedopt bench lbfgs`` (:mod:`.solvers`).
"""
