"""fusedopt.bench.second_order: the rows behind the Newton lines of `fusedopt bench lbfgs`."""

from __future__ import annotations

import numpy as np
import pytest

import fusedopt as fo
from fusedopt.bench import problems
from fusedopt.bench import second_order as so

pytest.importorskip("scipy")

COLUMNS = ["problem", "n", "solver", "f", "nit", "nfev", "njev", "nhev", "seconds", "success"]


def test_rows_have_the_documented_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(so, "SETTLE_SECONDS", 0.0)
    tiny = [so.extended_rosenbrock_problem(10), so.logistic_problem(200, 5)]
    monkeypatch.setattr(so, "problems", lambda quick: tiny)
    rows = so.compare_second_order(quick=True)
    assert all(list(row) == COLUMNS for row in rows)
    assert {row["solver"] for row in rows} == {
        "fusedopt newton", "fusedopt newton-cg (hessp)", "fusedopt newton-cg (FD)",
        "fusedopt L-BFGS", "scipy L-BFGS-B", "scipy Newton-CG (hessp)", "scipy trust-exact",
    }  # fmt: skip
    assert all(row["success"] and row["seconds"] > 0 for row in rows)
    assert all(row["f"] < 1e-8 for row in rows if row["problem"] == "ext. Rosenbrock")
    newton = [r for r in rows if r["solver"] == "fusedopt newton"]
    assert all(r["nhev"] == r["nit"] + 1 for r in newton)


@pytest.mark.parametrize("problem", [so.extended_rosenbrock_problem(8), so.logistic_problem(50, 4)])
def test_hessians_pass_hesscheck(problem: problems.Problem) -> None:
    x = np.random.default_rng(0).standard_normal(problem.n)

    def dense(v: np.ndarray) -> np.ndarray:
        h = problem.hess(v)
        return h.toarray() if hasattr(h, "toarray") else h

    assert fo.hesscheck(lambda v: problem.fun(v)[1], dense, x)
    p = np.random.default_rng(1).standard_normal(problem.n)
    np.testing.assert_allclose(problem.hessp(x, p), dense(x) @ p, rtol=1e-12, atol=1e-14)


def test_logistic_is_the_lbfgs_benchmark_problem() -> None:
    """Same data as fusedopt.bench.problems.make_logistic (seed and λ of `bench lbfgs`)."""
    ours = so.logistic_problem(300, 6)
    theirs = problems.make_logistic(300, 6, so.LOGISTIC_LAMBDA, seed=so.LOGISTIC_SEED)
    w = np.random.default_rng(2).standard_normal(6)
    assert ours.fun(w)[0] == theirs(w)[0]
    np.testing.assert_array_equal(ours.fun(w)[1], theirs(w)[1])
