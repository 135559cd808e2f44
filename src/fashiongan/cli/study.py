"""`fashiongan study augmentation|merge`: the seed-averaged GAN augmentation study, resumable and spreadable."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from fashiongan.classify.model import MULTICLASS_PRESETS
from fashiongan.cli.options import add_option_flags, given_options
from fashiongan.config import PRESETS, same_as
from fashiongan.errors import UserError
from fashiongan.numbers import is_integer_text, short
from fashiongan.option import check_options, option, options_of
from fashiongan.outputs import check_output_folder, has_any


@dataclass
class StudyOptions:
    """The options of `fashiongan study augmentation`, declared like the GAN's (the flags come from these)."""

    per_class: str = option("10,25,50,100,500,all", "N values, 'all' for every image", flag="per-class")
    seeds: int = option(3, "seeds 0..K-1 per N", low=1, high=1_000_000, flag="seeds")
    ratios: str = option("0.5,1,2,3", "synthetic per real image", flag="ratios")
    gan_minutes: float = option(3.0, "GAN training budget per cell", above=0.0, below=10_000.0, flag="gan-minutes")
    classifier_steps: int = option(300, "optimizer steps per classifier arm", low=1, high=10_000_000,
                                   flag="classifier-steps")
    classifier_preset: str = option("fmnist-cnn", "classifier of every arm", choices=MULTICLASS_PRESETS,
                                    flag="classifier-preset")
    gan_preset: str | None = option(None, "GAN preset (default: fmnist-best if present, else fmnist)",
                                    choices=tuple(PRESETS), flag="gan-preset")
    filter_confidence: float | None = option(None, "lever: also GAN arms keeping only GAN images the cell's "
                                             "real-only classifier assigns to the class asked for with "
                                             "probability >= P (default: off)", above=0.0, below=1.0,
                                             flag="filter-confidence")
    truncation: float | None = option(None, "lever: also GAN arms whose images are sampled with this noise std "
                                      "(default: off)", above=0.0, high=1.0, flag="truncation")
    data_dir: str | None = same_as("data.data_dir")
    device: str = same_as("train.device")


MAX_PER_CLASS = 1_000_000  # more than any class of any dataset; 'all' takes every image
QUICK = {"per_class": "10,100", "seeds": 2, "ratios": "1,2", "gan_minutes": 1.0, "classifier_steps": 150}


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
    add_option_flags(a.add_argument_group("study options"), options_of(StudyOptions))
    a.add_argument("--quick", action="store_true",
                   help="a small study (N 10,100; 2 seeds; ratios 1,2; 1-minute GANs): an estimated 12-15 min "
                        "on 2 CPU cores")
    a.add_argument("--shard", metavar="K/N", help="run only every N-th cell starting at the K-th (1 <= K <= N)")
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

    given = given_options(args, options_of(StudyOptions))
    o = dataclasses.replace(StudyOptions(**QUICK) if args.quick else StudyOptions(), **given)
    check_options(o, lambda key: f"--{key.replace('_', '-')}")
    return StudyPlan(
        per_class=parse_per_class(o.per_class), seeds=list(range(o.seeds)), ratios=parse_ratios(o.ratios),
        gan_seconds=60.0 * o.gan_minutes, gan_preset=o.gan_preset or "", classifier_preset=o.classifier_preset,
        classifier_steps=o.classifier_steps, data_dir=o.data_dir, device=o.device,
        filter_confidence=o.filter_confidence, truncation=o.truncation,
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
