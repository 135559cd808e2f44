"""`fashiongan classify train|predict`: fashion classifiers, optionally fed with a GAN's images."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Any

from fashiongan.cli.common import check_out_given_under_torchrun
from fashiongan.cli.options import add_device_flag, add_option_flags, dest, given_options
from fashiongan.errors import UserError
from fashiongan.outputs import check_output_folder, has_any
from fashiongan.text import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify", help="train a fashion classifier, or predict image classes with one",
        description="Train a classifier on Fashion-MNIST or an image folder (multi-class or two classes), "
        "optionally with classic augmentation and images from a conditional GAN run; or classify image files.",
    )
    commands = parser.add_subparsers(dest="classify_command", metavar="{train,predict}", required=True)
    _add_train(commands)
    predict = commands.add_parser("predict", help="print the class and its probability for each image")
    predict.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `fashiongan classify train`")
    predict.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR", help="image files or folders of images")
    add_device_flag(predict, default="cpu")
    parser.set_defaults(func=run)


def _add_train(commands: argparse._SubParsersAction) -> None:
    from fashiongan.classify.config import OPTIONS

    t = commands.add_parser("train", help="train a classifier; writes metrics.json, PNGs and a checkpoint")
    add_option_flags(t.add_argument_group("classifier options"), OPTIONS)
    t.add_argument("--out", metavar="RUN_DIR", help="run folder (default: runs/classify-NNN)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.add_argument("--force", action="store_true", help="write the run into an --out folder that holds other files")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The classifier options given on the command line; folders made absolute (the run may move)."""
    from fashiongan.classify.config import OPTIONS

    given = given_options(args, OPTIONS)
    if "epochs" in given and "minutes" in given:
        raise UserError("--epochs and --minutes cannot be combined: give one budget")
    if "synthetic" not in given and any(k in given for k in ("synthetic_ratio", "synthetic_mode",
                                                             "synthetic_truncation")):
        raise UserError("--synthetic-ratio, --synthetic-mode and --synthetic-truncation need --synthetic GAN_RUN")
    if "synthetic" not in given and any(k in given for k in ("synthetic_checkpoint", "synthetic_only")):
        raise UserError("--synthetic-checkpoint and --synthetic-only need --synthetic GAN_RUN")
    for key in ("data", "synthetic", "synthetic_filter"):
        if given.get(key) not in (None, "fmnist"):
            given[key] = str(Path(given[key]).expanduser().resolve())
    return given


def _command_line(args: argparse.Namespace) -> str:
    """The command as typed, rebuilt from the parsed flags (those that differ from their defaults)."""
    from fashiongan.classify.config import OPTIONS

    words = ["fashiongan", "classify", "train"]
    for key, f, _ in OPTIONS:
        value = getattr(args, dest(key), None)
        if value is not None and value != f.default:
            words += [f"--{f.metadata['flag']}", str(value)]
    words += ["--out", args.out] if args.out else []
    words += [flag for flag, on in (("--resume", args.resume), ("--no-progress", args.no_progress),
                                    ("--force", args.force)) if on]
    return shlex.join(words)


def _default_run_dir() -> Path:
    for i in range(1, 10_000):
        candidate = Path("runs") / f"classify-{i:03d}"
        if not candidate.exists():
            return candidate
    raise UserError("runs/ is full; pass --out RUN_DIR")


def _is_classifier_run(folder: Path) -> bool:
    """Its checkpoints or metrics, or the config.json it writes first (a run stopped before its first epoch)."""
    import json

    if has_any(folder, ("checkpoints", "metrics.json", "history.jsonl")):
        return True
    try:
        saved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(saved, dict) and set(saved) == {"classify", "class_names"}


def _train(args: argparse.Namespace) -> int:
    from fashiongan.classify.checkpoint import load_run
    from fashiongan.classify.config import ClassifyConfig, check_resumable
    from fashiongan.classify.train import train_classifier

    if args.resume and not args.out:
        raise UserError("--resume needs --out RUN_DIR (the classifier run to continue)")
    given = _given(args)
    config = ClassifyConfig(**given)
    if args.resume:  # the saved config, with the given flags that may change (the budget, the device)
        saved = load_run(args.out)[0]
        config = dataclasses.replace(saved, **given)
        check_resumable(saved, config)
    check_out_given_under_torchrun(args.out)
    run_dir = Path(args.out) if args.out else _default_run_dir()
    check_output_folder(run_dir, args.force, _is_classifier_run, what="a classifier run")
    command = _command_line(args)
    result = train_classifier(config, run_dir, resume=args.resume, progress_bar=not args.no_progress,
                              command=command)
    if result.interrupted:
        print(f"Interrupted; continue with: fashiongan classify train --resume --out {run_dir}")
        return 130
    if not result.metrics:  # a rank other than 0 under torchrun: rank 0 tests and reports
        return 0
    m = result.metrics
    print(f"Test accuracy {m['test_accuracy']:.4f} on {m['test_images']} {m['test_split']} test images "
          f"after {m['epochs']} epochs ({m['train_seconds']:.0f} s). Run folder: {run_dir}")
    print(f"  metrics: {run_dir}/metrics.json  confusion matrix: {run_dir}/confusion_matrix.png")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from fashiongan.classify.predict import predict_files

    failed = 0
    for p in predict_files(args.run_dir, args.inputs, device=args.device):
        if p.error is not None:
            print(f"fashiongan: error: {printable(p.path)}: {printable(p.error)}", file=sys.stderr)
            failed += 1
        else:  # names from the file system and the run's config.json are escaped: one line each, no escapes
            print(f"{printable(p.path)}\t{printable(p.class_name)}\t{p.probability:.4f}")
    return 2 if failed else 0


def run(args: argparse.Namespace) -> int:
    return _train(args) if args.classify_command == "train" else _predict(args)
