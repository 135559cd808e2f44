"""fashiongan: train GANs that make new fashion images, generate them per class, measure them.

    import fashiongan
    config = fashiongan.make_config("fmnist", {"train.epochs": 5})
    fashiongan.train(config, "runs/mine")
    samples = fashiongan.generate("runs/mine", n=100, class_index="Sneaker")
    numbers = fashiongan.evaluate_run("runs/mine")
"""

from __future__ import annotations

from typing import Any

# `generate` is both a module and its main function: importing the function here binds the package
# attribute to the function (the module stays importable as fashiongan.generate).
from fashiongan.config import RunConfig, make_config  # noqa: E402
from fashiongan.errors import UserError  # noqa: E402
from fashiongan.generate import Samples, generate, load_generator  # noqa: E402
from fashiongan.version import __version__  # noqa: E402

_LAZY = {
    "train": "fashiongan.training.loop",
    "load_dataset": "fashiongan.data.load",
    "evaluate_run": "fashiongan.evaluation.evaluate",
    "evaluate_samples": "fashiongan.evaluation.evaluate",
}
__all__ = ["__version__", "RunConfig", "Samples", "UserError", "generate", "load_generator", "make_config", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fashiongan' has no attribute {name!r}")
