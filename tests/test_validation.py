"""validation.py and schemas.py: files read back are checked key by key, and say which file, key and values."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashiongan.classify.checkpoint import check_classifier_run
from fashiongan.config import option_rule
from fashiongan.errors import UserError
from fashiongan.schemas import check_evaluator_facts, check_model_config
from fashiongan.validation import Rule, check_object

SOURCE = Path("RUN/config.json")


@pytest.mark.parametrize(("rule", "value"), [
    (Rule(int, low=1), 1), (Rule(int, optional=True), None), (Rule(float, low=0, high=1), 1),
    (Rule(str, choices=("a", "b")), "b"), (Rule(list, items=str, min_items=1), ["x"]), (Rule(bool), False),
    (Rule(dict), {}),
])
def test_acceptable_values(rule, value):
    assert rule.problem(value) is None


@pytest.mark.parametrize(("rule", "value", "problem"), [
    (Rule(int, low=1), True, "must be a int; got True (at least 1)"),  # a bool is not a number
    (Rule(int, low=1), "28", "must be a int; got '28' (at least 1)"),
    (Rule(int, low=1), 0, "must be at least 1; got 0"),
    (Rule(int, high=9), 10, "must be at most 9; got 10"),
    (Rule(float), float("nan"), "must be a finite number; got nan"),
    (Rule(int), None, "must be a int; got null"),
    (Rule(str, choices=("crop", "pad")), "circle", "must be one of crop, pad; got 'circle'"),
    (Rule(list, items=str), 5, "must be a list of str; got 5"),
    (Rule(list, items=str), [0, 1], "must be a list of str; got [0, 1]"),
    (Rule(list, items=str, min_items=1), [], "must be a list of str; got [] (at least 1 item)"),
    (Rule(list, items=str, unique=True), ["a", "a"], "must be a list of str; got ['a', 'a'] (no item twice)"),
])
def test_problems_name_what_is_accepted(rule, value, problem):
    assert rule.problem(value) == problem


def test_check_object_names_the_file_and_the_key():
    rules = {"image_size": option_rule("data.image_size"), "class_names": Rule(list, items=str)}
    with pytest.raises(UserError, match=r"^RUN/config.json: key 'image_size' must be a int; got '28' "
                                        r"\(one of 28, 32, 64, 128, 256\)$"):
        check_object({"image_size": "28"}, rules, SOURCE)
    with pytest.raises(UserError, match=r"^RUN/config.json: key 'class_names' is missing; it must be a list of str$"):
        check_object({}, rules, SOURCE, required=("class_names",))
    with pytest.raises(UserError, match=r"^RUN/config.json must hold a JSON object \(a run\); got \[\]$"):
        check_object([], rules, SOURCE, what="a run")
    assert check_object({"other": 1}, rules, SOURCE) == {"other": 1}  # keys without a rule are left alone


def test_an_option_accepts_in_a_file_what_its_flag_accepts():
    rule = option_rule("train.threads")
    assert rule.problem(None) is None and rule.problem(8) is None
    assert rule.problem(3_000_000_000) == "must be at most 1024; got 3000000000"


def _model(**changes):
    meta = {"format": "fashiongan-generator", "format_version": 1, "image_size": 28, "channels": 1, "z_dim": 8,
            "conditional": True, "class_names": ["a", "b"], "run_config": {"model": {"conditional": True}}}
    meta.update(changes)
    return {k: v for k, v in meta.items() if v is not ...}


@pytest.mark.parametrize(("changes", "words"), [
    ({"format_version": "x"}, "key 'format_version' must be a int; got 'x'"),
    ({"format_version": 99}, "has model format version 99; this fashiongan reads up to 1: upgrade"),
    ({"run_config": ...}, "key 'run_config' is missing"),
    ({"run_config": []}, "key 'run_config' must be a dict; got []"),
    ({"class_names": 5}, "key 'class_names' must be a list of str; got 5"),
    ({"class_names": [0, 1]}, "key 'class_names' must be a list of str; got [0, 1]"),
    ({"class_names": []}, "key 'class_names' must be a list of str; got [] (at least 1 item, no item twice)"),
    ({"class_names": ...}, "key 'class_names' is missing"),
    ({"image_size": "28"}, "key 'image_size' must be a int; got '28'"),
    ({"channels": 2}, "key 'channels' must be one of 1, 3; got 2"),
    ({"format": "other"}, "is not a fashiongan model config"),
])
def test_hand_edited_model_configs(changes, words):
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        check_model_config(_model(**changes), SOURCE, "fashiongan-generator", 1)


def test_an_unconditional_model_may_have_no_class_names():
    meta = _model(class_names=[], run_config={"model": {"conditional": False}})
    assert check_model_config(meta, SOURCE, "fashiongan-generator", 1) is meta


@pytest.mark.parametrize(("saved", "words"), [
    ({"classify": {}}, "key 'class_names' is missing"),
    ({"classify": [], "class_names": ["a"]}, "key 'classify' must be a dict; got []"),
    ({"classify": {"image_size": "28"}, "class_names": ["a"]}, "classify: key 'image_size' must be a int"),
    ({"classify": {"image_size": 1_000_000}, "class_names": ["a"]}, "must be at most 1024; got 1000000"),
    ({"classify": {"seed": 2 * 10**12}, "class_names": ["a"]}, "must be at most 4294967295"),
    ({"classify": {"square": "circle"}, "class_names": ["a"]}, "must be one of crop, pad"),
])
def test_hand_edited_classifier_runs(saved, words):
    with pytest.raises(UserError, match=words.replace("[", r"\[").replace("]", r"\]").replace("+", r"\+")):
        check_classifier_run(saved, SOURCE)


@pytest.mark.parametrize(("facts", "words"), [
    ({"class_names": 5}, "key 'class_names' must be a list of str; got 5"),
    ({"image_size": "28"}, "key 'image_size' must be a int"),
    ({"feature_dim": 0}, "key 'feature_dim' must be at least 1; got 0"),
    ({"test_accuracy": 2}, "key 'test_accuracy' must be at most 1; got 2"),
])
def test_hand_edited_evaluator_descriptions(facts, words):
    with pytest.raises(UserError, match=words):
        check_evaluator_facts(facts, SOURCE)


def test_a_classifier_run_accepts_every_value_its_flags_accept():
    saved = {"classify": {"augment": "strong", "precision": "bf16", "synthetic_checkpoint": "best",
                          "synthetic_only": True}, "class_names": ["a"]}
    assert check_classifier_run(saved, SOURCE) is saved
    with pytest.raises(UserError, match="key 'augment' must be one of none, classic, strong; got 'wild'"):
        check_classifier_run({"classify": {"augment": "wild"}, "class_names": ["a"]}, SOURCE)
