"""Every generator/discriminator variant builds, runs and gives the right shapes."""

from __future__ import annotations

import pytest
import torch

from fashiongan.config import make_config
from fashiongan.models.build import build_models
from fashiongan.models.layers import num_upsamplings, scale_to_unit, to_uint8


def config_for(size: int, channels: int, conditional: bool, discriminator: str):
    overrides = {"model.conditional": conditional, "model.discriminator": discriminator,
                 "model.g_channels": 32, "model.d_channels": 8, "model.mlp_hidden": 16}
    if channels != 1 or size != 28:
        overrides.update({"data.source": "folder", "data.image_size": size, "data.channels": channels})
    return make_config("fmnist", overrides)


VARIANTS = [
    (size, channels, conditional, discriminator)
    for size in (28, 32, 64, 128, 256)
    for channels in (1, 3)
    for conditional in (True, False)
    for discriminator in ("conv", "mlp")
    if not (size == 256 and discriminator == "mlp")  # valid, but 100M parameters: slow to build in a unit test
]


@pytest.mark.parametrize(("size", "channels", "conditional", "discriminator"), VARIANTS)
def test_every_variant_has_the_right_shapes(size, channels, conditional, discriminator):
    config = config_for(size, channels, conditional, discriminator)
    generator, disc = build_models(config)
    z = torch.randn(2, config.model.z_dim)
    labels = torch.tensor([0, 9]) if conditional else None
    images = generator(z, labels)
    assert images.shape == (2, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    logits = disc(images, labels)
    assert logits.shape == (2,)
    assert torch.isfinite(logits).all()


def test_folder_28px_rgb_works():
    config = make_config("fmnist", {"data.source": "folder", "data.channels": 3, "model.g_channels": 16})
    generator, disc = build_models(config)
    images = generator(torch.randn(3, 100), torch.tensor([1, 2, 3]))
    assert images.shape == (3, 3, 28, 28)
    assert disc(images, torch.tensor([1, 2, 3])).shape == (3,)


def test_folder128_preset_follows_the_issue_layout():
    config = make_config("folder128", {"data.source": "some/folder"})
    generator, _ = build_models(config)
    first = generator.project[0]
    assert first.in_features == 100 + config.model.embed_dim
    assert first.out_features == 8 * 8 * 512  # dense to 8x8x512
    assert generator(torch.randn(1, 100), torch.tensor([0])).shape == (1, 1, 128, 128)


def test_conditional_models_need_labels():
    generator, disc = build_models(config_for(28, 1, True, "conv"))
    with pytest.raises(ValueError, match="needs labels"):
        generator(torch.randn(1, 100))


def test_the_label_changes_the_image():
    generator, _ = build_models(config_for(28, 1, True, "conv"))
    generator.eval()
    z = torch.randn(1, 100).repeat(2, 1)
    images = generator(z, torch.tensor([0, 7]))
    assert not torch.allclose(images[0], images[1])


def test_uint8_round_trip():
    pixels = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    assert torch.equal(to_uint8(scale_to_unit(pixels)), pixels)


def test_num_upsamplings_rejects_bad_sizes():
    assert num_upsamplings(28, 7) == 2 and num_upsamplings(128, 8) == 4 and num_upsamplings(256, 4) == 6
    with pytest.raises(ValueError):
        num_upsamplings(100, 4)


def test_minibatch_std_sees_how_varied_a_batch_is():
    from fashiongan.models.layers import MinibatchStd

    layer = MinibatchStd(group_size=4)
    same = torch.ones(8, 3, 5, 5)
    varied = torch.randn(8, 3, 5, 5)
    out_same, out_varied = layer(same), layer(varied)
    assert out_same.shape == (8, 4, 5, 5)
    assert out_same[:, 3].max() < 1e-3
    assert out_varied[:, 3].min() > 0.5
    assert layer(torch.randn(6, 2, 3, 3)).shape == (6, 3, 3, 3)  # batch not divisible by 4: groups of 3


def test_discriminator_with_minibatch_std_builds():
    config = config_for(28, 1, True, "conv")
    config.model.d_minibatch_std = True
    _, disc = build_models(config)
    assert disc(torch.randn(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])).shape == (4,)


MODERN_VARIANTS = [
    (size, channels, generator, discriminator, aux)
    for size in (28, 64, 128)
    for channels in (1, 3)
    for generator, discriminator in (("cbn", "sn"), ("resnet", "resnet"), ("cbn", "resnet"))
    for aux in (0.0, 0.3)
    if not (generator == "resnet" and size == 28)
]


@pytest.mark.parametrize(("size", "channels", "generator", "discriminator", "aux"), MODERN_VARIANTS)
def test_every_modern_variant_has_the_right_shapes(size, channels, generator, discriminator, aux):
    overrides = {"model.generator": generator, "model.discriminator": discriminator, "model.g_channels": 32,
                 "model.d_channels": 8, "model.d_max_channels": 32, "train.aux_weight": aux}
    if channels != 1 or size != 28:
        overrides.update({"data.source": "folder", "data.image_size": size, "data.channels": channels})
    config = make_config("fmnist", overrides)
    g, d = build_models(config)
    labels = torch.tensor([0, 9])
    images = g(torch.randn(2, config.model.z_dim), labels)
    assert images.shape == (2, channels, size, size) and images.abs().max() <= 1
    out = d(images, labels)
    assert out.shape == ((2, 11) if aux else (2,)) and torch.isfinite(out).all()


def test_the_label_changes_a_cbn_image_and_a_projection_logit():
    config = make_config("fmnist", {"model.generator": "cbn", "model.discriminator": "sn", "model.g_channels": 16,
                                    "model.d_channels": 8})
    g, d = build_models(config)
    with torch.no_grad():  # fresh cBN gains are 1 and biases 0: give the classes something to differ by
        for m in g.modules():
            if hasattr(m, "gain"):
                m.gain.weight.normal_(1.0, 0.5)
    g.eval()
    z = torch.randn(1, 100).repeat(2, 1)
    images = g(z, torch.tensor([0, 5]))
    assert not torch.allclose(images[0], images[1])
    logits = d(images[:1].repeat(2, 1, 1, 1), torch.tensor([0, 5]))
    assert not torch.allclose(logits[0], logits[1])
