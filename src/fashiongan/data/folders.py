"""Image folders: scan ROOT/<class>/<images>, decode every good file once into a uint8 tensor, cache it.

``read_image`` is the one per-file validate-and-decode function; ``fashiongan data check`` (checks.py)
uses it too, so the checker and the loader always agree on which files are bad.

The cache is a plain .npy file that images are decoded straight into and that is read back memory-mapped:
a folder larger than memory is never held in it whole, neither while decoding nor while training. The
batch path is unchanged (``index_select`` on the mapped tensor reads just the batch's pages, and the
operating system keeps the hot ones in its page cache).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from fashiongan.data.dataset import ImageDataset
from fashiongan.data.scan import FolderScan, describe_skipped, scan
from fashiongan.errors import UserError
from fashiongan.io import atomic_path, load_tensors, save_tensors, write_json
from fashiongan.paths import user_cache_dir

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
CACHE_VERSION = 2  # bump when decoding or the cache layout changes, so old caches are not reused
WHITE = 255


class BadImageError(Exception):
    """A file that is not a usable image; the message is the reason, e.g. "zero bytes"."""


# --- one file ----------------------------------------------------------------------------------------


def _check_pixels(image: Image.Image, max_pixels: int | None) -> None:
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise BadImageError(f"too large: {width}x{height} pixels is over the limit of {max_pixels}")
    side = max(width, height)
    if max_pixels is not None and side * side > max_pixels:  # --square pad makes a side x side canvas
        raise BadImageError(f"too large once padded square: {width}x{height} pads to {side}x{side}, over the "
                            f"limit of {max_pixels} pixels")


def read_image(path: str | Path, max_pixels: int | None = Image.MAX_IMAGE_PIXELS) -> Image.Image:
    """Validate and fully decode one image file, or raise ``BadImageError`` with the reason.

    The one image decoder: ``data check``, training on folders and ``classify predict`` all read through
    it, so a file the check calls good is one they can use. Checks, in order: a supported extension, a
    non-empty readable file, at most ``max_pixels`` pixels, also once padded to a square (a guard against
    decompression bombs, including 1 x 200,000 strips; Pillow's limit by default), ``Image.verify``, a full
    load (verify alone misses truncated data), and the EXIF rotation (a corrupt EXIF block is a bad file).
    The image comes back upright: its EXIF orientation applied.
    """
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise BadImageError(f"unsupported extension {path.suffix or '(none)'!r}")
    try:
        if path.stat().st_size == 0:
            raise BadImageError("zero bytes")
        # Pillow warns (then errors) above its own pixel limit. catch_warnings is process-wide, one
        # reason the loader decodes in a single thread.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", "Corrupt EXIF data", UserWarning)  # what can be read is used
            with Image.open(path) as image:
                _check_pixels(image, max_pixels)
                image.verify()
            with Image.open(path) as image:  # verify() leaves the image unusable: open again
                image.load()
                copy = image.copy()  # a copy owns its pixels, so no file handle stays open
            return ImageOps.exif_transpose(copy)  # phone photos: apply the EXIF rotation
    except PermissionError:
        raise BadImageError("unreadable (permission denied)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImageError("too large: over Pillow's decompression-bomb limit") from None
    except UnidentifiedImageError:
        raise BadImageError("not an image Pillow can read (corrupt or wrong extension)") from None
    except BadImageError:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, ... for corrupt data
        raise BadImageError(f"corrupt or truncated image ({type(exc).__name__}: {exc})") from None


def _sixteen_bit_to_8(image: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer or float grayscale to 8 bits (Pillow's convert would clip, not scale)."""
    pixels = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and pixels.max() > 255):
        pixels = pixels / 257.0  # 0..65535 -> 0..255
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "L")


