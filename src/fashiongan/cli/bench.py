"""`fashiongan bench`: training, generation and evaluation speed, next to a tutorial loop and the matmul ceiling."""

from __future__ import annotations

import argparse

from fashiongan.cli.common import int_at_least
from fashiongan.numbers import MAX_THREADS

DESCRIPTION = (
    "Measure, in one process after warm-ups: training images/s through the full D + G step, generation "
    "images/s, FLOPs per training image and the share of the machine's matmul ceiling they reach, the same "
    "models in a plain tutorial loop (the headline is the ratio to it), peak memory, evaluator images/s and "
    "the warm wall time of a full evaluation. Medians over repeats; see BENCHMARKS.md."
)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from fashiongan.config import PRESETS

    p = subparsers.add_parser("bench", help="measure training, generation and evaluation speed",
                              description=DESCRIPTION)
    p.add_argument("--preset", default="fmnist-best", choices=list(PRESETS), help="default: fmnist-best")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="default: auto")
    p.add_argument("--precision", default="both", choices=("fp32", "bf16", "both"),
                   help="training and generation precision(s) to measure (default: both)")
    p.add_argument("--batch-size", type=int_at_least(1), metavar="B", help="default: the preset's")
    p.add_argument("--seconds", type=positive_float, default=10.0, metavar="S",
                   help="time bound of each measurement (default 10)")
    p.add_argument("--threads", type=int_at_least(1, MAX_THREADS), metavar="N",
                   help="CPU threads (default: physical cores)")
    p.add_argument("--generate-n", type=int_at_least(0, 1_000_000), default=10_000, metavar="N",
                   help="images per generation call (default 10000; 0 skips)")
    p.add_argument("--evaluate-n", type=int_at_least(0, 100_000), default=10_000, metavar="N",
                   help="images of the timed full evaluation (default 10000; 0 skips evaluation figures)")
    p.add_argument("--set", dest="set_options", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="change any config option of the preset, e.g. --set train.compile=true")
    p.add_argument("--json", metavar="FILE", help="also write every figure to this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fashiongan.bench import BenchOptions, run_bench
    from fashiongan.bench.report import format_table, write_result
    from fashiongan.cli.options import given_config_overrides

    options = BenchOptions(
        preset=args.preset, device=args.device, precision=args.precision, batch_size=args.batch_size,
        seconds=args.seconds, threads=args.threads, generate_n=args.generate_n, evaluate_n=args.evaluate_n,
        overrides=given_config_overrides(args),
    )  # fmt: skip
    result = run_bench(options)
    print(format_table(result))
    if args.json:
        write_result(args.json, result)
    return 0
