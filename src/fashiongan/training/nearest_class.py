"""Which source class a new class resembles, in the eyes of the source's discriminator (``--init-start nearest``).

When a run starts from another run (``--init-from``) and has classes the source never saw, each new class's
rows in G start as some source class's. Which one matters: a boot that starts as a sandal has less to unlearn
than one that starts as a T-shirt. The source D's class head already knows the source classes, so it is asked:
the new class starts as the source class it names most often (mean softmax) over that class's training images.
"""

from __future__ import annotations

import torch
from torch import nn

from fashiongan.models.layers import scale_to_unit

PROBE_PER_CLASS = 64  # images per new class shown to D: the mean softmax settles well before this


@torch.no_grad()
def nearest_source_classes(discriminator: nn.Module, source_head: dict[str, torch.Tensor], images: torch.Tensor,
                           labels: torch.Tensor, class_names: list[str], source_names: list[str],
                           per_class: int = PROBE_PER_CLASS) -> dict[str, str]:
    """New class → the source class the source's class head (``weight``, ``bias``) gives most probability on
    up to ``per_class`` of its ``images`` (uint8), run through ``discriminator`` (already holding the source's
    trunk). Empty when D has no class head or no class is new."""
    head = getattr(discriminator, "class_head", None)
    new = [i for i, name in enumerate(class_names) if name not in source_names]
    if head is None or not new or "weight" not in source_head:
        return {}
    features: list[torch.Tensor] = []
    hook = head.register_forward_pre_hook(lambda _module, args: features.append(args[0]))
    was_training = discriminator.training
    discriminator.eval()
    device = next(discriminator.parameters()).device
    nearest = {}
    try:
        for index in new:
            chosen = torch.nonzero(labels == index).flatten()[:per_class]
            if chosen.numel() == 0:
                continue
            features.clear()
            batch = scale_to_unit(images[chosen].to(device))
            discriminator(batch, torch.full((len(chosen),), index, device=device, dtype=torch.long))
            logits = features[0].float() @ source_head["weight"].float().T.to(device) \
                + source_head["bias"].float().to(device)
            nearest[class_names[index]] = source_names[int(logits.softmax(dim=1).mean(dim=0).argmax())]
    finally:
        hook.remove()
        discriminator.train(was_training)
    return nearest
