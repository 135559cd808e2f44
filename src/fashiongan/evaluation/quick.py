"""The cheap subset of the metrics that the GAN training loop computes every few epochs."""

from __future__ import annotations

from typing import Any

import torch

from fashiongan.config import DataConfig
from fashiongan.evaluation.features import compute_features, load_evaluator
from fashiongan.evaluation.measure import check_fit, class_labels_or_none
from fashiongan.evaluation.metrics import feature_metrics
from fashiongan.evaluation.result import Evaluator
from fashiongan.evaluation.samples_npz import check_labels_range
from fashiongan.evaluation.stats import Reference, reference_features, reference_split

QUICK_KID_SUBSETS = 20

_QUICK_REFERENCES: dict[tuple[Any, ...], Reference] = {}  # the training loop calls quick_evaluate often


def quick_evaluate(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    data_config: DataConfig,
    *,
    evaluator: Evaluator | None = None,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """fid, kid, kid_std, precision, recall and class_accuracy (None without labels), for in-training use.

    The reference features are cached on disk and, within one process, in memory. Pass the
    ``(net, info)`` pair from ``load_evaluator`` as ``evaluator`` to load it only once. Numbers from
    a different N are not comparable with ``evaluate``'s (FID in particular is biased upwards at small N).
    """
    evaluator = evaluator if evaluator is not None else load_evaluator(None, device=device)
    net, info = evaluator
    images, labels = images.cpu(), None if labels is None else labels.cpu()
    check_fit(images, info, "the generator")
    check_labels_range(labels, info.num_classes, "the generator")
    split = reference_split(data_config)
    memo_key = (info.sha256, split, tuple(sorted(vars(data_config).items())))
    if memo_key not in _QUICK_REFERENCES:
        _QUICK_REFERENCES[memo_key] = reference_features(
            data_config, split, evaluator, device, with_radii=True
        )
    ref = _QUICK_REFERENCES[memo_key]
    features, probs = compute_features(net, images, device=device)
    class_labels = class_labels_or_none(labels, info, ref.class_names)
    return feature_metrics(features, probs, class_labels, ref, kid_subsets=QUICK_KID_SUBSETS, full=False)
