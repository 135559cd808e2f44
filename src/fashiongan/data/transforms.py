"""Image operations on whole batches, shared by every trainer of a classifier (the classifiers, the evaluator).

They work on float tensors already on the device, drawing their random numbers from a CPU generator, so a
seeded run is reproducible on any device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_flip_and_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Flip each image left-right with probability 1/2 and shift it by up to ``max_shift`` pixels each way.

    x: float (N, C, H, W). Edges are extended (replicate padding), so a shift never brings in a
    border of a colour the image did not have. Random numbers come from ``generator`` (CPU).
    """
    n, _, h, w = x.shape
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if max_shift == 0:
        return x
    padded = F.pad(x, (max_shift,) * 4, mode="replicate").permute(0, 2, 3, 1)  # (N, H+2s, W+2s, C)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator).to(x.device)
    rows = torch.arange(h, device=x.device) + dy[:, None]  # (N, H)
    cols = torch.arange(w, device=x.device) + dx[:, None]  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()  # (N, C, H, W)
