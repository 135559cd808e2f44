"""`fashiongan classify train|predict`: fashion classifiers, optionally fed with a GAN's images."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from fashiongan.cli.common import check_out_given_under_torchrun, float_in, int_at_least, truncation
from fashiongan.errors import UserError
from fashiongan.numbers import MAX_CLASSIFIER_SEED, MAX_IMAGE_SIZE
from fashiongan.outputs import check_output_folder, has_any
from fashiongan.text import printable

PRESET_NAMES = ("fmnist-cnn", "small-cnn", "binary256")  # classify.model.PRESETS (kept import-free for --help)


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
    predict.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu", help="default: cpu")
    parser.set_defaults(func=run)


def _add_train(commands: argparse._SubParsersAction) -> None:
    # fmt: off
    t = commands.add_parser("train", help="train a classifier; writes metrics.json, PNGs and a checkpoint")
    t.add_argument("--data", default="fmnist", metavar="fmnist|DIR",
                   help="'fmnist' or a folder ROOT/<class>/<images> (or ROOT/train/, ROOT/test/) (default: fmnist)")
    t.add_argument("--data-dir", metavar="DIR", help="folder holding the Fashion-MNIST IDX files (default: search)")
    t.add_argument("--preset", choices=PRESET_NAMES, default="fmnist-cnn",
                   help="model and recipe: fmnist-cnn (default), small-cnn (the seeds' 3-conv model), "
                        "binary256 (two classes, 256 px RGB)")
    t.add_argument("--image-size", type=int_at_least(4, MAX_IMAGE_SIZE), metavar="S",
                   help="image side in pixels (default: 28 for fmnist, the preset's for folders)")
    t.add_argument("--channels", type=int, choices=(1, 3), help="1 = gray, 3 = RGB (default: the preset's)")
    t.add_argument("--square", choices=("crop", "pad"), default="crop", help="folders: make images square (crop)")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int_at_least(1, 1_000_000), metavar="N",
                        help="training epochs (default: the preset's)")
    budget.add_argument("--minutes", type=float_in(0, 100_000), metavar="M", help="train for M minutes instead")
    t.add_argument("--batch-size", type=int_at_least(1, 65536), metavar="B",
                   help="images per step (default: the preset's)")
    t.add_argument("--lr", type=float_in(0, 1), metavar="LR", help="peak learning rate (default: the preset's)")
    t.add_argument("--augment", choices=("none", "classic"), default="none",
                   help="classic: random flips and shifts of up to 2/28 of the side (default: none)")
    t.add_argument("--synthetic", metavar="GAN_RUN", help="mix in images from this conditional GAN run folder")
    t.add_argument("--synthetic-ratio", type=float_in(0, 100.001), metavar="R",
                   help="synthetic images per real image, each epoch (default: 1)")
    t.add_argument("--synthetic-mode", choices=("fresh", "cached"),
                   help="fresh: new GAN images every epoch; cached: one set reused (default: fresh)")
    t.add_argument("--synthetic-filter", metavar="CLASSIFIER_RUN",
                   help="keep only GAN images this classifier run assigns to the class asked for")
    t.add_argument("--synthetic-min-confidence", type=float_in(0, 1), metavar="P",
                   help="with --synthetic-filter: the probability it must give that class (default 0.5)")
    t.add_argument("--synthetic-truncation", type=truncation, metavar="T",
                   help="noise std of the GAN images, in (0, 1]; below 1 trades variety for fidelity (default: 1)")
    t.add_argument("--per-class", type=int_at_least(1), metavar="N", help="train on N seeded images per class")
    t.add_argument("--val-fraction", type=float_in(0, 1), default=0.1, metavar="F",
                   help="share of the training images held out for validation (default: 0.1)")
    t.add_argument("--seed", type=int_at_least(0, MAX_CLASSIFIER_SEED), default=0, metavar="S",
                   help="random seed, 0 to 2**32 - 1 (default: 0)")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    t.add_argument("--out", metavar="RUN_DIR", help="run folder (default: runs/classify-NNN)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.add_argument("--force", action="store_true", help="write the run into an --out folder that holds other files")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    # fmt: on


def _config(args: argparse.Namespace):
    from fashiongan.classify.config import ClassifyConfig

    given = [args.synthetic_ratio, args.synthetic_mode, args.synthetic_truncation]
    if args.synthetic is None and any(value is not None for value in given):
        raise UserError("--synthetic-ratio, --synthetic-mode and --synthetic-truncation need --synthetic GAN_RUN")
    data = args.data if args.data == "fmnist" else str(Path(args.data).expanduser().resolve())
    synthetic = None if args.synthetic is None else str(Path(args.synthetic).expanduser().resolve())
    return ClassifyConfig(
        data=data, data_dir=args.data_dir, preset=args.preset, image_size=args.image_size, channels=args.channels,
        square=args.square, epochs=args.epochs, minutes=args.minutes, batch_size=args.batch_size, lr=args.lr,
        augment=args.augment, synthetic=synthetic, synthetic_ratio=args.synthetic_ratio or 1.0,
        synthetic_mode=args.synthetic_mode or "fresh",
        synthetic_filter=None if args.synthetic_filter is None else str(Path(args.synthetic_filter).resolve()),
        synthetic_min_confidence=args.synthetic_min_confidence or 0.5,
        synthetic_truncation=args.synthetic_truncation or 1.0, per_class=args.per_class,
        val_fraction=args.val_fraction,
        seed=args.seed, device=args.device,
    )  # fmt: skip


def _command_line(args: argparse.Namespace) -> str:
    """The command as typed, rebuilt from the parsed flags (those that differ from their defaults)."""
    defaults = {"data": "fmnist", "preset": "fmnist-cnn", "square": "crop", "augment": "none", "val_fraction": 0.1,
                "seed": 0, "device": "auto", "resume": False, "no_progress": False, "force": False}
    words = ["fashiongan", "classify", "train"]
    for dest, value in vars(args).items():
        if dest in ("func", "command", "classify_command") or value is None or value == defaults.get(dest):
            continue
        flag = "--" + dest.replace("_", "-")
        words += [flag] if value is True else [flag, str(value)]
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
    from fashiongan.classify.train import load_run, train_classifier

    if args.resume and not args.out:
        raise UserError("--resume needs --out RUN_DIR (the classifier run to continue)")
    config = load_run(args.out)[0] if args.resume else _config(args)
    if args.resume:  # the budget may grow; everything else is the saved config
        config.epochs, config.minutes = args.epochs or config.epochs, args.minutes or config.minutes
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
