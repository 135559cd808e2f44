"""One entry point from a ``DataConfig`` to an ``ImageDataset``: Fashion-MNIST or an image folder."""

from __future__ import annotations

from pathlib import Path

from fashiongan.config import DataConfig
from fashiongan.data.classes import keep_classes
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.fashion_mnist import load_fashion_mnist
from fashiongan.data.folders import load_image_folder
from fashiongan.data.scan import scan_folder
from fashiongan.errors import UserError

SPLITS = ("train", "test")


def _folder(config: DataConfig) -> Path:
    root = Path(config.source).expanduser()
    if not root.is_dir():
        raise UserError(
            f"--data {config.source}: no such folder; pass 'fmnist' or a folder ROOT/<class>/<images>"
        )
    return root


def _has_split_folders(root: Path) -> bool:
    return (root / "train").is_dir() and (root / "test").is_dir()


def has_test_split(config: DataConfig) -> bool:
    """True for Fashion-MNIST and for folders with ``train/`` and ``test/`` subfolders."""
    return config.source == "fmnist" or _has_split_folders(_folder(config))


def _split_class_names(root: Path) -> list[str]:
    """The classes of ROOT/train and ROOT/test together, so both splits label them the same way."""
    names: set[str] = set()
    for split in SPLITS:
        folder = root / split
        if not any(p.is_dir() and not p.name.startswith(".") for p in folder.iterdir()):
            raise UserError(f"{folder} must hold class folders ({folder}/<class>/<images>)")
        names.update(name for _, name in scan_folder(folder))
    return sorted(names)


def load_dataset(config: DataConfig, split: str = "train") -> ImageDataset:
    """The ``split`` ("train" or "test") of ``config.source``: "fmnist" or an image folder.

    A folder has only a train split unless it holds ``train/`` and ``test/`` subfolders; then each
    split loads its own subfolder, with one class list shared by both. ``config.classes`` keeps only those
    classes (relabelled in order); no other subset is taken here.
    """
    if split not in SPLITS:
        raise UserError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    data = _load_split(config, split)
    return keep_classes(data, config.classes) if config.classes else data


def _load_split(config: DataConfig, split: str) -> ImageDataset:
    if config.source == "fmnist":
        return load_fashion_mnist(split, config.data_dir)
    root = _folder(config)
    options = {"image_size": config.image_size, "channels": config.channels, "square": config.square}
    options["cache_dir"] = config.cache_dir
    if _has_split_folders(root):
        return load_image_folder(root / split, class_names=_split_class_names(root), **options)
    if split == "test":
        raise UserError(
            f"{root} has no test split; put held-out images in {root}/test/<class>/ "
            f"and training images in {root}/train/<class>/"
        )
    return load_image_folder(root, **options)
