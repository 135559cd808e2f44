"""What an evaluation returns: the JSON-ready numbers and the arrays the report draws from.

Kept apart from the code that measures (measure.py) and the code that draws (report.py), so that the
report reads a plain value and neither of them imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from fashiongan.evaluation.features import EvaluatorInfo
from fashiongan.evaluation.memorisation import NearestTrain
from fashiongan.evaluation.network import EvaluatorNet

Evaluator = tuple[EvaluatorNet, EvaluatorInfo]  # what load_evaluator returns


@dataclass
class Evaluation:
    """The JSON-ready result plus the arrays the report draws from."""

    result: dict[str, Any]
    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str]  # the data's classes (what labels index)
    reference_images: torch.Tensor
    predicted: np.ndarray  # (N,) the evaluator's class for each image
    evaluator_class_names: list[str]  # what predicted indexes
    train_images: torch.Tensor | None = None
    nearest: dict[str, NearestTrain] = field(default_factory=dict)  # "pixel", "feature"
    nearest_ids: np.ndarray | None = None  # which generated images were searched

