"""Held-out checkpoint choice for small data: score the generator on images it never trained on.

On a few hundred images a GAN often peaks and then declines as D memorises the training set and G follows
it into copies (Karras et al. 2020, Fig. 1). Training to the end of a budget then returns a worse model
than one seen on the way. So every ``select_kimg`` thousand images the run samples ``select_n`` images from
its EMA generator (fixed seeds) and measures them against the held-out images (``--holdout`` per class,
carved from the training data, never the test split):

- ``holdout_kid``: KID in a feature space (below), the score ``checkpoints/best`` keeps the minimum of.
  KID rather than FID because FID's bias grows as the sample shrinks and these sets hold 20–1,000
  images; KID's estimator is unbiased (Bińkowski et al. 2018, sec. 3). ``holdout_fid`` is recorded too.
  The features are divided by the held-out features' RMS first: KID's cubic kernel (x . y / d + 1)^3 is
  not scale-free, and on a random network's small features every KID came out below 1e-6 (the first
  score stayed "best"). One unbiased MMD^2 of all held-out images against all samples, no subsets: at
  2 held-out images per class, subsets of the smaller set's size would be 20 images.
- ``holdout_copies``: the share of samples closer to a training image than 99 % of held-out images are
  (the memorisation test of ``fashiongan evaluate``, on the training subset): about 0.01 for a model
  that does not copy; the run warns above ``COPIES_WARNING``.

The feature space is the evaluator that fits the data (the shipped one for Fashion-MNIST, ``--evaluator``
for a folder) or, with ``select_features=random`` or when none fits, a randomly initialised network of the
evaluator's architecture with a fixed seed: data-free features that still separate distributions (Naeem
et al. 2020, sec. 5), for runs that must not use a network trained on other labelled data (the study).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from fashiongan.config import RunConfig, TrainConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.evaluation.features import compute_features, load_evaluator
from fashiongan.evaluation.fid import fid_from_features
from fashiongan.evaluation.kid import mmd2_unbiased
from fashiongan.evaluation.memorisation import nearest_neighbours
from fashiongan.evaluation.network import EvaluatorNet
from fashiongan.generate import class_labels, sample
from fashiongan.run.checkpoint import TrainingProgress

log = logging.getLogger(__name__)

RANDOM_FEATURES_SEED = 20_201_207
SELECT_SEEDS_START = 20_000_000  # sample seeds of held-out scores, apart from grid and evaluation seeds
COPIES_WARNING = 0.05  # five times what a model that does not copy scores


def feature_network(config: RunConfig, device: torch.device) -> tuple[nn.Module, str]:
    """The network whose features held-out scores use, and its name for the record."""
    wanted = config.train.select_features
    fits = config.data.source == "fmnist" or config.train.evaluator is not None
    if wanted == "evaluator" or (wanted == "auto" and fits):
        net, info = load_evaluator(config.train.evaluator, device=device)
        if info.channels == config.data.channels:
            return net, "evaluator" if config.train.evaluator is None else f"evaluator {config.train.evaluator}"
        log.warning("the evaluator takes %d-channel images; held-out scores use random features", info.channels)
    generator = torch.Generator().manual_seed(RANDOM_FEATURES_SEED)
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=generator)))
        net = EvaluatorNet(in_channels=config.data.channels, num_classes=max(1, config.model.num_classes))
    return net.to(device).eval(), "random"


@dataclass
class HoldoutScorer:
    """Features of the held-out and training images, computed once; scores a generator against them."""

    net: nn.Module
    feature_name: str
    holdout: np.ndarray  # (H, D) held-out features, divided by ``scale``
    train: torch.Tensor  # (T, D) training features, divided by ``scale``
    scale: float  # the held-out features' RMS: KID's kernel then sees entries of about 1, whatever the network
    copy_threshold: float  # 1st percentile of held-out-to-training distances
    num_classes: int
    n: int
    device: torch.device

    @classmethod
    def maybe(cls, config: RunConfig, train: ImageDataset, holdout: ImageDataset | None,
              device: torch.device) -> HoldoutScorer | None:
        """A scorer when the run holds images out and scores them (--holdout and --select-kimg)."""
        if holdout is None or config.train.select_kimg == 0:
            return None
        return cls.build(config, train, holdout, device)

    @classmethod
    def build(cls, config: RunConfig, train: ImageDataset, holdout: ImageDataset,
              device: torch.device) -> HoldoutScorer:
        net, name = feature_network(config, device)
        held, _ = compute_features(net, holdout.images, device=device, progress=False)
        scale = float(np.sqrt(np.mean(np.square(held, dtype=np.float64)))) or 1.0
        held = held / scale
        train_features, _ = compute_features(net, train.images, device=device, progress=False)
        train_tensor = torch.from_numpy(train_features / scale)
        distances, _ = nearest_neighbours(torch.from_numpy(held), train_tensor)
        return cls(net, name, held, train_tensor, scale, float(np.quantile(distances, 0.01)),
                   config.model.num_classes if config.model.conditional else 0, config.train.select_n, device)

    def score(self, generator: nn.Module) -> dict[str, Any]:
        """holdout_kid, holdout_fid and holdout_copies of ``n`` samples from ``generator``."""
        labels = class_labels(self.n, self.num_classes, None) if self.num_classes else None
        images = sample(generator, range(SELECT_SEEDS_START, SELECT_SEEDS_START + self.n), labels, self.device)
        features, _ = compute_features(self.net, images, device=self.device, progress=False)
        features = features / self.scale
        distances, _ = nearest_neighbours(torch.from_numpy(features), self.train)
        kid_value = mmd2_unbiased(self.holdout, features)  # float64 from compute_features
        return {
            "holdout_kid": float(f"{kid_value:.6g}"),
            "holdout_fid": round(fid_from_features(self.holdout, features), 4),
            "holdout_copies": round(float((distances < self.copy_threshold).mean()), 4),
        }


def judge(score: dict[str, Any], best: float | None, stale: int) -> tuple[bool, int]:
    """(is this the best score so far, scores in a row without improvement after this one)."""
    value = score["holdout_kid"]
    if best is None or value < best:
        return True, 0
    return False, stale + 1


def warn_copies(score: dict[str, Any], images_seen: int, augment: str) -> None:
    if score["holdout_copies"] > COPIES_WARNING:
        advice = "a lower --ada-target" if augment == "ada" else "--augment ada"
        log.warning("after %d images, %.0f%% of samples are closer to a training image than 99%% of held-out "
                    "images are: the generator may be copying; try %s, checkpoints/best, or more data",
                    images_seen, 100 * score["holdout_copies"], advice)


def score_holdout(scorer: HoldoutScorer, generator: nn.Module, progress: TrainingProgress, train: TrainConfig,
                  record: dict[str, Any], last: bool, fraction: float = 1.0) -> tuple[bool, bool]:
    """Score the held-out images when due (every ``select_kimg``, and at the end), into ``record``.

    Returns (this is the best score so far: save ``best``, the run is out of ``--patience``). The counters
    live in ``progress``, so a resumed run keeps judging where it left off. Before ``select_after`` of the
    run (``fraction``) a score is recorded but judges nothing: with a few dozen held-out images an early,
    poor generator can score a lower KID by chance than the trained one (the study's cells n10-s3 and n25-s2
    kept their first checkpoint that way), and a GAN on small data rarely peaks in its first half.
    """
    if progress.images_seen < progress.next_select and not last:
        return False, False
    score = scorer.score(generator)
    record.update(score)
    progress.next_select = progress.images_seen + int(train.select_kimg * 1000)
    warn_copies(score, progress.images_seen, train.augment)
    if fraction < train.select_after and not last:
        record["holdout_judged"] = False
        return False, False
    is_best, progress.stale_scores = judge(score, progress.best_holdout, progress.stale_scores)
    if is_best:
        progress.best_holdout = score["holdout_kid"]
    return is_best, train.patience > 0 and progress.stale_scores >= train.patience
