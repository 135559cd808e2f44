"""build_models(config): the one place that turns a ModelConfig into networks."""

from __future__ import annotations

from torch import nn

from fashiongan.config import RunConfig
from fashiongan.models.conditional_generator import ConditionalGenerator
from fashiongan.models.discriminator import ConvDiscriminator, MLPDiscriminator
from fashiongan.models.generator import Generator
from fashiongan.models.layers import init_dcgan_weights
from fashiongan.models.projection_discriminator import ProjectionDiscriminator


def generator_init_size(image_size: int, init_size: int | None) -> int:
    """7 for 28 px (28 = 7·2²); otherwise the configured side (default 4)."""
    if image_size == 28:
        return 7
    return init_size or 4


def build_generator(config: RunConfig) -> nn.Module:
    """The generator ``config.model.generator`` names; dcgan keeps DCGAN's N(0, 0.02) initialisation."""
    model, data = config.model, config.data
    num_classes = model.num_classes if model.conditional else 0
    if model.generator in ("cbn", "resnet"):
        return ConditionalGenerator(
            z_dim=model.z_dim,
            image_size=data.image_size,
            channels=data.channels,
            init_size=generator_init_size(data.image_size, model.g_init_size),
            base_channels=model.g_channels,
            max_channels=model.g_max_channels,
            num_classes=num_classes,
            upsample=model.g_upsample,
            residual=model.generator == "resnet",
        )
    generator = Generator(
        z_dim=model.z_dim,
        image_size=data.image_size,
        channels=data.channels,
        init_size=generator_init_size(data.image_size, model.g_init_size),
        base_channels=model.g_channels,
        max_channels=model.g_max_channels,
        num_classes=num_classes,
        embed_dim=model.embed_dim,
        norm=model.g_norm,
        act=model.g_activation,
    )
    init_dcgan_weights(generator)
    return generator


def build_discriminator(config: RunConfig) -> nn.Module:
    model, data = config.model, config.data
    num_classes = model.num_classes if model.conditional else 0
    if model.discriminator in ("sn", "resnet"):
        return ProjectionDiscriminator(
            data.image_size,
            data.channels,
            model.d_channels,
            model.d_max_channels,
            num_classes,
            residual=model.discriminator == "resnet",
            aux_classes=config.train.aux_weight > 0,
            minibatch_std=model.d_minibatch_std,
            depth=model.d_depth,
        )
    if model.discriminator == "mlp":
        discriminator: nn.Module = MLPDiscriminator(
            data.image_size, data.channels, model.mlp_hidden, num_classes, model.embed_dim, model.d_dropout
        )
    else:
        discriminator = ConvDiscriminator(
            data.image_size,
            data.channels,
            model.d_channels,
            model.d_max_channels,
            num_classes,
            model.d_norm,
            model.d_dropout,
            model.d_minibatch_std,
        )
    init_dcgan_weights(discriminator)
    return discriminator


def build_models(config: RunConfig) -> tuple[nn.Module, nn.Module]:
    """A fresh (generator, discriminator) pair with DCGAN initialisation."""
    return build_generator(config), build_discriminator(config)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
