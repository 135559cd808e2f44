"""`fashiongan bench`: training, generation and evaluation speed, next to a tutorial loop and the matmul ceiling."""

from __future__ import annotations

import argparse

from fashiongan.cli.options import add_option_flags
from fashiongan.option import options_of

DESCRIPTION = (
    "Measure, in one process after warm-ups: training images/s through the full D + G step, generation "
    "images/s, FLOPs per training image and the share of the machine's matmul ceiling they reach, the same "
    "models in a plain tutorial loop (the headline is the ratio to it), peak memory, evaluator images/s and "
    "the warm wall time of a full evaluation. Medians over repeats; see BENCHMARKS.md."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from fashiongan.bench import BenchOptions

    p = subparsers.add_parser("bench", help="measure training, generation and evaluation speed",
                              description=DESCRIPTION)
    add_option_flags(p.add_argument_group("bench options"), options_of(BenchOptions))
    p.add_argument("--set", dest="set_options", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="change any config option of the preset, e.g. --set train.compile=true")
    p.add_argument("--json", metavar="FILE", help="also write every figure to this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fashiongan.bench import BenchOptions, run_bench
    from fashiongan.bench.report import format_table, write_result
    from fashiongan.cli.options import given_config_overrides, given_options

    options = BenchOptions(**given_options(args, options_of(BenchOptions)), overrides=given_config_overrides(args))
    result = run_bench(options)
    print(format_table(result))
    if args.json:
        write_result(args.json, result)
    return 0
