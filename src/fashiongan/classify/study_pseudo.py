"""The pseudo-label baseline of the transfer arms: a classifier labels the unlabelled images it is sure of.

Pseudo-Label (Lee 2013, "Pseudo-Label: The Simple and Efficient Semi-Supervised Learning Method for Deep
Neural Networks"): the cell's best non-GAN classifier (chosen on the cell's validation split) predicts the
extra images, the ones it gives a class with probability >= ``threshold`` keep that class as their label,
and the same recipe trains on the real images plus these, drawn like GAN images. It is the non-GAN use
of the same extra data as the transfer GAN, so the two stay comparable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from fashiongan.classify.model import probabilities
from fashiongan.classify.predict import load_classifier
from fashiongan.data.dataset import ImageDataset
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.device import resolve_device


@torch.no_grad()
def confident_labels(model: torch.nn.Module, images: torch.Tensor, device: torch.device,
                     batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """(predicted class, its probability) for each uint8 image, the model in eval mode."""
    model.eval()
    classes, confidence = [torch.empty(0, dtype=torch.int64)], [torch.empty(0)]
    for start in range(0, len(images), batch_size):
        batch = scale_to_unit(images[start : start + batch_size].to(device))
        probs = probabilities(model(batch.contiguous(memory_format=torch.channels_last))).float().cpu()
        best, label = probs.max(dim=1)
        classes.append(label)
        confidence.append(best)
    return torch.cat(classes), torch.cat(confidence)


def pseudo_pool(labeller_run: Path, candidates: ImageDataset, threshold: float, per_class: int, seed: int,
                device: str) -> tuple[ImageDataset, dict[str, Any]]:
    """The pseudo-labelled pool: at most ``per_class`` confident images of each class (a seeded draw).

    The true labels of ``candidates`` are read only to report how often the pseudo-labels are right
    (``label_accuracy``), never to choose or train. Returns the pool and its record (how many were
    confident, how many kept per class).
    """
    model, _, class_names = load_classifier(labeller_run, device)
    predicted, confidence = confident_labels(model, candidates.images, resolve_device(device))
    sure = confidence >= threshold
    generator = torch.Generator().manual_seed(seed)
    kept = [torch.empty(0, dtype=torch.int64)]
    for c in range(len(class_names)):
        members = (sure & (predicted == c)).nonzero().flatten()
        kept.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    chosen = torch.cat(kept).sort().values
    pool = ImageDataset(candidates.images[chosen], predicted[chosen].clone(), list(class_names))
    record = {"candidates": len(candidates), "confident": int(sure.sum()), "threshold": threshold,
              "kept_per_class": torch.bincount(pool.labels, minlength=len(class_names)).tolist(),
              "label_accuracy": round(float((candidates.labels[chosen] == pool.labels).float().mean()), 4)
              if len(chosen) else None}  # fmt: skip
    return pool, record
