"""Where fashiongan keeps files it can rebuild: the user cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """The fashiongan cache folder (not created here).

    ``$FASHIONGAN_CACHE`` if set, else ``$XDG_CACHE_HOME/fashiongan``, else ``~/.cache/fashiongan``.
    Everything in it (decoded image folders, downloads, feature statistics) can be rebuilt.
    """
    override = os.environ.get("FASHIONGAN_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "fashiongan"
