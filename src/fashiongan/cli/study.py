"""`fashiongan study augmentation|merge`: the seed-averaged GAN augmentation study, resumable and spreadable."""

from __future__ import annotations

import argparse

from fashiongan.cli.common import float_in, int_at_least, truncation
from fashiongan.errors import UserError
from fashiongan.numbers import is_integer_text, short
from fashiongan.outputs import check_output_folder, has_any

MAX_PER_CLASS = 1_000_000  # more than any class of any dataset; 'all' takes every image
QUICK = {"per_class": "10,100", "seeds": 2, "ratios": "1,2", "gan_minutes": 1.0, "classifier_steps": 150}
FULL = {"per_class": "10,25,50,100,500,all", "seeds": 3, "ratios": "0.5,1,2,3", "gan_minutes": 3.0,
        "classifier_steps": 300}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "study", help="the augmentation study: do GAN images help a classifier trained on N images per class?",
        description="For each N per class and seed: draw N real images per class, train the conditional GAN on "
        "them only (a fixed time budget), train the classifier on real / + classic / + classic + GAN images at "
        "each ratio, test on the full test split. Resumable; --shard and torchrun spread the cells.",
    )
    commands = parser.add_subparsers(dest="study_command", metavar="{augmentation,merge}", required=True)
    # fmt: off
    a = commands.add_parser("augmentation", help="run (or continue) the study, then write its report")
    a.add_argument("--per-class", metavar="LIST", help=f"N values, 'all' for every image (default {FULL['per_class']})")
    a.add_argument("--seeds", type=int_at_least(1), metavar="K", help=f"seeds 0..K-1 per N (default {FULL['seeds']})")
    a.add_argument("--ratios", metavar="LIST", help=f"synthetic per real image (default {FULL['ratios']})")
    a.add_argument("--gan-minutes", type=float_in(0, 10_000), metavar="M",
                   help=f"GAN training budget per cell (default {FULL['gan_minutes']:g})")
    a.add_argument("--classifier-steps", type=int_at_least(1), metavar="S",
                   help=f"optimizer steps per classifier arm (default {FULL['classifier_steps']})")
    a.add_argument("--classifier-preset", choices=("fmnist-cnn", "small-cnn"), default="fmnist-cnn",
                   help="classifier of every arm (default fmnist-cnn)")
    a.add_argument("--gan-preset", metavar="P", help="GAN preset (default: fmnist-best if present, else fmnist)")
    a.add_argument("--filter-confidence", type=float_in(0, 1), metavar="P",
                   help="lever: also GAN arms keeping only GAN images the cell's real-only classifier assigns to "
                        "the class asked for with probability >= P (default: off)")
    a.add_argument("--truncation", type=truncation, metavar="T",
                   help="lever: also GAN arms whose images are sampled with noise std T in (0, 1) (default: off)")
    a.add_argument("--quick", action="store_true",
                   help="a small study (N 10,100; 2 seeds; ratios 1,2; 1-minute GANs): an estimated 12-15 min "
                        "on 2 CPU cores")
    a.add_argument("--shard", metavar="K/N", help="run only every N-th cell starting at the K-th (1 <= K <= N)")
    a.add_argument("--data-dir", metavar="DIR", help="folder holding the Fashion-MNIST IDX files (default: search)")
    a.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    a.add_argument("--out", required=True, metavar="DIR", help="study folder (cells/, work/, the report)")
    a.add_argument("--force", action="store_true", help="write the study into an --out folder that holds other files")
    m = commands.add_parser("merge", help="build the report from a study folder's finished cells")
    m.add_argument("out", metavar="DIR", help="a study folder")
    # fmt: on
    parser.set_defaults(func=run)


def parse_per_class(text: str) -> list[int | None]:
    values: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            values.append(None)
        elif is_integer_text(part) and 1 <= int(part) <= MAX_PER_CLASS:
            values.append(int(part))
        else:
            raise UserError(f"--per-class takes positive integers (at most {MAX_PER_CLASS:,}) or 'all', "
                            f"comma-separated; got {short(text)!r}")
    return values


def parse_ratios(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"--ratios takes numbers, comma-separated (e.g. 0.5,1,2,3); got {text!r}") from None
    if not values or any(not 0 < v <= 100 for v in values):
        raise UserError(f"--ratios must each be in (0, 100]; got {text!r}")
    return values


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UserError(f"--shard must look like K/N (e.g. 2/4); got {text!r}") from None
    if not 1 <= k <= n:
        raise UserError(f"--shard K/N needs 1 <= K <= N; got {text!r}")
    return k, n


def plan_from_args(args: argparse.Namespace):
    from fashiongan.classify.study import StudyPlan

    base = QUICK if args.quick else FULL
    pick = {key: getattr(args, key) if getattr(args, key) is not None else value for key, value in base.items()}
    return StudyPlan(
        per_class=parse_per_class(pick["per_class"]), seeds=list(range(pick["seeds"])),
        ratios=parse_ratios(pick["ratios"]), gan_seconds=60.0 * pick["gan_minutes"],
        gan_preset=args.gan_preset or "", classifier_preset=args.classifier_preset,
        classifier_steps=pick["classifier_steps"], data_dir=args.data_dir, device=args.device,
        filter_confidence=args.filter_confidence, truncation=args.truncation,
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from fashiongan.classify.study import run_study
    from fashiongan.classify.study_report import write_report

    if args.study_command == "merge":
        paths = write_report(args.out)
    else:
        plan = plan_from_args(args)
        check_output_folder(args.out, args.force, lambda folder: has_any(folder, ("study.json", "cells", "work")),
                            what="a study")
        ran = run_study(plan, args.out, parse_shard(args.shard))
        print(f"Ran {len(ran)} cell(s); finished cells are in {args.out}/cells")
        paths = write_report(args.out)
    for path in paths:
        print(f"Wrote {path}")
    return 0
