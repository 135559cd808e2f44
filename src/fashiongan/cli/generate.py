"""`fashiongan generate`: images from a trained run to a PNG grid, an .npz, or a folder of PNGs."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np
import torch

from fashiongan.cli.common import int_at_least, seeds
from fashiongan.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("generate", help="draw new images from a trained run",
                              description="Draw images from RUN_DIR. --out FILE.png writes one grid, FILE.npz the "
                              "arrays (images uint8, labels int64), and a folder one PNG per image.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `fashiongan train`")
    p.add_argument("--n", type=int_at_least(1), default=64, metavar="N", help="number of images (default 64)")
    p.add_argument("--class", dest="class_", metavar="NAME_OR_INDEX", help="only this class (conditional models)")
    p.add_argument("--seed", type=int_at_least(0), default=0, metavar="S", help="image i uses seed S+i (default 0)")
    p.add_argument("--seeds", type=seeds, metavar="LIST", help="explicit seeds, e.g. 0-63 or 1,5,9 (overrides --n)")
    p.add_argument("--interpolate", action="store_true", help="a grid of walks between noise vectors")
    p.add_argument("--checkpoint", choices=("last", "best"), default="last", help="which checkpoint (default last)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    p.add_argument("--nrow", type=int_at_least(1), metavar="K", help="images per grid row")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--out", required=True, metavar="PATH", help="FILE.png, FILE.npz, or a folder")
    p.set_defaults(func=run)


def output_kind(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in (".png", ".npz"):
        return suffix[1:]
    if suffix and not out.is_dir():
        raise UserError(f"--out must end in .png or .npz, or name a folder; got {out}")
    return "folder"


def check_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it")


def run(args: argparse.Namespace) -> int:
    from fashiongan.generate import generate, interpolation_grid
    from fashiongan.viz.grids import save_grid

    out = Path(args.out)
    kind = output_kind(out)
    if args.interpolate:
        if kind != "png":
            raise UserError("--interpolate draws a grid: --out must end in .png")
        check_overwrite(out, args.force)
        images, steps = interpolation_grid(args.run_dir, class_index=args.class_, seed=args.seed,
                                           checkpoint=args.checkpoint, device=args.device)
        save_grid(images, out, nrow=steps, scale=grid_scale(images))
        print(f"Wrote an interpolation grid ({images.shape[0] // steps} walks of {steps}) to {out}")
        return 0
    samples = generate(args.run_dir, n=args.n, class_index=args.class_, seed=args.seed,
                       checkpoint=args.checkpoint, device=args.device, seeds=args.seeds)
    if kind == "png":
        check_overwrite(out, args.force)
        images, nrow = grid_layout(samples.images, samples.labels, len(samples.class_names), args.nrow)
        save_grid(images, out, nrow=nrow, scale=grid_scale(images))
    elif kind == "npz":
        check_overwrite(out, args.force)
        save_npz(out, samples.images, samples.labels)
    else:
        write_folder(out, samples.images, samples.labels, samples.class_names, args.force)
    print(f"Wrote {samples.images.shape[0]} images to {out}")
    return 0


def grid_scale(images: torch.Tensor) -> int:
    return max(1, 2 * 28 // images.shape[-1])


def grid_layout(images: torch.Tensor, labels: torch.Tensor | None, num_classes: int, nrow: int | None):
    """One row per class when the classes cycle; otherwise a near-square grid."""
    if nrow is not None:
        return images, nrow
    if labels is not None and labels.unique().numel() > 1:
        order = torch.argsort(labels, stable=True)
        return images[order], math.ceil(images.shape[0] / labels.unique().numel())
    return images, math.ceil(math.sqrt(images.shape[0]))


def save_npz(path: Path, images: torch.Tensor, labels: torch.Tensor | None) -> None:
    """images uint8 (N, H, W) for gray or (N, H, W, 3) for RGB; labels int64 (N,) when conditional."""
    from fashiongan.io import atomic_path

    array = images.numpy()
    array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
    arrays = {"images": np.ascontiguousarray(array)}
    if labels is not None:
        arrays["labels"] = labels.numpy().astype(np.int64)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "class"


def write_folder(
    out: Path, images: torch.Tensor, labels: torch.Tensor | None, class_names: list[str], force: bool
) -> None:
    """One PNG per image, named <class>_<index>.png (image_<index>.png for an unconditional model)."""
    from fashiongan.viz.grids import save_grid

    out.mkdir(parents=True, exist_ok=True)
    names = [f"{slug(class_names[int(labels[i])])}_{i:05d}.png" if labels is not None else f"image_{i:05d}.png"
             for i in range(images.shape[0])]
    if not force:
        for name in names:
            check_overwrite(out / name, force)
    for i, name in enumerate(names):
        save_grid(images[i : i + 1], out / name, nrow=1, padding=0)
