"""Figures without pyplot: drawing never changes the user's matplotlib backend and needs no display."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from fashiongan.io import atomic_write_bytes


def new_figure(width: float, height: float, dpi: int = 100, **subplots: Any) -> tuple[Figure, Any]:
    """A standalone Figure (rendered by Agg when saved) and its axes."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    return fig, fig.subplots(**subplots)


def save_figure(fig: Figure, path: str | Path, **savefig: Any) -> Path:
    """Render ``fig`` to PNG and write it atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path
