"""`fashiongan export`: a run's generator as an ONNX file or as a shareable model folder (optionally pushed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fashiongan.errors import UserError
from fashiongan.outputs import inside_run


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export a trained generator (ONNX, or a model folder for a hub)",
                              description="Export RUN_DIR's generator. onnx: one .onnx file (inputs z and labels, "
                              "dynamic batch), checked in onnxruntime. hub: a folder with config.json, "
                              "model.safetensors and a README.md model card.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `fashiongan train` (or a model folder)")
    p.add_argument("--format", required=True, choices=("onnx", "hub"), help="onnx or hub")
    p.add_argument("--out", required=True, metavar="PATH", help="FILE.onnx for onnx, a folder for hub")
    p.add_argument("--push", metavar="REPO_ID", help="hub only: upload the folder to this Hugging Face model repo")
    p.add_argument("--checkpoint", choices=("last", "best"), default="last", help="which checkpoint (default last)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=run)


def check_out(out: Path, fmt: str, force: bool) -> None:
    run = inside_run(out)
    if run is not None:  # --force or not: a run's config.json, checkpoints and samples are the run's
        raise UserError(f"--out {out} would write into the run folder {run}; an export never replaces a run's "
                        "files: choose a folder outside it")
    if fmt == "onnx":
        if out.suffix.lower() != ".onnx":
            raise UserError(f"--out must end in .onnx for --format onnx; got {out}")
        if out.exists() and not force:
            raise UserError(f"{out} already exists; pass --force to overwrite it")
    elif out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        raise UserError(f"--out {out} must be a new or empty folder for --format hub (or pass --force)")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.push and args.format != "hub":
        raise UserError("--push uploads a model folder: use it with --format hub")
    check_out(out, args.format, args.force)
    if args.format == "onnx":
        from fashiongan.export.onnx import export_onnx, require_onnx
        from fashiongan.generate import load_generator

        require_onnx()
        generator, config, _ = load_generator(args.run_dir, args.checkpoint, "cpu")
        diff = export_onnx(generator, out, config.model.conditional)
        print(f"Wrote {out} (checked in onnxruntime: max abs difference {diff:.1e})")
        return 0
    from fashiongan.export.hub import export_model_folder, push_folder

    export_model_folder(args.run_dir, out, args.checkpoint)
    print(f"Wrote a model folder to {out} (config.json, model.safetensors, README.md, samples.png)")
    if args.push:
        print(f"Pushed to {push_folder(out, args.push)}")
    return 0
