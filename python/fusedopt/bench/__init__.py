"""``fusedopt bench`` and the scripts in bench/: fusedopt against its peers and the
machine's measured limit.

Run it as ``fusedopt bench`` (or ``python -m fusedopt bench``); ``--help`` lists the
options. The modules here are the one implementation every benchmark measures with:
the workloads (:mod:`.workloads`) and solver problems (:mod:`.problems`), the peers,
roofline and bytes per parameter (:mod:`.peers`), interleaved timing of steps and of
solves (:mod:`.timing`), the machine's other load (:mod:`.load`), the optimizer-step
measurement (:mod:`.step`), the solver comparisons (:mod:`.second_order`,
:mod:`.solvers`), what ran where (:mod:`.machine`) and the output of ``fusedopt bench``
(:mod:`.report`). The methodology is in bench/README.md, "Methodology".
"""
