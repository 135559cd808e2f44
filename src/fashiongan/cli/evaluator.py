"""`fashiongan evaluator train|info`: train the feature network the metrics use, or show one's facts."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from fashiongan.cli.common import int_at_least
from fashiongan.config import IMAGE_SIZES, DataConfig, RunConfig, validate
from fashiongan.errors import UserError
from fashiongan.evaluation.train_evaluator import DEFAULT_EPOCHS
from fashiongan.text import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluator",
        help="train or inspect the evaluator network behind the metrics",
        description="The evaluator is a small CNN classifier; its penultimate layer is the feature space "
        "of FID, KID, precision/recall and the other metrics. Fashion-MNIST's ships with fashiongan.",
    )
    commands = parser.add_subparsers(dest="evaluator_command", metavar="{train,info}", required=True)

    # fmt: off
    train = commands.add_parser("train", help="train an evaluator on Fashion-MNIST or on an image folder")
    train.add_argument("--data", default="fmnist", metavar="fmnist|DIR",
                       help="'fmnist', or a folder ROOT/<class>/<images> (default: fmnist)")
    train.add_argument("--data-dir", default=None, metavar="D",
                       help="folder holding the Fashion-MNIST IDX files (default: search the usual places)")
    train.add_argument("--image-size", type=int, default=28, choices=IMAGE_SIZES, metavar="S",
                       help=f"image side in pixels, one of {', '.join(map(str, IMAGE_SIZES))} (default: 28)")
    train.add_argument("--channels", type=int, default=1, choices=(1, 3),
                       help="1 (gray) or 3 (RGB); Fashion-MNIST is gray (default: 1)")
    train.add_argument("--epochs", type=int_at_least(1, 1_000_000), default=DEFAULT_EPOCHS, metavar="N",
                       help=f"training epochs (default: {DEFAULT_EPOCHS})")
    train.add_argument("--seed", type=int_at_least(0), default=0, metavar="S", help="random seed (default: 0)")
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                       help="where to train (default: auto = CUDA if available)")
    train.add_argument("--out", required=True, metavar="PATH",
                       help="weights file to write, ending in .safetensors; PATH's .json is written beside it")
    train.add_argument("--force", action="store_true", help="overwrite an existing --out and its .json")
    # fmt: on

    # fmt: off
    info = commands.add_parser("info", help="print an evaluator's recorded facts and verify its sha256")
    info.add_argument("path", nargs="?", default=None, metavar="PATH",
                      help="an evaluator .safetensors file (default: the shipped Fashion-MNIST evaluator)")
    # fmt: on
    parser.set_defaults(func=run)


def _data_config(args: argparse.Namespace) -> DataConfig:
    data = DataConfig(source=args.data, data_dir=args.data_dir, image_size=args.image_size, channels=args.channels)
    validate(RunConfig(preset="evaluator", data=data))
    return data


def _command_line(args: argparse.Namespace) -> str:
    """The command as a user would type it, with the options that differ from their defaults."""
    words = ["fashiongan", "evaluator", "train", "--data", args.data]
    for flag, value, default in (
        ("--data-dir", args.data_dir, None),
        ("--image-size", args.image_size, 28),
        ("--channels", args.channels, 1),
        ("--device", args.device, "auto"),
    ):
        if value != default:
            words += [flag, str(value)]
    words += ["--epochs", str(args.epochs), "--seed", str(args.seed), "--out", str(args.out)]
    return shlex.join(words)


def _check_out(args: argparse.Namespace) -> None:
    """Before training: --out must be a new .safetensors path (or --force) in a writable folder."""
    from fashiongan.evaluation.features import json_path_for
    from fashiongan.io import check_writable_file

    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise UserError(f"--out must end in .safetensors (the .json goes beside it); got {printable(out)}")
    for path in (out, json_path_for(out)):
        check_writable_file(path, "--out")
        if path.exists() and not args.force:
            raise UserError(f"{printable(path)} already exists; pass --force to overwrite it")


def run_train(args: argparse.Namespace) -> int:
    from fashiongan.evaluation.train_evaluator import train_evaluator

    _check_out(args)
    info = train_evaluator(
        _data_config(args), args.out, epochs=args.epochs, seed=args.seed, device=args.device,
        command=_command_line(args),
    )  # fmt: skip
    print(
        f"saved evaluator to {info.path} ({info.eval_split} accuracy {info.test_accuracy:.4f}, "
        f"{args.epochs} epochs, {info.extra['train_seconds']:.0f} s)"
    )
    return 0


def run_info(args: argparse.Namespace) -> int:
    from fashiongan.evaluation.features import json_path_for, read_evaluator_info

    info = read_evaluator_info(args.path)
    facts = info.to_json()
    history = facts.pop("history", [])
    print(f"evaluator: {info.path}")
    print(f"described by: {json_path_for(info.path)}")
    for key, value in facts.items():
        if key == "class_names":
            value = ", ".join(value)
        elif isinstance(value, (dict, list)) or value is None:
            value = json.dumps(value)
        print(f"{key}: {value}")
    if history:
        seconds = [epoch["seconds"] for epoch in history]
        print(f"epochs logged: {len(history)} (mean {sum(seconds) / len(seconds):.1f} s per epoch)")
    print("sha256 check: passed")
    return 0


def run(args: argparse.Namespace) -> int:
    return {"train": run_train, "info": run_info}[args.evaluator_command](args)
