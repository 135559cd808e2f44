"""`fashiongan study augmentation|merge`: the seed-paired GAN augmentation study, resumable and spreadable.

Protocol v2 is the default; ``--protocol v1`` runs the first study (docs/study/v1) unchanged.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from fashiongan.classify.model import MULTICLASS_PRESETS
from fashiongan.cli.options import add_option_flags, given_options
from fashiongan.config import PRESETS, same_as
from fashiongan.errors import UserError
from fashiongan.io import read_json
from fashiongan.numbers import is_integer_text, short
from fashiongan.option import check_options, option, options_of
from fashiongan.outputs import check_output_folder, has_any

PROTOCOLS = ("v2", "v1")
V1_ONLY = ("gan_minutes", "classifier_steps", "filter_confidence", "truncation")
V2_ONLY = ("large_ratios", "gan_kimg", "gan_select_after", "min_passes", "min_steps", "transfer_n",
           "source_kimg", "eval_n")


@dataclass
class StudyOptions:
    """The options of `fashiongan study augmentation`, declared like the GAN's (the flags come from these).

    A default of None is the protocol's own (StudyPlan of classify/study_plan.py or classify/study_v1.py).
    """

    per_class: str | None = option(None, "N values, 'all' for every image (default: 10,25,50,250,all; v1: "
                                   "10,25,50,100,500,all)", flag="per-class")
    seeds: int | None = option(None, "seeds 0..K-1 per N (default: 5; v1: 3)", low=1, high=1_000_000, flag="seeds")
    ratios: str | None = option(None, "extra images per real image; several: a grid each GAN arm chooses from on "
                                "validation (default: 1; v1: 0.5,1,2,3)", flag="ratios")
    large_ratios: str | None = option(None, "v2: the same at N >= 250 and all (default: 0.5)", flag="large-ratios")
    gan_kimg: str | None = option(None, "v2: GAN budget in thousands of images at N = 10 and at N = all, linear "
                                  "in log N between (default: 160,240)", flag="gan-kimg")
    gan_select_after: float | None = option(None, "v2: share of a GAN's budget before which its validation scores "
                                            "cannot choose its checkpoint (default: 0.5; 0: any)", low=0.0,
                                            high=1.0, flag="gan-select-after")
    min_passes: int | None = option(None, "v2: passes over the real images, at least (default: 4)", low=1,
                                    high=1_000_000, flag="min-passes")
    min_steps: int | None = option(None, "v2: and enough passes for this many steps' worth of real images "
                                   "(default: 800)", low=1, high=10_000_000, flag="min-steps")
    transfer_n: str | None = option(None, "v2: the N with transfer and pseudo-label arms, or 'none' (default: "
                                    "10)", flag="transfer-n")
    source_kimg: float | None = option(None, "v2: the transfer source GAN's budget in thousands of images "
                                       "(default: 240)", above=0.0, below=100_000.0, flag="source-kimg")
    eval_n: int | None = option(None, "v2: generated images per evaluation of a cell's GAN, 0: none (default: "
                                "2000)", low=0, high=100_000, flag="eval-n")
    gan_minutes: float | None = option(None, "v1: GAN training budget per cell (default: 3)", above=0.0,
                                       below=10_000.0, flag="gan-minutes")
    classifier_steps: int | None = option(None, "v1: optimizer steps per classifier arm (default: 300)", low=1,
                                          high=10_000_000, flag="classifier-steps")
    classifier_preset: str = option("fmnist-cnn", "classifier of every arm", choices=MULTICLASS_PRESETS,
                                    flag="classifier-preset")
    gan_preset: str | None = option(None, "GAN preset (default: fewshot; v1: fmnist-best if present, else fmnist)",
                                    choices=tuple(PRESETS), flag="gan-preset")
    filter_confidence: float | None = option(None, "v1 lever: also GAN arms keeping only GAN images the cell's "
                                             "real-only classifier assigns to the class asked for with "
                                             "probability >= P (default: off)", above=0.0, below=1.0,
                                             flag="filter-confidence")
    truncation: float | None = option(None, "v1 lever: also GAN arms whose images are sampled with this noise "
                                      "std (default: off)", above=0.0, high=1.0, flag="truncation")
    data_dir: str | None = same_as("data.data_dir")
    device: str = same_as("train.device")


MAX_PER_CLASS = 1_000_000  # more than any class of any dataset; 'all' takes every image
QUICK = {"per_class": "10,50", "seeds": 2, "gan_kimg": "20", "min_steps": 300, "transfer_n": "10",
         "source_kimg": 40.0, "eval_n": 1000}
QUICK_V1 = {"per_class": "10,100", "seeds": 2, "ratios": "1,2", "gan_minutes": 1.0, "classifier_steps": 150}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "study", help="the augmentation study: do GAN images help a classifier trained on N images per class?",
        description="For each N per class and seed: draw N labelled images per class (validation carved out of "
        "them), train the cell's GAN on the rest only, train the classifier with the same passes over the real "
        "images in every arm (real, classic, strong; each + GAN images; GAN only; transfer GAN and its "
        "pseudo-label baseline), test on the full test split; compare arms seed by seed with 95 %% intervals. "
        "Resumable; --shard and torchrun spread the cells.",
    )
    commands = parser.add_subparsers(dest="study_command", metavar="{augmentation,merge}", required=True)
    # fmt: off
    a = commands.add_parser("augmentation", help="run (or continue) the study, then write its report")
    add_option_flags(a.add_argument_group("study options"), options_of(StudyOptions))
    a.add_argument("--protocol", choices=PROTOCOLS, default="v2",
                   help="v2 (default): the paired, equal-exposure protocol; v1: the first study (docs/study/v1)")
    a.add_argument("--quick", action="store_true",
                   help="a small study (v2: N 10,50; 2 seeds; 20,000-image GANs; 300-step classifiers; transfer at N = "
                        "10): at most 20 min on 2 CPU cores")
    a.add_argument("--shard", metavar="K/N", help="run only the K-th of N shares of the cells (1 <= K <= N; v2: "
                   "dealt out by expected cost, v1: every N-th from the K-th)")
    a.add_argument("--out", required=True, metavar="DIR", help="study folder (cells/, work/, the report)")
    a.add_argument("--force", action="store_true", help="write the study into an --out folder that holds other files")
    m = commands.add_parser("merge", help="build the report from a study folder's finished cells")
    m.add_argument("out", metavar="DIR", help="a study folder")
    # fmt: on
    parser.set_defaults(func=run)


def parse_per_class(text: str, flag: str = "--per-class") -> list[int | None]:
    values: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            values.append(None)
        elif is_integer_text(part) and 1 <= int(part) <= MAX_PER_CLASS:
            values.append(int(part))
        else:
            raise UserError(f"{flag} takes positive integers (at most {MAX_PER_CLASS:,}) or 'all', "
                            f"comma-separated; got {short(text)!r}")
    return values


def parse_numbers(text: str, flag: str, example: str, high: float = 100) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"{flag} takes numbers, comma-separated (e.g. {example}); got {short(text)!r}") from None
    if not values or any(not 0 < v <= high for v in values):
        raise UserError(f"{flag} must each be in (0, {high:g}]; got {short(text)!r}")
    return values


def parse_ratios(text: str) -> list[float]:
    return parse_numbers(text, "--ratios", "0.5,1,2,3")


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


def study_options(args: argparse.Namespace) -> tuple[StudyOptions, dict]:
    """The options given (checked), on top of --quick's; refuses the other protocol's flags."""
    given = given_options(args, options_of(StudyOptions))
    other = V2_ONLY if args.protocol == "v1" else V1_ONLY
    if wrong := [k for k in other if k in given]:
        raise UserError(f"--{wrong[0].replace('_', '-')} is an option of the other protocol, not {args.protocol}")
    quick = (QUICK_V1 if args.protocol == "v1" else QUICK) if args.quick else {}
    options = dataclasses.replace(StudyOptions(**quick), **given)
    check_options(options, lambda key: f"--{key.replace('_', '-')}")
    return options, {k: v for k, v in dataclasses.asdict(options).items() if v is not None}


def plan_from_args(args: argparse.Namespace):
    """The v2 StudyPlan (or v1's with --protocol v1) from the flags."""
    from fashiongan.classify import study_plan, study_v1

    o, set_ = study_options(args)
    common = {"classifier_preset": o.classifier_preset, "data_dir": o.data_dir, "device": o.device}
    common |= {"per_class": parse_per_class(o.per_class)} if "per_class" in set_ else {}
    common |= {"seeds": list(range(o.seeds))} if "seeds" in set_ else {}
    common |= {"ratios": parse_ratios(o.ratios)} if "ratios" in set_ else {}
    common |= {"gan_preset": o.gan_preset} if "gan_preset" in set_ else {}
    if args.protocol == "v1":
        levers = {"gan_seconds": 60.0 * o.gan_minutes} if "gan_minutes" in set_ else {}
        levers |= {k: set_[k] for k in ("classifier_steps", "filter_confidence", "truncation") if k in set_}
        return study_v1.StudyPlan(**common, **levers)
    v2: dict = {k: set_[k] for k in ("min_passes", "min_steps", "eval_n", "gan_select_after") if k in set_}
    if "gan_kimg" in set_:
        kimg = parse_numbers(o.gan_kimg, "--gan-kimg", "160,240", 100_000)
        if len(kimg) > 2:
            raise UserError(f"--gan-kimg takes one or two numbers (at N = 10, at N = all); got {o.gan_kimg!r}")
        v2 |= {"gan_kimg_small": kimg[0], "gan_kimg_large": kimg[-1]}
    if "large_ratios" in set_:
        v2["large_ratios"] = parse_numbers(o.large_ratios, "--large-ratios", "0.5")
    if "transfer_n" in set_:
        v2["transfer_per_class"] = [] if o.transfer_n.strip().lower() == "none" else \
            [n for n in parse_per_class(o.transfer_n, "--transfer-n") if n is not None]
    if "source_kimg" in set_:
        v2["source_kimg"] = o.source_kimg
    return study_plan.StudyPlan(**common, **v2)


def folder_protocol(out: str) -> str:
    """The protocol of a study folder: its study.json's, else its cells' (v1 wrote none)."""
    path = Path(out) / "study.json"
    saved = read_json(path, "study plan") if path.is_file() else None
    if isinstance(saved, dict) and "protocol" in saved:
        return str(saved["protocol"])
    cells = sorted((Path(out) / "cells").glob("*.json")) if Path(out).is_dir() else []
    cell = read_json(cells[0], "study cell") if cells else None
    return str(cell.get("protocol", "v1")) if isinstance(cell, dict) else "v1"


def run(args: argparse.Namespace) -> int:
    from fashiongan.classify import study, study_report, study_v1, study_v1_report

    if args.study_command == "merge":
        writer = study_report if folder_protocol(args.out) == "v2" else study_v1_report
        paths = writer.write_report(args.out)
    else:
        plan = plan_from_args(args)
        check_output_folder(args.out, args.force, lambda folder: has_any(folder, ("study.json", "cells", "work")),
                            what="a study")
        module, writer = (study_v1, study_v1_report) if args.protocol == "v1" else (study, study_report)
        ran = module.run_study(plan, args.out, parse_shard(args.shard))
        print(f"Ran {len(ran)} cell(s); finished cells are in {args.out}/cells")
        paths = writer.write_report(args.out)
    for path in paths:
        print(f"Wrote {path}")
    return 0
