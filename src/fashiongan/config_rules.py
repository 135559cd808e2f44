"""The rules that involve several run-config options at once (each option alone is checked by its declaration).

Kept apart from config.py, which declares the options: the declarations say what one value may be, these
say which combinations make a run that can train.
"""

from __future__ import annotations

from typing import Any

from fashiongan.errors import UserError

AUGMENTS = ("translation", "cutout", "color")  # training/augment.py AUGMENTATIONS (test_registries checks they agree)
ADA_OP_GROUPS = ("blit", "geom", "color", "cutout")  # training/ada.py ADA_OPS (likewise)


def check_combinations(config: Any) -> None:
    """A ``RunConfig``'s options that depend on each other; the first problem is one UserError line."""
    data, model, train = config.data, config.model, config.train
    if not data.source:
        raise UserError(f"preset {config.preset!r} needs a dataset folder: pass --data DIR")
    if data.source == "fmnist" and (data.image_size != 28 or data.channels != 1):
        raise UserError("Fashion-MNIST is 28x28 grayscale: use --image-size 28 and 1 channel")
    check_augment(train.augment)
    check_small_data_options(config)
    if train.aux_weight > 0 and (model.discriminator not in ("sn", "resnet") or not model.conditional):
        raise UserError("train.aux_weight needs a conditional model with discriminator sn or resnet")
    if train.blend_end > 0 and (train.blend_end < train.blend_start or model.generator == "dcgan"
                                or model.discriminator not in ("sn", "resnet")):
        raise UserError("label blending needs blend_start <= blend_end, a cbn/resnet generator and an sn/resnet "
                        "discriminator")
    if 0 < train.batch_start < train.batch_size and train.batch_size % train.batch_start:
        raise UserError(f"--batch-start {train.batch_start} must divide --batch-size {train.batch_size} (the batch "
                        "grows by joining batches of the start size); or pass --batch-start 0 for no growth")
    if train.lr_start_factor != 1 and not 0 < train.batch_start < train.batch_size:
        raise UserError(f"--lr-start-factor {train.lr_start_factor:g} acts while the batch grows: it needs "
                        "--batch-start smaller than --batch-size (or pass --lr-start-factor 1)")
    if model.generator == "resnet" and data.image_size < 32:
        raise UserError("generator resnet is for 32-256 px images; use cbn or dcgan for 28 px")
    if train.loss == "wgan" and train.gp_weight == 0 and train.r1_gamma == 0:
        raise UserError("train.loss wgan needs a Lipschitz penalty: set train.gp_weight (e.g. 10)")


def check_augment(augment: str) -> None:
    """'none', 'ada', or a comma list of DiffAugment policies."""
    if augment in ("none", "ada"):
        return
    policy = [p for p in augment.split(",") if p]
    if not policy or any(p not in AUGMENTS for p in policy):
        raise UserError(f"train.augment must be 'none' or a comma list of {', '.join(AUGMENTS)} (DiffAugment), "
                        f"or 'ada'; got {augment!r}")


def check_small_data_options(config: Any) -> None:
    """The data-efficient engine's options that depend on each other (ada, init-from, held-out choice)."""
    train = config.train
    ada_ops = [op for op in train.ada_ops.split(",") if op]
    if not ada_ops or any(op not in ADA_OP_GROUPS for op in ada_ops):
        raise UserError(f"train.ada_ops must be a comma list of {', '.join(ADA_OP_GROUPS)}; got {train.ada_ops!r}")
    if train.freeze_d and not train.init_from:
        raise UserError("train.freeze_d keeps pre-trained D blocks fixed: it needs --init-from RUN")
    if train.init_start != "order" and not train.init_from:
        raise UserError("train.init_start chooses how new classes start from a source run: it needs --init-from RUN")
    if (train.select_kimg > 0 or train.patience > 0) and config.data.holdout_per_class == 0:
        raise UserError("--select-kimg and --patience score held-out images: pass --holdout N (images per class)")
    if train.patience > 0 and train.select_kimg == 0:
        raise UserError("--patience counts held-out scores: set --select-kimg too")
