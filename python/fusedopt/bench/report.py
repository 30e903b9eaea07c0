"""Output of ``fusedopt bench``: the terminal table, the JSON file and the plots."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .load import NOISY

SCHEMA = "fusedopt-bench/1"
# One colour per peer in every plot; fusedopt's is used by no other.
COLORS = {
    "fusedopt": "#d62728", "reference": "#1f77b4", "numpy-naive": "#ff7f0e",
    "torch-forloop": "#2ca02c", "torch-foreach": "#9467bd", "torch-fused": "#8c564b",
    "deepspeed": "#e377c2",
}  # fmt: skip


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.2f} {unit}"
    return f"{seconds / 1e-9:7.0f} ns"


def step_table(result: dict[str, Any]) -> str:
    """One block per optimizer; per workload the roofline, then each peer."""
    lines: list[str] = []
    for name in dict.fromkeys(row["optimizer"] for row in result["rows"]):
        rows = [r for r in result["rows"] if r["optimizer"] == name]
        bpp = rows[0]["bytes_per_param"]
        lines += ["", f"{name}: {bpp} B moved per parameter (median of interleaved rounds)"]
        header = f"{'workload':<12} {'peer':<14} {'time':>10} {'Gparam/s':>9} {'GB/s':>7}"
        lines.append(header + f" {'% roof':>7} {'fusedopt x':>10} {'max |diff|':>10}")
        for row in rows:
            lines += _row_lines(row)
    return "\n".join(lines)


def _row_lines(row: dict[str, Any]) -> list[str]:
    label = row["workload"]
    if "skipped" in row:
        return [f"{label:<12} skipped: {row['skipped']}"]
    roof = row["roofline"]
    noisy = row.get("background_cpu") or 0.0
    note = f"   (other processes used {100 * noisy:.0f}% of the CPUs)" if noisy > NOISY else ""
    out = [
        f"{label:<12} {'roofline':<14} {fmt_time(roof['seconds']):>10} "
        f"{row['numel'] / roof['seconds'] / 1e9:9.3f} {roof['gbps']:7.1f} {100.0:6.0f}%{note}"
    ]
    for peer, m in sorted(row["peers"].items(), key=lambda kv: kv[1]["seconds"]):
        speedup = "" if peer == "fusedopt" else f"{m['fusedopt_speedup']:9.2f}x"
        out.append(
            f"{'':<12} {peer:<14} {fmt_time(m['seconds']):>10} {m['gparams_per_s']:9.3f} "
            f"{m['gbps']:7.1f} {m['roofline_pct']:6.0f}% {speedup:>10} {m['max_abs_diff']:10.1e}"
        )
    return out


def skipped_lines(skipped: Sequence[dict[str, str]]) -> str:
    if not skipped:
        return "Skipped peers: none"
    lines = ["Skipped peers:"]
    for s in skipped:
        where = s["optimizer"] + (f" {s['workload']}" if "workload" in s else "")
        lines.append(f"  {s['peer']:<14} {where:<22} {s['reason']}")
    return "\n".join(lines)


def write_json(result: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")


def plot_step(result: dict[str, Any], folder: Path) -> list[Path]:
    """throughput.png (Gparam/s vs tensor size per optimizer, roofline dashed) and
    models.png (the model-shaped lists: GB/s per peer against the roofline)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    rows = [r for r in result["rows"] if "skipped" not in r]
    names = list(dict.fromkeys(r["optimizer"] for r in rows))
    sized = [r for r in rows if r["kind"] == "size"]
    if sized:
        fig, axes = _grid(plt, len(names))
        for ax, name in zip(axes, names):
            _throughput(ax, [r for r in sized if r["optimizer"] == name], name)
        fig.tight_layout()
        written.append(_save(fig, folder / "throughput.png", plt))
    models = [r for r in rows if r["kind"] == "model"]
    if models:
        fig, axes = _grid(plt, len(names))
        for ax, name in zip(axes, names):
            _bars(ax, [r for r in models if r["optimizer"] == name], name)
        fig.tight_layout()
        written.append(_save(fig, folder / "models.png", plt))
    return written


def _grid(plt: Any, count: int) -> tuple[Any, list[Any]]:
    cols = min(count, 2)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.2 * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _throughput(ax: Any, rows: list[dict[str, Any]], name: str) -> None:
    rows = sorted(rows, key=lambda r: r["numel"])
    sizes = [r["numel"] for r in rows]
    roof = [r["numel"] / r["roofline"]["seconds"] / 1e9 for r in rows]
    ax.plot(sizes, roof, "k--", lw=2, label="roofline (measured)")
    for peer in dict.fromkeys(p for r in rows for p in r["peers"]):
        pts = [(r["numel"], r["peers"][peer]["gparams_per_s"]) for r in rows if peer in r["peers"]]
        ax.plot(*zip(*pts), "o-", ms=3, label=peer, color=COLORS.get(peer, "grey"),
                lw=2.5 if peer == "fusedopt" else 1.2)  # fmt: skip
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="parameters (one tensor)",
        ylabel="Gparam/s",
        title=f"{name}: step throughput",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)


def _bars(ax: Any, rows: list[dict[str, Any]], name: str) -> None:
    peers = list(dict.fromkeys(p for r in rows for p in r["peers"]))
    width = 0.8 / max(len(peers), 1)
    for j, peer in enumerate(peers):
        xs = [i + j * width for i, r in enumerate(rows) if peer in r["peers"]]
        ys = [r["peers"][peer]["gbps"] for r in rows if peer in r["peers"]]
        ax.bar(xs, ys, width, label=peer, color=COLORS.get(peer, "grey"))
    for i, r in enumerate(rows):
        ax.hlines(
            r["roofline"]["gbps"],
            i - width / 2,
            i + 0.8 - width / 2,
            colors="k",
            linestyles="--",
            label="roofline (measured)" if i == 0 else None,
        )
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))])
    ax.set_xticklabels([r["workload"] for r in rows])
    ax.set(ylabel="GB/s (higher is better)", title=f"{name}: model-shaped parameter lists")
    ax.set_yscale("log")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
