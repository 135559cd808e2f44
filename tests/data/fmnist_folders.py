"""Fashion-MNIST as class folders of 64-px RGB PNGs (a stand-in for product photos), and back to 28-px gray.

The `folder-best` quality check of docs/quality.md uses both halves:

    python -m tests.data.fmnist_folders write runs/fmnist-rgb64            # ROOT/<k-class>/<i>.png
    fashiongan train --preset folder-best --data runs/fmnist-rgb64 --channels 3 --out runs/fb
    fashiongan generate runs/fb --n 10000 --out runs/fb/samples.npz
    python -m tests.data.fmnist_folders shrink runs/fb/samples.npz runs/fb/samples28.npz
    fashiongan evaluate --samples runs/fb/samples28.npz --data fmnist

Folder names start with the Fashion-MNIST class index ("0-t-shirt-top", …, "9-ankle-boot"), so the folder
loader's sorted class order is Fashion-MNIST's and generated labels index the shipped evaluator's classes.
The RGB images carry the gray image in all three channels.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from PIL import Image

from fashiongan.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist


def folder_name(index: int) -> str:
    """'0-t-shirt-top' for class 0: the index first keeps the sorted order, the name stays readable."""
    return f"{index}-{re.sub(r'[^a-z0-9]+', '-', CLASS_NAMES[index].lower()).strip('-')}"


def write_fmnist_folders(out: str | Path, size: int = 64, per_class: int | None = None, split: str = "train",
                         data_dir: str | Path | None = None) -> Path:
    """Write ``split`` (``per_class`` images per class, or all) as ``size``-px RGB PNGs under ``out``/<class>/."""
    out = Path(out)
    data = load_fashion_mnist(split, data_dir, download=False)
    images, labels = data.images[:, 0].numpy(), data.labels.numpy()
    written = np.zeros(len(CLASS_NAMES), dtype=np.int64)
    for k in range(len(CLASS_NAMES)):
        (out / folder_name(k)).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        if per_class is not None and written[label] >= per_class:
            continue
        big = Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC).convert("RGB")
        big.save(out / folder_name(int(label)) / f"{i:05d}.png")
        written[label] += 1
    return out


def shrink_to_fmnist(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, 3) images → (N, 28, 28) gray (ITU-R 601 luma, then an area resize)."""
    out = np.empty((len(images), 28, 28), dtype=np.uint8)
    for i, image in enumerate(images):
        picture = Image.fromarray(image).convert("L")
        out[i] = np.asarray(picture.resize((28, 28), Image.Resampling.BOX))
    return out


def shrink_npz(source: str | Path, out: str | Path) -> Path:
    """An .npz from ``fashiongan generate`` scaled to 28-px gray, labels kept, for ``evaluate --samples``."""
    with np.load(source) as arrays:
        images, labels = arrays["images"], arrays.get("labels")
    small = shrink_to_fmnist(images)
    np.savez_compressed(out, images=small, **({"labels": labels} if labels is not None else {}))
    return Path(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="Fashion-MNIST as RGB class folders")
    write.add_argument("out")
    write.add_argument("--size", type=int, default=64)
    write.add_argument("--per-class", type=int)
    write.add_argument("--data-dir")
    shrink = commands.add_parser("shrink", help="generated .npz → 28-px gray .npz")
    shrink.add_argument("source")
    shrink.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "write":
        print(write_fmnist_folders(args.out, args.size, args.per_class, data_dir=args.data_dir))
    else:
        print(shrink_npz(args.source, args.out))


if __name__ == "__main__":
    main()
