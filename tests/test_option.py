"""One option system: option() declarations, their checks, shared declarations and generated flags."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import fashiongan
from fashiongan.bench import BenchOptions
from fashiongan.classify.config import ClassifyConfig
from fashiongan.cli.options import add_option_flags, given_options
from fashiongan.cli.study import StudyOptions
from fashiongan.config import DEVICES, declaration, make_config, same_as
from fashiongan.errors import UserError
from fashiongan.evaluation.train_evaluator import EvaluatorConfig
from fashiongan.option import check_options, check_unchanged, option, options_of

COMMAND_OPTIONS = (ClassifyConfig, EvaluatorConfig, BenchOptions, StudyOptions)


@dataclass
class Toy:
    ratio: float = option(1.0, "a ratio", above=0.0, high=100.0, flag="ratio")
    share: float = option(0.5, "a share", above=0.0, below=1.0, flag="share")
    count: int | None = option(None, "a count", low=1, flag="count", fixed=False)
    seed: int = same_as("train.seed")
    device: str = same_as("train.device", "cpu")
    plain: list = None  # not an option: no flag, no check


@pytest.mark.parametrize(("values", "message"), [
    ({"ratio": 0.0}, "ratio must be in (0, 100]; got 0.0"),
    ({"ratio": 101}, "ratio must be in (0, 100]; got 101"),
    ({"share": 1.0}, "share must be between 0 and 1; got 1.0"),
    ({"count": 0}, "count must be at least 1; got 0"),
    ({"seed": -1}, "seed must be at least 0; got -1"),
    ({"device": "tpu"}, "device must be one of auto, cpu, cuda; got 'tpu'"),
])  # fmt: skip
def test_every_declared_field_is_checked_against_its_declaration(values, message):
    check_options(Toy())
    with pytest.raises(UserError, match=re.escape(message)):
        check_options(Toy(**values))


def test_a_shared_option_keeps_the_declaration_and_changes_only_what_is_asked():
    seed, _ = declaration("train.seed")
    toy = {key: f for key, f, _ in options_of(Toy)}
    assert set(toy) == {"ratio", "share", "count", "seed", "device"}
    assert toy["seed"].metadata == seed.metadata and toy["seed"].default == 0
    assert toy["device"].default == "cpu" and toy["device"].metadata["choices"] == DEVICES


def test_flags_come_from_the_declarations_and_unset_ones_are_left_out():
    parser = argparse.ArgumentParser()
    add_option_flags(parser, options_of(Toy))
    args = parser.parse_args(["--ratio", "2.5", "--device", "cuda"])
    assert given_options(args, options_of(Toy)) == {"ratio": 2.5, "device": "cuda"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--device", "tpu"])


def test_fixed_options_cannot_change_on_resume_and_the_error_names_both_values():
    check_unchanged(Toy(), Toy(count=5), options_of(Toy), str)  # count is fixed=False
    with pytest.raises(UserError, match=r"--resume: --share was 0\.5 in this run and cannot change to 0\.25"):
        check_unchanged(Toy(), Toy(share=0.25), options_of(Toy), lambda key: f"--{key}")


@pytest.mark.parametrize("cls", COMMAND_OPTIONS)
def test_every_command_declares_its_options_with_help_and_unique_flags(cls):
    options = options_of(cls)
    flags = [f.metadata["flag"] for _, f, _ in options if f.metadata["flag"]]
    assert len(flags) == len(set(flags)) and all(f.metadata["help"] for _, f, _ in options)
    check_options(cls())  # the defaults are valid


def test_the_device_choices_are_written_once():
    source = Path(fashiongan.__file__).parent
    hits = [p for p in source.rglob("*.py") if re.search(r"\(\s*\"auto\",\s*\"cpu\",\s*\"cuda\"\s*\)", p.read_text())]
    assert [p.name for p in hits] == ["config.py"]


def test_registry_backed_choices_agree_with_the_registries():
    from fashiongan.classify.augment import AUGMENTS as CLASSIFIER_AUGMENTS
    from fashiongan.classify.model import PRESETS as CLASSIFIERS
    from fashiongan.config import LOSSES, PRESETS
    from fashiongan.config_rules import ADA_OP_GROUPS, AUGMENTS
    from fashiongan.training.ada import ADA_OPS
    from fashiongan.training.augment import AUGMENTATIONS
    from fashiongan.training.losses import LOSSES as LOSS_REGISTRY

    assert set(LOSSES) == set(LOSS_REGISTRY) and set(AUGMENTS) == set(AUGMENTATIONS)
    assert tuple(ADA_OPS) == ADA_OP_GROUPS
    assert declaration("train.loss")[0].metadata["choices"] == LOSSES
    classify = {key: f for key, f, _ in options_of(ClassifyConfig)}
    assert set(classify["preset"].metadata["choices"]) == set(CLASSIFIERS)
    assert classify["augment"].metadata["choices"] == CLASSIFIER_AUGMENTS
    bench = {key: f for key, f, _ in options_of(BenchOptions)}
    assert set(bench["preset"].metadata["choices"]) == set(PRESETS)
    assert make_config("fmnist")  # the declarations still build a config
