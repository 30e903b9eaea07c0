"""The ``fusedopt`` command: ``fusedopt bench [lbfgs] [options]``, ``fusedopt info``
and ``fusedopt --version``.

Exit status: 0 on success, 2 for bad options (with a message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

QUICK_OPTIMIZERS = ("adamw", "sgd")
MODEL_NAMES = {"1000x1000": "1000x1000", "resnet50": "ResNet-50", "gpt2": "GPT-2 small"}
QUICK_MODELS = ("1000x1000", "resnet50")  # GPT-2 (124M) alone takes a minute with every peer

# The help text is plain (argparse prints it as it is), not the module's reStructuredText.
DESCRIPTION = """\
fusedopt: fused SIMD + OpenMP optimizer steps (SGD, RMSprop, Adam, AdamW) for
NumPy and PyTorch on the CPU. This command reports how the installed build runs
and benchmarks it against its peers."""
EPILOG = """\
examples:
  fusedopt info                  version, kernel build (ISA), threads, as JSON
  fusedopt bench --quick         fusedopt against its peers, in under a minute
  fusedopt bench --optimizers adamw --sizes 1e6,1e7 --output results
  fusedopt bench lbfgs --quick   fusedopt.minimize against scipy.optimize

Run 'fusedopt COMMAND --help' for a command's options.
"""
BENCH_EPILOG = """\
examples:
  fusedopt bench --quick                       adamw and sgd, sizes up to 1e7
  fusedopt bench --optimizers adamw,sgd --output docs/bench
  fusedopt bench --threads 1 --dtype float64 --json
  fusedopt bench lbfgs --quick
