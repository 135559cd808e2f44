"""`fashiongan evaluator train|info`: train the feature network the metrics use, or show one's facts."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from fashiongan.cli.options import add_option_flags, given_options
from fashiongan.errors import UserError
from fashiongan.evaluation.train_evaluator import EvaluatorConfig
from fashiongan.option import options_of
from fashiongan.text import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluator",
        help="train or inspect the evaluator network behind the metrics",
        description="The evaluator is a small CNN classifier; its penultimate layer is the feature space "
        "of FID, KID, precision/recall and the other metrics. Fashion-MNIST's ships with fashiongan.",
    )
    commands = parser.add_subparsers(dest="evaluator_command", metavar="{train,info}", required=True)

    train = commands.add_parser("train", help="train an evaluator on Fashion-MNIST or on an image folder")
    add_option_flags(train.add_argument_group("evaluator options"), options_of(EvaluatorConfig))
    train.add_argument("--out", required=True, metavar="PATH",
                       help="weights file to write, ending in .safetensors; PATH's .json is written beside it")
    train.add_argument("--force", action="store_true", help="overwrite an existing --out and its .json")

    # fmt: off
    info = commands.add_parser("info", help="print an evaluator's recorded facts and verify its sha256")
    info.add_argument("path", nargs="?", default=None, metavar="PATH",
                      help="an evaluator .safetensors file (default: the shipped Fashion-MNIST evaluator)")
    # fmt: on
    parser.set_defaults(func=run)


def _options(args: argparse.Namespace) -> EvaluatorConfig:
    return EvaluatorConfig(**given_options(args, options_of(EvaluatorConfig)))


def _command_line(options: EvaluatorConfig, out: str) -> str:
    """The command as a user would type it, with the options that differ from their defaults."""
    words = ["fashiongan", "evaluator", "train", "--data", options.data]
    for key, f, _ in options_of(EvaluatorConfig):
        value = getattr(options, key)
        if key not in ("data", "epochs", "seed") and value != f.default:
            words += [f"--{f.metadata['flag']}", str(value)]
    words += ["--epochs", str(options.epochs), "--seed", str(options.seed), "--out", str(out)]
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
    options = _options(args)
    info = train_evaluator(
        options.data_config(), args.out, epochs=options.epochs, seed=options.seed, device=options.device,
        command=_command_line(options, args.out),
    )  # fmt: skip
    print(
        f"saved evaluator to {info.path} ({info.eval_split} accuracy {info.test_accuracy:.4f}, "
        f"{options.epochs} epochs, {info.extra['train_seconds']:.0f} s)"
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
