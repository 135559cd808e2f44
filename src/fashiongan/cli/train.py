"""`fashiongan train`: flags → RunConfig → fashiongan.training.loop.train."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fashiongan.cli.common import float_in, int_at_least
from fashiongan.config import IMAGE_SIZES, PRESETS, RunConfig, apply_overrides, make_config, validate
from fashiongan.errors import UserError
from fashiongan.io import check_writable_folder

# flag dest → config key. Flags default to None so we know which ones the user gave.
FLAG_KEYS = {
    "data": "data.source",
    "data_dir": "data.data_dir",
    "image_size": "data.image_size",
    "channels": "data.channels",
    "square": "data.square",
    "limit": "data.limit",
    "discriminator": "model.discriminator",
    "z_dim": "model.z_dim",
    "epochs": "train.epochs",
    "batch_size": "train.batch_size",
    "seed": "train.seed",
    "device": "train.device",
    "eval_every": "train.eval_every",
    "eval_n": "train.eval_n",
    "evaluator": "train.evaluator",
}
MAX_Z_DIM = 4096  # far above any useful noise size; larger ones only fail to allocate
MAX_EVAL_N = 100_000  # evaluation holds every image in memory
RESUMABLE = {"epochs", "device", "eval_every", "eval_n", "data_dir", "tensorboard", "evaluator"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a GAN (default: conditional DCGAN on Fashion-MNIST)",
                              description="Train a GAN. Flags override the preset; the merged config is saved in "
                              "RUN_DIR/config.json.")
    p.add_argument("--preset", choices=list(PRESETS), default=None, help="starting config (default: fmnist)")
    p.add_argument("--data", metavar="fmnist|DIR", help="'fmnist' or a folder ROOT/<class>/<images> (default: fmnist)")
    p.add_argument("--data-dir", metavar="DIR", help="folder holding the Fashion-MNIST IDX files (default: search)")
    p.add_argument("--image-size", type=int, choices=IMAGE_SIZES, help="side in pixels (folders: default 64)")
    p.add_argument("--channels", type=int, choices=(1, 3), help="1 = grayscale, 3 = RGB (folders)")
    p.add_argument("--square", choices=("crop", "pad"), help="make folder images square by center-crop or pad")
    p.add_argument("--limit", type=int_at_least(1), metavar="N", help="train on a seeded random subset of N images")
    p.add_argument("--discriminator", choices=("conv", "mlp"), help="discriminator type (default: conv)")
    p.add_argument("--unconditional", action="store_true", help="ignore class labels")
    p.add_argument("--z-dim", type=int_at_least(1, MAX_Z_DIM), metavar="N", help="noise size (default 100)")
    p.add_argument("--epochs", type=int_at_least(1), metavar="N", help="total epochs (with --resume too)")
    p.add_argument("--batch-size", type=int_at_least(1), metavar="B", help="images per step (default 128)")
    p.add_argument("--lr", type=float_in(0, 1), metavar="LR", help="Adam learning rate of G and D (default 1e-4)")
    p.add_argument("--seed", type=int_at_least(0), metavar="S", help="seed of weights, noise and data order")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where to train (default: auto)")
    p.add_argument("--out", metavar="RUN_DIR", help="run folder (default: runs/<preset>-NNN)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--eval-every", type=int_at_least(0), metavar="K", help="evaluate every K epochs (0: never)")
    p.add_argument("--eval-n", type=int_at_least(100, MAX_EVAL_N), metavar="N",
                   help=f"images per evaluation (default 2000, at most {MAX_EVAL_N:,})")
    p.add_argument("--evaluator", metavar="PATH", help="evaluator weights for --eval-every on a folder dataset")
    p.add_argument("--tensorboard", action="store_true", help="also log scalars for TensorBoard")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.set_defaults(func=run)


def given_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides = {key: getattr(args, dest) for dest, key in FLAG_KEYS.items() if getattr(args, dest) is not None}
    if args.data not in (None, "fmnist"):  # absolute, so generate/evaluate work from any folder later
        overrides["data.source"] = str(Path(args.data).expanduser().resolve())
    if args.lr is not None:
        overrides["train.lr_g"] = overrides["train.lr_d"] = args.lr
    if args.unconditional:
        overrides["model.conditional"] = False
    if args.tensorboard:
        overrides["train.tensorboard"] = True
    return overrides


def resolve_config(args: argparse.Namespace) -> RunConfig:
    overrides = given_overrides(args)
    if not args.resume:
        if args.data not in (None, "fmnist") and args.image_size is None and (args.preset or "fmnist") == "fmnist":
            overrides.setdefault("data.image_size", 64)  # a folder with the default preset: 64 px
        return make_config(args.preset or "fmnist", overrides)
    from fashiongan.generate import load_run_config

    changed = sorted(
        dest for dest in vars(args) if dest not in RESUMABLE and dest in FLAG_KEYS and getattr(args, dest) is not None
    )
    changed += [flag for flag, on in (("lr", args.lr is not None), ("preset", args.preset), ("unconditional",
                args.unconditional)) if on]
    if changed:
        raise UserError(f"--resume continues the saved config; these flags cannot change it: {', '.join(changed)} "
                        f"(allowed: {', '.join(sorted(RESUMABLE))})")
    config = load_run_config(args.out)
    apply_overrides(config, overrides)
    validate(config)
    return config


def default_run_dir(preset: str) -> Path:
    for i in range(1, 10_000):
        candidate = Path("runs") / f"{preset}-{i:03d}"
        if not candidate.exists():
            return candidate
    raise UserError("runs/ is full; pass --out RUN_DIR")


def run(args: argparse.Namespace) -> int:
    if args.resume and not args.out:
        raise UserError("--resume needs --out RUN_DIR (the run to continue)")
    config = resolve_config(args)
    if args.dry_run:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    from fashiongan.training.loop import train

    run_dir = Path(args.out) if args.out else default_run_dir(config.preset)
    check_writable_folder(run_dir, "--out")  # now, not after the data is loaded
    result = train(config, run_dir, resume=args.resume, progress_bar=not args.no_progress)
    print_summary(result)
    return 130 if result.interrupted else 0


def print_summary(result: Any) -> None:
    run_dir = result.run_dir
    if result.interrupted:
        print(f"Interrupted after {result.epochs_done} full epochs; saved {run_dir}/checkpoints/last")
        print(f"Continue with: fashiongan train --resume --out {run_dir}")
        return
    print(f"Trained {result.epochs_done} epochs. Run folder: {run_dir}")
    if result.records:
        last = result.records[-1]
        print(f"  last epoch: D loss {last['d_loss']:.3f}, G loss {last['g_loss']:.3f}, "
              f"D accuracy real {last['d_acc_real']:.2f} / fake {last['d_acc_fake']:.2f}")
    print(f"  samples:    {run_dir}/samples/ (one grid per epoch)")
    for path in result.outputs:
        print(f"  {path.stem + ':':<11} {path}")
    print(f"  checkpoint: {run_dir}/checkpoints/last")
    print(f"  metrics:    {run_dir}/metrics.jsonl")
    print(f"Generate more with: fashiongan generate {run_dir} --n 100 --out samples.png")
