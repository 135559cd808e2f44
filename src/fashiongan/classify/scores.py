"""Accuracy, confusion matrix and per-class precision/recall/F1 of a classifier on a dataset."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fashiongan.data.dataset import ImageDataset
from fashiongan.evaluation.classes import confusion_matrix
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.device import autocast


@torch.no_grad()
def predict_labels(
    model: nn.Module, images: torch.Tensor, device: torch.device, batch_size: int = 1000,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Predicted labels (N,) of uint8 ``images`` (N, C, H, W), the model in eval mode (``dtype`` autocast)."""
    model.eval()
    predictions = []
    for start in range(0, len(images), batch_size):
        batch = scale_to_unit(images[start : start + batch_size].to(device)).contiguous(
            memory_format=torch.channels_last)
        with autocast(device, dtype):
            logits = model(batch).float()
        predictions.append((logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(1))
    return torch.cat(predictions).cpu() if predictions else torch.empty(0, dtype=torch.int64)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def score(model: nn.Module, data: ImageDataset, device: torch.device, dtype: torch.dtype | None = None
          ) -> dict[str, Any]:
    """accuracy, confusion_matrix and per_class {name: precision, recall, f1, support} on ``data``."""
    predicted = predict_labels(model, data.images, device, dtype=dtype)
    confusion = torch.from_numpy(confusion_matrix(data.labels.numpy(), predicted.numpy(), data.num_classes))
    per_class = {}
    for k, name in enumerate(data.class_names):
        true_positive = float(confusion[k, k])
        precision = _ratio(true_positive, float(confusion[:, k].sum()))
        recall = _ratio(true_positive, float(confusion[k].sum()))
        per_class[name] = {"precision": round(precision, 5), "recall": round(recall, 5),
                           "f1": round(_ratio(2 * precision * recall, precision + recall), 5),
                           "support": int(confusion[k].sum())}  # fmt: skip
    accuracy = _ratio(float(confusion.diag().sum()), float(confusion.sum()))
    return {"accuracy": round(accuracy, 5), "confusion_matrix": confusion.tolist(), "per_class": per_class}
