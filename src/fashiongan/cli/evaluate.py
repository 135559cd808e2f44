"""`fashiongan evaluate`: measure a run (or an .npz of images from any generator) against real data."""

from __future__ import annotations

import argparse
from pathlib import Path

from fashiongan.cli.common import MAX_SEED, int_at_least
from fashiongan.cli.options import add_device_flag
from fashiongan.errors import UserError
from fashiongan.outputs import check_output_folder, visible_entries
from fashiongan.text import printable

MAX_N = 100_000

DESCRIPTION = (
    "Measure generated images with the shipped Fashion-MNIST evaluator: FID, KID, precision/recall, "
    "density/coverage, an Inception-Score analogue, class accuracy and memorisation, each next to the "
    "floor (the same numbers for real training images). Give RUN_DIR (writes RUN_DIR/eval.json and "
    "RUN_DIR/eval/report.md) or --samples FILE.npz (writes only what --json/--report ask for)."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="measure generated images against real data", description=DESCRIPTION
    )
    p.add_argument("run_dir", nargs="?", metavar="RUN_DIR", help="a run folder made by `fashiongan train`")
    p.add_argument(
        "--samples",
        metavar="FILE.npz",
        help="evaluate these images instead of a run (images uint8 (N,H,W) or (N,H,W,3), optional labels)",
    )
    p.add_argument(
        "--data",
        default="fmnist",
        metavar="fmnist|DIR",
        help="with --samples: the real data to compare with (default fmnist)",
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="with --samples --data fmnist: where the Fashion-MNIST files are"
    )
    p.add_argument(
        "--n",
        "--num-images",  # under torchrun: its own parser takes "--n" for an abbreviation of its flags
        dest="n",
        type=int_at_least(10, MAX_N),
        metavar="N",
        help=f"images to generate from RUN_DIR (default 10000, at most {MAX_N:,}: all are held in memory)",
    )
    p.add_argument(
        "--seed",
        type=int_at_least(0, MAX_SEED),
        default=0,
        metavar="S",
        help="image i uses seed S+i; also seeds the floor sample and KID subsets (default 0)",
    )
    p.add_argument(
        "--checkpoint", choices=("last", "best"), default="last", help="which checkpoint (default last)"
    )
    p.add_argument("--json", metavar="FILE", help="where to write the numbers (default RUN_DIR/eval.json)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing --json FILE; write a --report DIR that holds other files")
    p.add_argument(
        "--report", metavar="DIR", help="where to write report.md and its PNGs (default RUN_DIR/eval)"
    )
    add_device_flag(p)
    p.add_argument(
        "--inception",
        action="store_true",
        help="also standard InceptionV3 FID/KID (needs torch-fidelity and its weights in the cache)",
    )
    p.add_argument("--evaluator", metavar="PATH", help="an evaluator .safetensors (default: the shipped one)")
    p.add_argument("--cas", action="store_true", help="also the Classification Accuracy Score (RUN_DIR/cas.json): a "
                   "classifier trained on generated images only, tested on real ones, beside one on real images")
    p.add_argument("--cas-per-class", type=int_at_least(1, 10_000), default=1000, metavar="N",
                   help="with --cas: training images per class for both classifiers (default 1000, at most "
                        "10,000: all are held in memory)")
    p.set_defaults(func=run)


REPORT_FILES = {"report.md", "samples_per_class.png", "confusion_matrix.png", "predicted_classes.png",
                "nearest_neighbours.png", "memorisation_distances.png"}


def _holds_only_a_report(folder: Path) -> bool:
    return set(visible_entries(folder)) <= REPORT_FILES


def _check_args(args: argparse.Namespace) -> None:
    from fashiongan.evaluation.evaluate import DEFAULT_N

    if (args.run_dir is None) == (args.samples is None):
        raise UserError("give exactly one of RUN_DIR or --samples FILE.npz")
    if args.samples is not None and (args.n is not None or args.checkpoint != "last"):
        raise UserError("--n and --checkpoint apply to RUN_DIR; --samples evaluates every image in the file")
    if args.cas and args.run_dir is None:
        raise UserError("--cas needs RUN_DIR (a conditional GAN run); it does not apply to --samples")
    if args.run_dir is not None and (args.data != "fmnist" or args.data_dir is not None):
        raise UserError("--data and --data-dir apply to --samples; a run evaluates against its own data")
    if args.json is not None and Path(args.json).exists() and not Path(args.json).is_dir() and not args.force:
        raise UserError(f"--json {printable(args.json)} already exists; pass --force to overwrite it")
    if args.report is not None:
        check_output_folder(args.report, args.force, _holds_only_a_report, flag="--report", what="a report")
    n = args.n if args.n is not None else DEFAULT_N
    if args.run_dir is not None and args.seed + n - 1 > MAX_SEED:
        raise UserError(f"--seed {args.seed} with --n {n} goes past the largest seed, 2**63 - 1")


def run(args: argparse.Namespace) -> int:
    from fashiongan.evaluation.evaluate import DEFAULT_N, evaluate_npz, evaluate_run, format_table

    _check_args(args)
    common = dict(
        seed=args.seed,
        json_path=args.json,
        report_dir=args.report,
        device=args.device,
        inception=args.inception,
        evaluator_path=args.evaluator,
    )
    if args.samples is not None:
        result = evaluate_npz(args.samples, args.data, data_dir=args.data_dir, **common)
    else:
        n = args.n if args.n is not None else DEFAULT_N
        result = evaluate_run(args.run_dir, n, checkpoint=args.checkpoint, **common)
    if result is None:  # a rank other than 0 under torchrun: rank 0 reports
        return 0
    print(format_table(result))
    for path in result["outputs"].values():
        if path:
            print(f"Wrote {printable(path)}")
    if args.cas:  # Classification Accuracy Score (Ravuri & Vinyals 2019)
        from fashiongan.classify.cas import classification_accuracy_score, format_cas

        print(format_cas(classification_accuracy_score(args.run_dir, args.cas_per_class, seed=args.seed,
                                                       device=args.device)))
    return 0
