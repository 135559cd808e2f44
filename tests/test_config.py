from __future__ import annotations

import pytest

from fashiongan.config import PRESETS, RunConfig, declarations, make_config
from fashiongan.errors import UserError


def test_presets_match_the_documented_settings():
    fmnist = make_config("fmnist")
    assert (fmnist.data.image_size, fmnist.data.channels, fmnist.train.batch_size) == (28, 1, 128)
    assert (fmnist.train.lr_g, fmnist.epochs_or_default(), fmnist.model.conditional) == (1e-4, 50, True)
    assert make_config("fmnist-mlp").model.discriminator == "mlp"
    folder = make_config("folder128", {"data.source": "photos"})
    assert (folder.data.image_size, folder.model.g_channels, folder.model.g_init_size) == (128, 512, 8)
    assert (folder.train.batch_size, folder.train.epochs, folder.train.lr_schedule) == (32, 150, "linear")


def test_a_time_budget_lifts_the_default_epoch_limit():
    assert make_config("fmnist", {"train.seconds": 60.0}).epochs_or_default() is None
    assert make_config("fmnist", {"train.seconds": 60.0, "train.epochs": 3}).epochs_or_default() == 3


def test_round_trip_through_a_dict():
    config = make_config("fmnist-mlp", {"train.epochs": 3})
    assert RunConfig.from_dict(config.to_dict()) == config


def test_every_option_is_declared_with_help_and_a_unique_flag():
    flags = [f.metadata["flag"] for _, f, _ in declarations() if f.metadata["flag"]]
    assert len(flags) == len(set(flags))
    assert all(f.metadata["help"] for _, f, _ in declarations())


@pytest.mark.parametrize(
    ("preset", "overrides", "message"),
    [
        ("nope", {}, "unknown preset 'nope'; choose one of: " + ", ".join(PRESETS)),
        ("folder128", {}, "needs a dataset folder"),
        ("fmnist", {"data.image_size": 64}, "Fashion-MNIST is 28x28 grayscale"),
        ("fmnist", {"data.source": "x", "data.image_size": 100}, "data.image_size must be one of 28, 32, 64"),
        ("fmnist", {"train.epochs": 0}, "train.epochs must be at least 1; got 0"),
        ("fmnist", {"train.lr_g": 2.0}, "train.lr_g must be at most 1; got 2.0"),
        ("fmnist", {"train.lr_g": "fast"}, "train.lr_g must be a finite number; got 'fast'"),
        ("fmnist", {"train.loss": "hinged"}, "train.loss must be one of bce, hinge, rpgan, lsgan, wgan"),
        ("fmnist", {"train.loss": "wgan"}, "needs a Lipschitz penalty"),
        ("fmnist", {"train.augment": "flip"}, "train.augment must be 'none' or a comma list"),
        ("fmnist", {"train.aux_weight": 0.3}, "aux_weight needs a conditional model with discriminator sn"),
        ("fmnist", {"model.discriminator": "resnet50"}, "model.discriminator must be one of conv, mlp, sn, resnet"),
        ("fmnist", {"model.colour": 1}, "unknown config key 'model.colour'"),
        ("fmnist", {"model.conditional": "yes"}, "model.conditional must be a bool"),
    ],
)
def test_bad_settings_are_clear_user_errors(preset, overrides, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(".", r"\.")):
        make_config(preset, overrides)


@pytest.mark.parametrize(("saved", "message"), [
    ({"train": {"epochs": 1, "warp": 9}}, "unknown config key 'train.warp'"),
    ([1, 2], "must be a JSON object"),
    ({"data": "x"}, "must be a JSON object"),
    ({"data": {"image_size": "28"}}, "data.image_size must be a int"),
    ({"train": {"batch_size": 0}}, "train.batch_size must be at least 1"),
])
def test_a_bad_saved_config_is_refused(saved, message):
    with pytest.raises(UserError, match=message):
        RunConfig.from_dict(saved)


def test_a_config_of_version_0_1_still_loads():
    old = make_config("fmnist").to_dict()
    old["train"]["lr_decay"] = old["train"].pop("lr_schedule") and "linear"
    old["train"]["epochs"] = 10
    assert RunConfig.from_dict(old).train.lr_schedule == "linear"
