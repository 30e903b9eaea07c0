"""fusedopt.torch.LBFGS against torch.optim.LBFGS on the same model and closure."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")


def fit(optimizer: Any, steps: int, seed: int, **kwargs: Any) -> tuple[list[float], list[Any]]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(10, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1)
    ).double()
    X = torch.randn(200, 10, dtype=torch.float64)
    y = torch.sin(X.sum(1, keepdim=True))
    opt = optimizer(model.parameters(), **kwargs)

    def closure() -> Any:
        opt.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        return loss

    returned = []
    for _ in range(steps):
        returned.append(opt.step(closure))
    with torch.no_grad():
        final = float(((model(X) - y) ** 2).mean())
    return [float(r.detach()) for r in returned] + [final], list(model.parameters())


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reaches_a_loss_at_least_as_low_as_torch(line_search_fn: Any, seed: int) -> None:
    ours, _ = fit(ft.LBFGS, 10, seed, line_search_fn=line_search_fn)
    theirs, _ = fit(torch.optim.LBFGS, 10, seed, line_search_fn=line_search_fn)
    assert ours[-1] <= theirs[-1] * (1 + 1e-9), (ours[-1], theirs[-1])


def test_step_returns_the_first_loss_and_history_carries_over() -> None:
    losses, _ = fit(ft.LBFGS, 4, 0, max_iter=8)
    assert losses[0] > losses[1] > losses[2] > losses[3]


def test_bad_arguments() -> None:
    p = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="line_search_fn"):
        ft.LBFGS([p], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="lr"):
        ft.LBFGS([p], lr=0.0)
    with pytest.raises(ValueError, match="parameter groups"):
        ft.LBFGS([{"params": [p]}, {"params": [torch.zeros(2, requires_grad=True)]}])
    with pytest.raises(TypeError, match="dtype"):
        ft.LBFGS([torch.zeros(3, dtype=torch.int32)])
    with pytest.raises(ValueError, match="closure"):
        ft.LBFGS([p]).step(None)  # type: ignore[arg-type]
