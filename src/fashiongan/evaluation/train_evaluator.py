"""Train an EvaluatorNet on Fashion-MNIST or on a folder dataset and save it as a hash-checked evaluator.

Recipe: AdamW with a one-cycle learning rate (run/schedule.py), batches of 256, light augmentation done on whole
batches as tensor ops (random horizontal flips and random shifts of up to 2 pixels). Accuracy is
measured after every epoch on the test split, or, for a folder without ``test/``, on a seeded 10%
of the images held out of training. The last epoch's network is saved (no selection on the test set).
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from fashiongan.config import DataConfig, RunConfig, same_as, validate
from fashiongan.data.batches import epoch_order, gather_batch, place_images
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import load_splits
from fashiongan.data.transforms import random_flip_and_shift
from fashiongan.errors import UserError
from fashiongan.evaluation.features import EvaluatorInfo, save_evaluator
from fashiongan.evaluation.network import EvaluatorNet
from fashiongan.models.layers import scale_to_unit
from fashiongan.option import check_options, option
from fashiongan.run.device import resolve_device
from fashiongan.run.schedule import one_cycle_step

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = 20
BATCH_SIZE = 256
MAX_LR = 3e-3
WEIGHT_DECAY = 5e-4
MAX_SHIFT = 2  # pixels, at 28 px; scaled with the image size
VAL_FRACTION = 0.1


@dataclass
class EvaluatorConfig:
    """The options of `fashiongan evaluator train`, declared like the GAN's (its flags are generated)."""

    data: str = same_as("data.source")
    data_dir: str | None = same_as("data.data_dir")
    image_size: int = same_as("data.image_size")
    channels: int = same_as("data.channels")
    epochs: int = option(DEFAULT_EPOCHS, "training epochs", low=1, high=1_000_000, flag="epochs")
    seed: int = same_as("train.seed")
    device: str = same_as("train.device")

    def data_config(self) -> DataConfig:
        """The data to train on, checked like a GAN run's (Fashion-MNIST is 28 px gray, ...)."""
        data = DataConfig(source=self.data, data_dir=self.data_dir, image_size=self.image_size,
                          channels=self.channels)
        check_options(self, lambda key: f"--{key.replace('_', '-')}")
        validate(RunConfig(preset="evaluator", data=data))
        return data


@torch.no_grad()
def accuracy(net: EvaluatorNet, data: ImageDataset, device: torch.device, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``net`` (in eval mode) on ``data``."""
    net.eval()
    correct = 0
    for start in range(0, len(data), batch_size):
        logits = net(scale_to_unit(data.images[start : start + batch_size].to(device)))
        correct += int((logits.argmax(1).cpu() == data.labels[start : start + batch_size]).sum())
    return correct / max(1, len(data))


def held_out_splits(config: DataConfig, seed: int) -> tuple[ImageDataset, ImageDataset, str]:
    """(train, evaluation, split name): the test split when there is one, else a seeded 10% validation holdout.

    ``config.limit`` (if set) then keeps a seeded random subset of the training images.
    """
    splits = load_splits(config, 0.0, seed, test_fraction=VAL_FRACTION, stratified=False)
    train, split = splits.train, "test" if splits.test_source == "official" else "val"
    if config.limit is not None:
        train = train.random_subset(config.limit, seed)
    return train, splits.test, split


def set_one_cycle(optimizer: torch.optim.Optimizer, step: int, total_steps: int) -> None:
    """The learning rate and beta1 of ``step`` (run/schedule.py's one-cycle, as PyTorch's OneCycleLR sets them)."""
    lr, beta1 = one_cycle_step(step, total_steps, MAX_LR)
    for group in optimizer.param_groups:
        group["lr"], group["betas"] = lr, (beta1, *group["betas"][1:])


def _train_epoch(
    net: EvaluatorNet,
    optimizer: torch.optim.Optimizer,
    schedule: tuple[int, int],
    data: ImageDataset,
    generator: torch.Generator,
    device: torch.device,
    bar: tqdm,
) -> tuple[float, float]:
    """One pass over ``data`` in shuffled batches; ``schedule`` is (steps done, total steps); returns (mean
    loss, train accuracy)."""
    net.train()
    max_shift = round(MAX_SHIFT * data.image_size / 28)
    total_loss, correct, seen = 0.0, 0, 0
    step, total_steps = schedule
    for indices in epoch_order(len(data), BATCH_SIZE, generator):  # equal batches: the ragged last is dropped
        set_one_cycle(optimizer, step, total_steps)
        step += 1
        images, labels = gather_batch(data.images, data.labels, indices, device)
        logits = net(random_flip_and_shift(scale_to_unit(images), max_shift, generator))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(indices)
        correct += int((logits.argmax(1) == labels).sum())
        seen += len(indices)
        bar.update(1)
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    return total_loss / seen, correct / seen


def train_evaluator(
    data_config: DataConfig,
    out: str | Path,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    device: str | torch.device = "auto",
    command: str = "",
) -> EvaluatorInfo:
    """Train an evaluator on ``data_config``'s images and save it to ``out`` (.safetensors, with a .json beside).

    ``command`` is recorded in the JSON (the CLI passes the command line). Returns the saved info,
    whose ``test_accuracy`` is measured on the test split or the validation holdout (``eval_split``).
    """
    if epochs < 1:
        raise UserError(f"--epochs must be at least 1; got {epochs}")
    out = Path(out)
    if out.suffix != ".safetensors":
        raise UserError(f"--out must end in .safetensors (the .json goes beside it); got {out}")
    device = resolve_device(device) if isinstance(device, str) else device
    torch.manual_seed(seed)
    train, held_out, eval_split = held_out_splits(data_config, seed)
    train.images = place_images(train.images, device)  # the whole uint8 set on the GPU when it fits
    net = EvaluatorNet(in_channels=train.channels, num_classes=train.num_classes).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=MAX_LR, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = max(1, len(train) // min(BATCH_SIZE, len(train)))
    generator = torch.Generator().manual_seed(seed)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    with tqdm(total=epochs * steps_per_epoch, desc="evaluator", unit="step") as bar:
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            schedule = ((epoch - 1) * steps_per_epoch, epochs * steps_per_epoch)
            loss, train_acc = _train_epoch(net, optimizer, schedule, train, generator, device, bar)
            eval_acc = accuracy(net, held_out, device)
            seconds = time.perf_counter() - epoch_start
            history.append({"epoch": epoch, "loss": round(loss, 5), "train_accuracy": round(train_acc, 5),
                            f"{eval_split}_accuracy": round(eval_acc, 5), "seconds": round(seconds, 1)})  # fmt: skip
            bar.set_description(f"evaluator ({eval_split} acc {eval_acc:.4f})")
    train_seconds = time.perf_counter() - started
    info = EvaluatorInfo(
        sha256="", class_names=list(train.class_names), image_size=train.image_size, channels=train.channels,
        feature_dim=net.feature_dim, test_accuracy=round(eval_acc, 5), command=command, seed=seed,
        eval_split=eval_split,
        extra={
            "eval_images": len(held_out), "train_images": len(train), "epochs": epochs,
            "data": {"source": data_config.source, "image_size": data_config.image_size,
                     "channels": data_config.channels, "square": data_config.square, "limit": data_config.limit},
            "device": str(device), "torch_threads": torch.get_num_threads(), "train_seconds": round(train_seconds, 1),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "torch_version": torch.__version__, "history": history,
        },
    )  # fmt: skip
    log.info("evaluator %s accuracy %.4f after %d epochs (%.0f s)", eval_split, eval_acc, epochs, train_seconds)
    return save_evaluator(net.cpu().eval(), info, out)
