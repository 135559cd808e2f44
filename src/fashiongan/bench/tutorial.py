"""The same G and D in the loop most tutorials write: the baseline the toolkit's speed is a ratio to.

A ``DataLoader`` over a ``Dataset`` that returns one normalised float tensor per item, fp32, the default
thread count, BCE on D's logits, plain Adam, and each step's losses read back with ``.item()`` for the
log line, as in the PyTorch DCGAN tutorial. No toolkit code runs in the step: only the models are shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from fashiongan.config import RunConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.models.build import build_models


class FloatImages(Dataset):
    """Item i: (image as float in [-1, 1], label), built per item as torchvision's ToTensor + Normalize do."""

    def __init__(self, data: ImageDataset) -> None:
        self.images, self.labels = data.images, data.labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.images[index].float() / 255.0 - 0.5) / 0.5, self.labels[index]


def endless(loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        yield from loader


def logits(output: torch.Tensor) -> torch.Tensor:
    """The real/fake logit: column 0 when D also has class logits."""
    return output[:, 0] if output.ndim == 2 else output


def tutorial_step(config: RunConfig, data: ImageDataset, device: torch.device) -> Callable[[], None]:
    """One D step then one G step, tutorial style, on fresh copies of the config's models."""
    torch.manual_seed(config.train.seed)
    generator, discriminator = build_models(config)
    generator, discriminator = generator.to(device), discriminator.to(device)
    train = config.train
    opt_g = torch.optim.Adam(generator.parameters(), lr=train.lr_g, betas=(train.beta1, train.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=train.lr_d, betas=(train.beta1, train.beta2))
    batches = endless(DataLoader(FloatImages(data), batch_size=train.batch_size, shuffle=True, drop_last=True))
    conditional, num_classes, z_dim = config.model.conditional, config.model.num_classes, config.model.z_dim

    def step() -> None:
        real, labels = next(batches)
        real, labels = real.to(device), labels.to(device)
        n = real.shape[0]
        z = torch.randn(n, z_dim, device=device)
        fake_labels = torch.randint(0, num_classes, (n,), device=device) if conditional else None
        fake = generator(z, fake_labels)
        ones, zeros = torch.ones(n, device=device), torch.zeros(n, device=device)
        opt_d.zero_grad()
        real_logits = logits(discriminator(real, labels if conditional else None))
        fake_logits = logits(discriminator(fake.detach(), fake_labels))
        loss_d = F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(
            fake_logits, zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = F.binary_cross_entropy_with_logits(logits(discriminator(fake, fake_labels)), ones)
        loss_g.backward()
        opt_g.step()
        loss_d.item(), loss_g.item()

    return step