def to_mode(image: Image.Image, channels: int) -> Image.Image:
    """Convert any Pillow mode to "L" (channels=1) or "RGB" (3); transparency is composited over white."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = _sixteen_bit_to_8(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (WHITE,) * 4), rgba)
    target = "L" if channels == 1 else "RGB"
    if image.mode != target:
        image = image.convert("RGB").convert(target)  # via RGB: CMYK, P, YCbCr, 1 all go the same way
    return image


def to_square(image: Image.Image, square: str) -> Image.Image:
    """Center-crop to the short side ("crop"), or pad to the long side with white ("pad").

    White padding suits product photos, which are usually shot on white backgrounds.
    """
    width, height = image.size
    if width == height:
        return image
    if square == "crop":
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        return image.crop((left, top, left + side, top + side))
    side = max(width, height)
    canvas = Image.new(image.mode, (side, side), WHITE if image.mode == "L" else (WHITE,) * 3)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def image_to_tensor(image: Image.Image, image_size: int, channels: int, square: str) -> torch.Tensor:
    """A decoded image as a uint8 tensor (C, S, S): converted, made square, then resized."""
    image = to_square(to_mode(image, channels), square)
    if image.size != (image_size, image_size):
        image = image.resize((image_size, image_size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    pixels = np.asarray(image, dtype=np.uint8).reshape(image_size, image_size, channels)
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)


# --- the whole folder, with an on-disk cache ---------------------------------------------------------


def _cache_key(root: Path, files: list[tuple[Path, str]], options: dict) -> str:
    """A hash of every file's relative path, size and mtime, the class names and the options."""
    digest = hashlib.sha256(json.dumps({"version": CACHE_VERSION, **options}, sort_keys=True).encode())
    for path, class_name in files:
        stat = path.stat()
        relative = path.relative_to(root).as_posix()
        digest.update(f"{relative}\0{class_name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _read_cache(stem: Path) -> tuple[ImageDataset, int] | None:
    """The cached dataset (images memory-mapped) and its count of skipped files, or None if absent or damaged."""
    meta_path = stem.with_suffix(".json")
    if not meta_path.is_file():  # the JSON is written last, so its presence means the cache is complete
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        labels = load_tensors(stem.with_suffix(".safetensors"), what="folder cache")["labels"]
        count = int(meta["count"])
        mapped = np.load(stem.with_suffix(".npy"), mmap_mode="c")  # copy-on-write: a writable array, never written
        if mapped.dtype != np.uint8 or mapped.ndim != 4 or len(mapped) < count or len(labels) != count:
            raise ValueError(f"unexpected cache contents {mapped.dtype} {mapped.shape}, {len(labels)} labels")
        dataset = ImageDataset(torch.from_numpy(mapped[:count]), labels, list(meta["class_names"]))
        return dataset, int(meta["skipped"])
    except (OSError, ValueError, KeyError, AssertionError, UserError) as exc:
        log.debug("ignoring damaged folder cache %s (%s)", stem, exc)
        return None


def _decode_all(
    files: list[tuple[Path, str]], class_names: list[str], image_size: int, channels: int, square: str,
    images: np.ndarray,
) -> tuple[torch.Tensor, int]:
    """Decode into ``images`` (len(files), C, S, S) uint8, good images first; returns their labels and how
    many files were bad (the rows after the good ones stay unused)."""
    labels = torch.empty(len(files), dtype=torch.int64)
    index = {name: i for i, name in enumerate(class_names)}
    good = 0
    for path, class_name in tqdm(files, desc="decoding images", unit="img", file=sys.stderr, disable=None):
        try:
            image = read_image(path)
        except BadImageError:
            continue
        images[good] = image_to_tensor(image, image_size, channels, square).numpy()
        labels[good] = index[class_name]
        good += 1
    return labels[:good].clone(), len(files) - good


def _check_options(image_size: int, channels: int, square: str) -> None:
    if channels not in (1, 3):
        raise UserError(f"channels must be 1 (grayscale) or 3 (RGB); got {channels!r}")
    if square not in ("crop", "pad"):
        raise UserError(f"square must be 'crop' or 'pad'; got {square!r}")
    if not isinstance(image_size, int) or image_size < 1:
        raise UserError(f"image size must be a positive integer; got {image_size!r}")


def load_image_folder(
    root: str | Path,
    image_size: int,
    channels: int,
    square: str = "crop",
    cache_dir: str | Path | None = None,
    class_names: list[str] | None = None,
) -> ImageDataset:
    """Every good image of ``ROOT/<class>/...`` as uint8 (N, channels, S, S), with labels and class names.

    Images are made square (``square="crop"``: center crop; ``"pad"``: pad with white, which suits
    product photos on white backgrounds) and resized with Lanczos. Bad files are skipped with one
    warning. The result is cached under ``cache_dir`` (default: the user cache) keyed by the files'
    paths, sizes and mtimes and the options, so a second load of an unchanged folder decodes nothing.
    ``class_names`` fixes the label order (e.g. to share one class list between train and test folders).
    """
    _check_options(image_size, channels, square)
    root = Path(root)
    scanned = scan(root)
    files = scanned.files
    found = sorted({name for _, name in files})
    if class_names is None:
        class_names = found
    elif unknown := sorted(set(found) - set(class_names)):
        raise UserError(f"{root} has classes {unknown} that are not in {class_names}")
    if not files:
        links = f"; links left out: {describe_skipped(scanned.skipped, root)}" if scanned.skipped else ""
        raise UserError(f"no image files in {root} (expected ROOT/<class>/<images>){links}")
    options = {"image_size": image_size, "channels": channels, "square": square, "class_names": class_names}
    cache = Path(cache_dir) if cache_dir is not None else user_cache_dir() / "folders"
    dataset, skipped = _load_or_decode(root, files, options, cache / _cache_key(root, files, options))
    if skipped:
        log.warning(
            "skipped %d bad files in %s; run `fashiongan data check %s` for the list", skipped, root, root
        )
    if not len(dataset):
        raise UserError(f"no readable images in {root}; run `fashiongan data check {root}` to see why")
    _warn_about(scanned)
    return dataset


def _warn_about(scanned: FolderScan) -> None:
    """One warning each for loose files and for links left out (outside ROOT, dangling, loops, twins)."""
    root = scanned.root
    if scanned.loose:
        log.warning("ignored %d files directly in %s: put them in a class folder", len(scanned.loose), root)
    if scanned.skipped:
        log.warning(
            "left out %d links in %s: %s; run `fashiongan data check %s` for the list",
            len(scanned.skipped), root, describe_skipped(scanned.skipped, root), root,
        )  # fmt: skip


def _load_or_decode(
    root: Path, files: list[tuple[Path, str]], options: dict, stem: Path
) -> tuple[ImageDataset, int]:
    """Read the cache at ``stem`` or decode every file into it (each file atomic, the JSON last), then map it."""
    cached = _read_cache(stem)
    if cached is not None:
        return cached
    class_names, size, channels = options["class_names"], options["image_size"], options["channels"]
    with atomic_path(stem.with_suffix(".npy")) as tmp:
        images = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(files), channels, size, size))
        labels, skipped = _decode_all(files, class_names, size, channels, options["square"], images)
        images.flush()
        del images  # unmapped before the rename
    if not len(labels):
        stem.with_suffix(".npy").unlink()
        empty = torch.empty((0, channels, size, size), dtype=torch.uint8)
        return ImageDataset(empty, labels, list(class_names)), skipped
    save_tensors(stem.with_suffix(".safetensors"), {"labels": labels})
    write_json(stem.with_suffix(".json"), {"root": str(root.resolve()), "skipped": skipped, "count": len(labels),
                                           **options})
    cached = _read_cache(stem)
    if cached is None:
        raise UserError(f"the folder cache {stem}.npy could not be read back after writing it")
    return cached
