"""Inception Score analogue computed with the evaluator's class probabilities.

IS = exp( E_x KL(p(y|x) || p(y)) ), with p(y) the mean of p(y|x) over the split; the images are
cut into ``splits`` equal parts and the mean and standard deviation over parts are reported
(Salimans et al. 2016, "Improved Techniques for Training GANs", NeurIPS). It lies in [1, K]: high
when each image is classified confidently (sharp p(y|x)) and the classes are balanced (flat p(y)).
"""

from __future__ import annotations

import numpy as np

DEFAULT_SPLITS = 10


def inception_score(probs: np.ndarray, splits: int = DEFAULT_SPLITS) -> tuple[float, float]:
    """Mean and std of the score over ``splits`` consecutive parts of ``probs`` (N, K)."""
    probs = np.asarray(probs, dtype=np.float64)
    splits = max(1, min(splits, probs.shape[0]))
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        # p log(p / p_y), with 0 log 0 = 0 (p > 0 implies p_y > 0)
        safe_p, safe_marginal = np.where(part > 0, part, 1.0), np.where(marginal > 0, marginal, 1.0)
        terms = np.where(part > 0, part * (np.log(safe_p) - np.log(safe_marginal)), 0.0)
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))
