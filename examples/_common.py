"""What every example shares: its command line, its table, its figure.

Each example is ``python examples/NN_name.py [--quick] [--output DIR]`` and exposes
``main(argv) -> dict`` with the numbers it measured, so that tests can check its claims.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "examples"


def parse_args(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    """``--quick`` (small sizes, for tests) and ``--output DIR`` (where the PNG goes)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and few steps (seconds; for tests)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"folder for the figure (default: {DEFAULT_OUTPUT})",
    )
    return parser.parse_args(argv)


def format_value(value: Any) -> str:
    """Floats with 4 significant digits, everything else as ``str``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_table(headers: str, rows: Sequence[Sequence[Any]], title: str = "") -> str:
    """Print ``rows`` as a Markdown table (pastes into a README as is) and return it.

    ``headers`` is one string, the column names separated by ``" | "``.
    """
    names = headers.split(" | ")
    lines = [f"### {title}", ""] if title else []
    lines.append("| " + " | ".join(names) + " |")
    lines.append("|" + "|".join("---" for _ in names) + "|")
    lines.extend("| " + " | ".join(format_value(v) for v in row) + " |" for row in rows)
    text = "\n".join(lines)
    print(text + "\n", flush=True)
    return text


def save_figure(draw: Callable[[Any], Any], output: Path, name: str) -> Path | None:
    """Call ``draw(pyplot)`` to build a figure and save it as ``output/name``.

    Without matplotlib the example still runs: this prints that the figure was
    skipped and returns None.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: figure {name} skipped (pip install matplotlib)")
        return None
    fig = draw(plt)
    output.mkdir(parents=True, exist_ok=True)
    path = output / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"figure written to {path}")
    return path
