"""progress.gif: the fixed-noise grids of every epoch, in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from fashiongan.io import atomic_path

MAX_FRAMES = 200


def evenly_spaced(frames: Sequence[str | Path], count: int = MAX_FRAMES) -> list[str | Path]:
    """At most ``count`` of ``frames``, evenly spread, always keeping the first and the last."""
    if len(frames) <= count:
        return list(frames)
    picks = sorted({round(i * (len(frames) - 1) / (count - 1)) for i in range(count)})
    return [frames[i] for i in picks]


def make_gif(
    frames: Sequence[str | Path], path: str | Path, duration_ms: int = 300, min_width: int = 400
) -> Path | None:
    """Animate PNG ``frames`` (at most ``MAX_FRAMES``, evenly spread) into a looping GIF, enlarged (nearest)
    to at least ``min_width`` px: a long run's GIF stays a few megabytes."""
    if not frames:
        return None
    frames = evenly_spaced(frames)
    images = []
    for frame in frames:
        with Image.open(frame) as picture:
            picture = picture.convert("L" if picture.mode in ("L", "1") else "RGB")
            scale = max(1, -(-min_width // picture.width))
            images.append(picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST))
    durations = [duration_ms] * (len(images) - 1) + [duration_ms * 4]  # hold the last frame
    path = Path(path)
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path
