"""What each JSON file the toolkit reads back must hold: model folders and evaluator descriptions.

Each ``check_*`` function takes the parsed JSON and its path and returns it once every key is of the right
type and in range, or raises a one-line ``UserError`` naming the file, the key and what it accepts (see
``validation.py``). Keys that are options of a GAN run (image size, channels, noise size) take their rule
from the option's declaration in ``config.py``, so a file accepts what the flag accepts. A run folder's own
config.json is checked by ``RunConfig.from_dict`` against the same declarations, a classifier run's by
``classify/checkpoint.check_classifier_run`` against the classifier's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fashiongan.config import option_rule
from fashiongan.errors import UserError
from fashiongan.validation import Rule, check_object

NAMES = Rule(list, items=str, unique=True)  # class names: strings, each once


def class_names_rule(conditional: bool) -> Rule:
    """Class names: a conditional model needs at least one (labels index them), an unconditional one none."""
    return Rule(list, items=str, unique=True, min_items=1 if conditional else 0)


def check_model_config(meta: Any, path: Path, model_format: str, newest_version: int) -> dict[str, Any]:
    """A model folder's config.json (``export --format hub``): its facts, then the run config inside it."""
    if not isinstance(meta, dict) or meta.get("format") != model_format:
        raise UserError(f"{path} is not a fashiongan model config (no \"format\": \"{model_format}\")")
    rules = {"format_version": Rule(int, low=1), "run_config": Rule(dict), "conditional": Rule(bool),
             "image_size": option_rule("data.image_size"), "channels": option_rule("data.channels"),
             "z_dim": option_rule("model.z_dim")}
    check_object(meta, rules, path, required=("format_version", "run_config"))
    if meta["format_version"] > newest_version:
        raise UserError(f"{path.parent} has model format version {meta['format_version']}; this fashiongan reads "
                        f"up to {newest_version}: upgrade fashiongan")
    conditional = meta["run_config"].get("model", {}).get("conditional", True) \
        if isinstance(meta["run_config"].get("model", {}), dict) else True
    check_object(meta, {"class_names": class_names_rule(conditional is not False)}, path,
                 required=("class_names",))
    return meta


def check_model_matches(meta: dict[str, Any], generator_facts: dict[str, Any], path: Path) -> None:
    """The facts a model config states (image size, channels, z_dim, conditional) must be its run config's."""
    for key, actual in generator_facts.items():
        if key in meta and meta[key] != actual:
            raise UserError(f"{path}: key {key!r} is {meta[key]!r} but its run_config builds {actual!r}; "
                            "the file was edited: export the model again")


def check_evaluator_facts(facts: Any, path: Path) -> dict[str, Any]:
    """An evaluator description (NAME.json beside NAME.safetensors): the facts the network is rebuilt from."""
    rules = {"sha256": Rule(str), "class_names": Rule(list, items=str, unique=True, min_items=1),
             "image_size": option_rule("data.image_size"), "channels": option_rule("data.channels"),
             "feature_dim": Rule(int, low=1, high=65536), "test_accuracy": Rule(float, low=0.0, high=1.0),
             "command": Rule(str), "seed": Rule(int, low=0), "eval_split": Rule(str, choices=("test", "val"))}
    return check_object(facts, rules, path, what="an evaluator description")