"""


def _parser() -> argparse.ArgumentParser:
    from . import __version__
    from .bench.peers import SPECS

    parser = argparse.ArgumentParser(
        prog="fusedopt",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"fusedopt {__version__}", help="print the version"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    commands.add_parser(
        "info",
        help="print the version, kernel build (ISA) and threads as JSON",
        description="Print the version, the kernel build in use (ISA), the builds this CPU "
        "can run, and the thread counts, as JSON.",
    )
    bench = commands.add_parser(
        "bench",
        help="time fusedopt against its peers and the machine's memory bandwidth",
        description="Time one optimizer step of fusedopt and of its peers (NumPy "
        "reference, naive NumPy, torch.optim for-loop/foreach/fused, DeepSpeed CPU Adam), "
        "interleaved, against a roofline pass with the same memory traffic measured in the "
        "same run. 'fusedopt bench lbfgs' compares fusedopt.minimize with scipy instead.",
        epilog=BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "what",
        nargs="?",
        choices=("step", "lbfgs"),
        default="step",
        help="optimizer steps (default) or the L-BFGS solver",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="sizes <= 1e7, no GPT-2, adamw and sgd, few rounds: under a minute",
    )
    bench.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for every peer (default: OMP_NUM_THREADS or all cores)",
    )
    bench.add_argument(
        "--optimizers",
        type=_names(tuple(SPECS)),
        default=None,
        help=f"comma-separated, from {','.join(SPECS)} (default: all)",
    )
    bench.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="single-tensor sizes, e.g. 1e3,1e5,1e7 (default 1e3..1e8; --quick 1e3..1e7)",
    )
    bench.add_argument(
        "--models",
        type=_names(("none", *MODEL_NAMES)),
        default=None,
        help=f"model-shaped lists from {','.join(MODEL_NAMES)} or 'none' (default: all)",
    )
    bench.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    bench.add_argument(
        "--rounds",
        type=_positive_int,
        default=None,
        help="interleaved rounds per row (default: as many as fit a time budget, 5-25; "
        "--quick 3-5; bench lbfgs: 3, --quick 1)",
    )
    bench.add_argument(
        "--output",
        type=Path,
        default=Path("fusedopt-bench"),
        help="folder for results.json and the plots (default ./fusedopt-bench)",
    )
    bench.add_argument(
        "--json", action="store_true", help="print the results as JSON instead of the table"
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _names(valid: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [n.strip().lower() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in valid]
        if not names or unknown:
            raise argparse.ArgumentTypeError(
                f"unknown name(s) {unknown or [text]}; choose from {', '.join(valid)}"
            )
        return list(dict.fromkeys(names))

    return parse


def _sizes(text: str) -> list[int]:
    sizes = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a size: {part!r}") from None
        if not value.is_integer() or not 1 <= value <= 2e9:
            raise argparse.ArgumentTypeError(f"sizes must be integers in [1, 2e9], got {part!r}")
        sizes.append(int(value))
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 with a message for bad options
    if args.command == "info":
        from . import info

        print(json.dumps(info(), indent=2))
        return 0
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"fusedopt bench: error: --output {args.output}: {error}", file=sys.stderr)
        return 2
    if args.what == "lbfgs":
        return _bench_lbfgs(args)
    return _bench_step(args)


def _progress(total: int) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A tqdm bar on stderr, or plain lines where tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        count = [0]

        def line(label: str) -> None:
            count[0] += 1
            print(f"[{count[0]}/{total}] {label}", file=sys.stderr, flush=True)

        return line, lambda: None
    bar = tqdm(total=total, unit="row", file=sys.stderr, dynamic_ncols=True)
    started = [False]

    def advance(label: str) -> None:
        if started[0]:
            bar.update(1)
        started[0] = True
        bar.set_description(label)

    def close() -> None:
        bar.update(1)
        bar.close()

    return advance, close


def _bench_step(args: argparse.Namespace) -> int:
    from .bench import report, step
    from .bench.machine import machine_info
    from .bench.workloads import model_workloads, single_tensor

    quick = args.quick
    sizes = args.sizes or [10**e for e in range(3, 8 if quick else 9)]
    models = args.models or list(QUICK_MODELS if quick else MODEL_NAMES)
    chosen = [MODEL_NAMES[m] for m in models if m != "none"]
    workloads = [single_tensor(n) for n in sizes]
    workloads += [w for w in model_workloads() if w.name in chosen]
    options = step.StepOptions(
        optimizers=args.optimizers or list(QUICK_OPTIMIZERS if quick else step.P.SPECS),
        workloads=workloads,
        dtype=args.dtype,
        quick=quick,
        budget=0.5 if quick else 4.0,
        max_rounds=args.rounds or (5 if quick else 25),
        min_rounds=args.rounds or (3 if quick else 5),
        slow_step=0.25 if quick else float("inf"),
    )
    threads = step.set_threads(args.threads)
    advance, close = _progress(len(options.optimizers) * len(workloads))
    result: dict[str, Any] = {
        "schema": report.SCHEMA,
        "command": "step",
        "machine": machine_info(threads),
    }
    result["options"] = dict(
        optimizers=list(options.optimizers),
        dtype=args.dtype,
        quick=quick,
        workloads=[w.name for w in workloads],
    )
    result.update(step.run(options, advance))
    close()
    report.write_json(result, args.output / "results.json")
    plots = _plots(result, args.output)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(_header(result))
    print(report.step_table(result))
    print()
    print(report.skipped_lines(result["skipped"]))
    print(f"\nWrote {args.output / 'results.json'}" + "".join(f", {p}" for p in plots))
    print(
        "% roof: achieved GB/s over a pass with the same reads and writes per element,"
        " measured in this run at the same size (100% = the machine's limit for this access"
        " pattern; cache-resident sizes get their own, higher roofline)."
    )
    return 0


def _plots(result: dict[str, Any], folder: Path) -> list[Path]:
    from .bench import report

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "matplotlib is not installed: plots skipped (pip install 'fusedopt[bench]')",
            file=sys.stderr,
        )
        return []
    return report.plot_step(result, folder)


def _header(result: dict[str, Any]) -> str:
    m = result["machine"]
    isa = m["fusedopt"]["isa"]
    return (
        f"fusedopt {m['fusedopt']['version']} ({isa}) on {m['cpu']}, {m['threads']} threads, "
        f"{result['options']['dtype']}; torch {m['torch'] or 'not installed'}"
    )


def _bench_lbfgs(args: argparse.Namespace) -> int:
    from .bench import report, solvers
    from .bench.machine import machine_info
    from .bench.step import set_threads

    threads = set_threads(args.threads)
    advance, close = _progress(solvers.count_problems(args.quick))
    rounds = args.rounds or (1 if args.quick else 3)
    result: dict[str, Any] = {
        "schema": report.SCHEMA,
        "command": "lbfgs",
        "machine": machine_info(threads),
    }
    result.update(solvers.run(args.quick, rounds, advance))
    close()
    report.write_json(result, args.output / "lbfgs.json")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(solvers.table(result))
    print()
    print(report.skipped_lines(result["skipped"]))
    print(f"\nWrote {args.output / 'lbfgs.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
