"""`fashiongan generate`: images from a trained run to a PNG grid, an .npz, or a folder of PNGs.

Outputs are checked before any work (an existing file without --force, a folder where a file is
needed, an unwritable folder), and images are drawn and written in chunks, so memory stays bounded
however large --n is. A PNG grid is capped at MAX_GRID images.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import torch

from fashiongan.cli.common import MAX_SEED, int_at_least, seeds, truncation
from fashiongan.cli.options import add_device_flag
from fashiongan.errors import UserError
from fashiongan.io import check_writable_file, check_writable_folder
from fashiongan.outputs import check_output_folder, visible_entries
from fashiongan.text import printable

DEFAULT_N = 64
MAX_GRID = 10_000  # a 100 x 100 grid; beyond that a PNG is unviewable and costs GBs of memory
CHUNK = 1_000  # images drawn and written at a time
INTERPOLATION_STEPS = 10

LabelOf = Callable[[int], int] | None  # the class of image i; None for an unconditional model
Chunk = tuple[torch.Tensor, torch.Tensor | None]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("generate", help="draw new images from a trained run",
                              description="Draw images from RUN_DIR. --out FILE.png writes one grid, FILE.npz the "
                              "arrays (images uint8, labels int64), and a folder one PNG per image.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `fashiongan train`, or a model folder "
                   "made by `fashiongan export --format hub`")
    p.add_argument("--n", type=int_at_least(1), metavar="N",
                   help=f"number of images (default {DEFAULT_N}); with --interpolate, the number of walks (default 8)")
    p.add_argument("--class", dest="class_", metavar="NAME_OR_INDEX", help="only this class (conditional models)")
    p.add_argument("--seed", type=int_at_least(0, MAX_SEED), default=0, metavar="S",
                   help="image i uses seed S+i (default 0)")
    p.add_argument("--seeds", type=seeds, metavar="LIST", help="explicit seeds, e.g. 0-63 or 1,5,9 (instead of --n)")
    p.add_argument("--interpolate", action="store_true",
                   help=f"a grid of --n walks of {INTERPOLATION_STEPS} steps between noise vectors (seeds S, S+1, ...)")
    p.add_argument("--truncation", type=truncation, default=1.0, metavar="T",
                   help="noise std in (0, 1]: below 1 trades variety for cleaner images (default 1)")
    p.add_argument("--checkpoint", choices=("last", "best"), default="last", help="which checkpoint (default last)")
    p.add_argument("--raw", action="store_true",
                   help="sample the generator as trained, not its EMA copy (to measure what the EMA adds)")
    add_device_flag(p)
    p.add_argument("--nrow", type=int_at_least(1), metavar="K", help="images per grid row")
    p.add_argument("--force", action="store_true",
                   help="overwrite existing output files; write into a folder that holds other files")
    p.add_argument("--out", required=True, metavar="PATH", help="FILE.png, FILE.npz, or a folder")
    p.set_defaults(func=run)


def output_kind(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in (".png", ".npz"):
        return suffix[1:]
    if suffix and not out.is_dir():
        raise UserError(f"--out must end in .png or .npz, or name a folder; got {printable(out)}")
    return "folder"


def check_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UserError(f"{printable(path)} already exists; pass --force to overwrite it")


def check_request(args: argparse.Namespace, kind: str) -> int:
    """Refuse flag combinations that would be ignored or too large; returns the number of images."""
    if args.interpolate:
        if kind != "png":
            raise UserError("--interpolate draws a grid: --out must end in .png")
        if args.seeds is not None or args.nrow is not None:
            raise UserError("--interpolate walks between seeds S, S+1, ... (set S with --seed) in rows of "
                            f"{INTERPOLATION_STEPS}: drop --seeds and --nrow")
        walks = args.n if args.n is not None else 8
        n, last_seed = walks * INTERPOLATION_STEPS, args.seed + 2 * walks - 1
    else:
        if args.seeds is not None and args.n is not None:
            raise UserError("give --n (images from seeds S, S+1, ...) or --seeds LIST, not both")
        n = len(args.seeds) if args.seeds is not None else (args.n or DEFAULT_N)
        last_seed = max(args.seeds) if args.seeds is not None else args.seed + n - 1
    if last_seed > MAX_SEED:
        raise UserError(f"--seed {args.seed} with {n} images goes past the largest seed, 2**63 - 1")
    if kind == "png" and n > MAX_GRID:
        raise UserError(f"a PNG grid of {n:,} images is too large (at most {MAX_GRID:,}); "
                        "write them to an .npz file or a folder instead (--out FILE.npz or --out DIR)")
    return n


def check_output(out: Path, kind: str, force: bool) -> None:
    """Fail now, before loading the model, if ``out`` cannot be written."""
    if kind == "folder":
        check_writable_folder(out, "--out")
        check_output_folder(out, force, _holds_only_images, what="generated images")
    else:
        check_writable_file(out, "--out")
        check_overwrite(out, force)


def _holds_only_images(folder: Path) -> bool:
    """Only PNGs named like ours (<class>_<index>.png): the folder of an earlier `generate --out DIR`."""
    return all(re.fullmatch(r".+_[0-9]{5,}\.png", name) for name in visible_entries(folder))


def run(args: argparse.Namespace) -> int:
    if not args.out.strip():
        raise UserError("--out is empty; give FILE.png, FILE.npz or a folder")
    out = Path(args.out)
    kind = output_kind(out)
    n = check_request(args, kind)
    check_output(out, kind, args.force)
    if args.interpolate:
        return write_interpolation(args, out, walks=n // INTERPOLATION_STEPS)
    from fashiongan.generate import load_generator

    generator, config, class_names = load_generator(args.run_dir, args.checkpoint, args.device, module=module(args))
    label_of = class_chooser(config.model.conditional, class_names, args.class_)
    seed_list: Sequence[int] = args.seeds if args.seeds is not None else range(args.seed, args.seed + n)
    chunks = draw_chunks(generator, seed_list, label_of, args.truncation)
    if kind == "png":
        write_grid(out, list(chunks), len(class_names), args.nrow)
    elif kind == "npz":
        from fashiongan.sample_files import write_npz

        write_npz(out, chunks, n, (generator.channels, generator.image_size, generator.image_size))
    else:
        from fashiongan.sample_files import PngNames, check_folder_free, write_png_folder

        names = PngNames(n, label_of, class_names)
        if not args.force:
            check_folder_free(out, names)
        write_png_folder(out, chunks, names)
    print(f"Wrote {n} images to {printable(out)}")
    return 0


def class_chooser(conditional: bool, class_names: list[str], class_: str | None) -> LabelOf:
    """The label of image i (a fixed class, or the classes cycling), or None for an unconditional model."""
    from fashiongan.generate import resolve_class

    if not conditional:
        if class_ is not None:
            raise UserError("this run's model is unconditional: it cannot be asked for a class (drop --class)")
        return None
    if class_ is not None:
        index = resolve_class(class_, class_names)
        return lambda i: index
    return lambda i: i % len(class_names)


def draw_chunks(generator: torch.nn.Module, seed_list: Sequence[int], label_of: LabelOf,
                truncation: float = 1.0) -> Iterator[Chunk]:
    """(images, labels) for CHUNK seeds at a time, through the one sampling path."""
    from fashiongan.generate import sample

    device = next(generator.parameters()).device
    for start in range(0, len(seed_list), CHUNK):
        positions = range(start, min(start + CHUNK, len(seed_list)))
        labels = None if label_of is None else torch.tensor([label_of(i) for i in positions], dtype=torch.int64)
        yield sample(generator, seed_list[positions.start : positions.stop], labels, device,
                     truncation=truncation), labels


def write_grid(out: Path, chunks: list[Chunk], num_classes: int, nrow: int | None) -> None:
    """All images in one PNG (check_request capped their number at MAX_GRID)."""
    from fashiongan.viz.grids import save_grid

    images = torch.cat([images for images, _ in chunks])
    labels = None if chunks[0][1] is None else torch.cat([labels for _, labels in chunks])
    images, nrow = grid_layout(images, labels, num_classes, nrow)
    save_grid(images, out, nrow=nrow, scale=grid_scale(images))


def module(args: argparse.Namespace) -> str | None:
    """The checkpoint module to sample: None lets the run folder choose (its EMA copy where it has one)."""
    return "generator" if args.raw else None


def write_interpolation(args: argparse.Namespace, out: Path, walks: int) -> int:
    from fashiongan.generate import interpolation_grid
    from fashiongan.viz.grids import save_grid

    images, steps = interpolation_grid(args.run_dir, rows=walks, steps=INTERPOLATION_STEPS, class_index=args.class_,
                                       seed=args.seed, checkpoint=args.checkpoint, device=args.device,
                                       module=module(args))
    save_grid(images, out, nrow=steps, scale=grid_scale(images))
    print(f"Wrote an interpolation grid ({images.shape[0] // steps} walks of {steps}) to {printable(out)}")
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
