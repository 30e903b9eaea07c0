"""fusedopt.torch.LBFGS against torch.optim.LBFGS on the same model and closure."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")


def fit(
    optimizer: Any, steps: int, seed: int, dtype: Any = torch.float64, **kwargs: Any
) -> tuple[list[float], list[Any]]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(10, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1)
    ).to(dtype)
    X = torch.randn(200, 10, dtype=dtype)
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
@pytest.mark.parametrize("steps, max_iter", [(1, 5), (3, 5), (10, 20), (4, 8)])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_follows_torch_and_reaches_a_loss_as_low(
    line_search_fn: Any, steps: int, max_iter: int, seed: int
) -> None:
    """torch's algorithm on fusedopt's machinery: the same losses step by step, so the
    final loss is as low as torch's. Up to rounding: float64 model, losses from ~0.5
    down to ~1e-7, compared to 1e-10 absolute (rounding of the two loops differs in
    the last bits, which matters only once the loss is at the level of those bits)."""
    options = dict(line_search_fn=line_search_fn, max_iter=max_iter)
    ours, params = fit(ft.LBFGS, steps, seed, **options)
    theirs, torch_params = fit(torch.optim.LBFGS, steps, seed, **options)
    assert ours == pytest.approx(theirs, rel=1e-7, abs=1e-10)
    assert ours[-1] <= theirs[-1] + 1e-10
    if theirs[-1] > 1e-4:  # near a minimum, flat directions let the parameters drift
        for p, q in zip(params, torch_params):
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_model_matches_torch(line_search_fn: Any) -> None:
    """torch computes the L-BFGS vectors in float32 here and fusedopt in float64: the
    trajectories agree while rounding has not been amplified (the first steps), then
    drift apart by float32 rounding (either may end lower)."""
    ours, _ = fit(ft.LBFGS, 3, 0, line_search_fn=line_search_fn, dtype=torch.float32)
    theirs, _ = fit(torch.optim.LBFGS, 3, 0, line_search_fn=line_search_fn, dtype=torch.float32)
    assert ours == pytest.approx(theirs, rel=1e-2)


def test_lr_changed_between_steps_is_used_like_torch() -> None:
    """A scheduler changes lr between steps; the history carries over."""

    def run(cls: Any) -> list[float]:
        torch.manual_seed(0)
        w = torch.nn.Parameter(torch.tensor([1.5, -0.5], dtype=torch.float64))
        opt = cls([w], lr=1.0, max_iter=3)
        out = []
        for lr in (1.0, 0.5, 0.25):
            opt.param_groups[0]["lr"] = lr

            def closure() -> Any:
                opt.zero_grad()
                loss = (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2
                loss.backward()
                return loss

            out.append(float(opt.step(closure).detach()))
        return out + w.detach().tolist()

    assert run(ft.LBFGS) == pytest.approx(run(torch.optim.LBFGS), rel=1e-9)


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
    for name in ("max_iter", "max_eval", "history_size"):
        with pytest.raises(ValueError, match=name):
            ft.LBFGS([p], **{name: 0})
    with pytest.raises(ValueError, match="tolerance_grad"):
        ft.LBFGS([p], tolerance_grad=-1.0)


@pytest.mark.parametrize("history_size", [1, 2])
@pytest.mark.parametrize("lr", [0.3, 1.0])
def test_rejected_pairs_leave_a_full_history_alone(history_size: int, lr: float) -> None:
    """On a non-convex function some curvature pairs have y's <= 1e-10 and are not
    kept; with the history full they must not overwrite the oldest kept pair
    (torch's lists are untouched). Fixed steps: every evaluation is compared."""

    def f(x: Any) -> Any:
        return (torch.sin(2 * x) + 0.05 * x**2).sum() + 0.02 * (x[:-1] * x[1:]).sum()

    def run(cls: Any, x0: Any) -> list[float]:
        x = torch.nn.Parameter(x0.clone())
        opt = cls([x], lr=lr, max_iter=30, history_size=history_size,
                  tolerance_change=0.0, tolerance_grad=0.0)  # fmt: skip
        losses: list[float] = []

        def closure() -> Any:
            opt.zero_grad()
            loss = f(x)
            loss.backward()
            losses.append(loss.item())
            return loss

        opt.step(closure)
        return losses

    # The first 10 evaluations: later, on this non-convex function with fixed steps,
    # rounding differences of the two loops (torch orders them differently) grow.
    generator = torch.Generator().manual_seed(history_size)
    for _ in range(20):
        x0 = 2 * torch.randn(5, dtype=torch.float64, generator=generator)
        ours, theirs = run(ft.LBFGS, x0)[:10], run(torch.optim.LBFGS, x0)[:10]
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-9)
