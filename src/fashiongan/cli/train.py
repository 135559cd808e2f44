"""`fashiongan train`: flags → RunConfig → fashiongan.training.loop.train.

The config flags come from the option declarations (cli/options.py); this module adds only what is
not a config option (preset, --out, --resume, …) and three shortcuts (--lr, --minutes, --unconditional).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

from fashiongan import distributed
from fashiongan.cli.common import check_out_given_under_torchrun, float_in
from fashiongan.cli.options import add_config_flags, config_help, given_config_overrides
from fashiongan.config import PRESETS, RunConfig, apply_overrides, check_resume, make_config, validate
from fashiongan.errors import UserError
from fashiongan.io import check_writable_folder
from fashiongan.outputs import check_output_folder, has_any

DEFAULT_PRESET = "fmnist-best"
RUN_FOLDER_MARKS = ("checkpoints", "metrics.jsonl", "metrics.jsonl.stale", "samples")  # train makes samples/ first


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help=f"train a GAN (default preset: {DEFAULT_PRESET})",
                              description="Train a GAN. Flags override the preset; the merged config is saved in "
                              "RUN_DIR/config.json. Re-run the same command with --resume to continue.")
    p.add_argument("--preset", choices=list(PRESETS), default=None, help=f"starting config (default: {DEFAULT_PRESET})")
    p.add_argument("--out", metavar="RUN_DIR", help="run folder (default: runs/<preset>-NNN)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--force", action="store_true", help="write the run into an --out folder that holds other files")
    p.add_argument("--minutes", type=float_in(0, 1e7), metavar="M", help="time budget in minutes (= --seconds 60*M)")
    p.add_argument("--lr", type=float_in(0, 1), metavar="LR", help="Adam learning rate of both G and D")
    p.add_argument("--unconditional", action="store_true", help="ignore class labels (= --no-conditional)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    add_config_flags(p)
    p.set_defaults(func=run)


def given_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides = given_config_overrides(args)
    source = overrides.get("data.source")
    if source not in (None, "fmnist"):  # absolute, so generate/evaluate work from any folder later
        overrides["data.source"] = str(Path(source).expanduser().resolve())
    if args.lr is not None:
        overrides["train.lr_g"] = overrides["train.lr_d"] = args.lr
    if args.minutes is not None:
        overrides["train.seconds"] = args.minutes * 60.0
    if args.unconditional:
        overrides["model.conditional"] = False
    return overrides


def new_config(args: argparse.Namespace, overrides: dict[str, Any]) -> RunConfig:
    preset = args.preset or DEFAULT_PRESET
    if overrides.get("data.source", "fmnist") != "fmnist" and not PRESETS[preset].get("data.image_size") \
            and "data.image_size" not in overrides:
        overrides["data.image_size"] = 64  # a folder with a Fashion-MNIST preset: 64 px
    return make_config(preset, overrides)


def resumed_config(args: argparse.Namespace, overrides: dict[str, Any]) -> RunConfig:
    """The saved config with the given flags applied; a flag that would change a fixed setting is refused."""
    from fashiongan.run.folder import load_run_config, trained_world_size

    config = load_run_config(args.out)
    if args.preset and args.preset != config.preset:
        raise UserError(f"--resume: the run was trained with --preset {config.preset}, not {args.preset}; "
                        "drop --preset or start a new run")
    resumed = copy.deepcopy(config)
    apply_overrides(resumed, overrides)
    world = (distributed.world_size(), trained_world_size(args.out, config))
    check_resume(config, resumed, *world)  # train() checks again; this also guards --dry-run
    validate(resumed)
    return resumed


def has_saved_config(run_dir: str) -> bool:
    return (Path(run_dir) / "config.json").is_file()


def default_run_dir(preset: str) -> Path:
    for i in range(1, 10_000):
        candidate = Path("runs") / f"{preset}-{i:03d}"
        if not candidate.exists():
            return candidate
    raise UserError("runs/ is full; pass --out RUN_DIR")


def run(args: argparse.Namespace) -> int:
    if args.help_config:
        print(config_help())
        return 0
    if args.resume and not args.out:
        raise UserError("--resume needs --out RUN_DIR (the run to continue)")
    overrides = given_overrides(args)
    resuming = args.resume and has_saved_config(args.out)
    config = resumed_config(args, overrides) if resuming else new_config(args, overrides)
    if args.dry_run:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    from fashiongan.training.loop import train

    check_out_given_under_torchrun(args.out)
    run_dir = Path(args.out) if args.out else default_run_dir(config.preset)
    check_writable_folder(run_dir, "--out")  # now, not after the data is loaded
    check_output_folder(run_dir, args.force, lambda folder: has_any(folder, RUN_FOLDER_MARKS), what="a GAN run")
    result = train(config, run_dir, resume=args.resume, progress_bar=not args.no_progress)
    print_summary(result)
    return 130 if result.interrupted else 0


def print_summary(result: Any) -> None:
    run_dir = result.run_dir
    if result.interrupted:
        print(f"Stopped ({result.stop_reason}) after {result.epochs_done} full epochs; "
              f"saved {run_dir}/checkpoints/last")
        print("Continue with the same command and --resume")
        return
    why = "time budget spent" if result.stop_reason == "budget" else "epochs done"
    print(f"Trained {result.epochs_done} epochs ({why}). Run folder: {run_dir}")
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
