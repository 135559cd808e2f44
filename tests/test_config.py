from __future__ import annotations

import pytest

from fashiongan.config import PRESETS, RunConfig, make_config
from fashiongan.errors import UserError


def test_presets_match_the_documented_settings():
    fmnist = make_config("fmnist")
    assert (fmnist.data.image_size, fmnist.data.channels, fmnist.train.batch_size) == (28, 1, 128)
    assert (fmnist.train.lr_g, fmnist.train.epochs, fmnist.model.conditional) == (1e-4, 50, True)
    assert make_config("fmnist-mlp").model.discriminator == "mlp"
    folder = make_config("folder128", {"data.source": "photos"})
    assert (folder.data.image_size, folder.model.g_channels, folder.model.g_init_size) == (128, 512, 8)
    assert (folder.train.batch_size, folder.train.epochs, folder.train.lr_decay) == (32, 150, "linear")


def test_round_trip_through_a_dict():
    config = make_config("fmnist-mlp", {"train.epochs": 3})
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("preset", "overrides", "message"),
    [
        ("nope", {}, "unknown preset 'nope'; choose one of: " + ", ".join(PRESETS)),
        ("folder128", {}, "needs a dataset folder"),
        ("fmnist", {"data.image_size": 64}, "Fashion-MNIST is 28x28 grayscale"),
        ("fmnist", {"data.source": "x", "data.image_size": 100}, "image size must be one of"),
        ("fmnist", {"train.epochs": 0}, "--epochs must be at least 1"),
        ("fmnist", {"train.lr_g": 2.0}, "lr_g must be between 0 and 1"),
        ("fmnist", {"model.discriminator": "resnet"}, "discriminator must be one of conv, mlp"),
        ("fmnist", {"model.colour": 1}, "unknown config key 'model.colour'"),
    ],
)
def test_bad_settings_are_clear_user_errors(preset, overrides, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        make_config(preset, overrides)


def test_unknown_keys_in_a_saved_config_are_refused():
    with pytest.raises(UserError, match="unknown TrainConfig keys"):
        RunConfig.from_dict({"train": {"epochs": 1, "warp": 9}})
