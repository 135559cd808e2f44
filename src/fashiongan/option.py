"""``option()``: how any command declares an option, and the checks every declared option gets.

An option is a dataclass field whose metadata holds its help, choices, range, CLI flag and whether it may
change when a run is resumed. The run config (config.py), the classifier's, the evaluator trainer's, the
benchmark's and the study's options are all declared this way; cli/options.py makes their flags.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable
from dataclasses import field
from typing import Any

from fashiongan.errors import UserError
from fashiongan.validation import number_text as num


def option(
    default: Any,
    help: str,
    *,
    choices: tuple[Any, ...] | None = None,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
    below: float | None = None,
    flag: str | None = None,
    fixed: bool = True,
) -> Any:
    """Declare one option: its default, help text, allowed values and CLI flag.

    ``low``/``high`` are inclusive bounds, ``above``/``below`` exclusive ones; ``flag`` names a first-class
    CLI flag (every run-config option is also reachable with ``--set``); ``fixed`` options cannot change
    when a run is resumed.
    """
    meta = {"help": help, "choices": choices, "low": low, "high": high, "above": above, "below": below,
            "flag": flag, "fixed": fixed}
    return field(default=default, metadata=meta)


Declaration = tuple[str, dataclasses.Field, Any]  # ("section.key" or "key", the field, its annotated type)


def options_of(cls: type, prefix: str = "") -> list[Declaration]:
    """The options a dataclass declares with ``option()`` (plain fields are left out), in declaration order."""
    hints = typing.get_type_hints(cls)
    return [(prefix + f.name, f, hints[f.name]) for f in dataclasses.fields(cls) if "help" in f.metadata]


def check_value(key: str, value: Any, f: dataclasses.Field, hint: Any) -> None:
    """One option's value against its declaration: type, choices, range (``key`` names it in the error)."""
    meta = f.metadata
    allowed = typing.get_args(hint) or (hint,)
    if value is None:
        if type(None) not in allowed:
            raise UserError(f"{key} must be set; got null")
        return
    base = next(t for t in allowed if t is not type(None))
    ok = isinstance(value, base) and not (base in (int, float) and isinstance(value, bool))
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok or (base is float and not math.isfinite(value)):
        raise UserError(f"{key} must be a {'finite number' if base is float else base.__name__}; got {value!r}")
    if meta.get("choices") is not None and value not in meta["choices"]:
        raise UserError(f"{key} must be one of {', '.join(map(str, meta['choices']))}; got {value!r}")
    low, high, above, below = (meta.get(k) for k in ("low", "high", "above", "below"))
    if above is not None or below is not None:  # an open bound: say the whole interval
        inside = (above is None or value > above) and (below is None or value < below) \
            and (low is None or value >= low) and (high is None or value <= high)
        if not inside:
            raise UserError(f"{key} must be {describe_range(meta)}; got {value!r}")
        return
    if low is not None and value < low:
        raise UserError(f"{key} must be at least {num(low)}; got {value!r}")
    if high is not None and value > high:
        raise UserError(f"{key} must be at most {num(high)}; got {value!r}")


def describe_range(meta: Any) -> str:
    """An option's range in words: 'between 0 and 1' (exclusive), 'in (0, 100]', 'more than 0', 'at least 1'."""
    above, below, low, high = (meta.get(k) for k in ("above", "below", "low", "high"))
    if above is not None and below is not None:
        return f"between {num(above)} and {num(below)}"
    if above is not None and high is not None:
        return f"in ({num(above)}, {num(high)}]"
    if above is not None:
        return f"more than {num(above)}"
    if below is not None:
        return f"less than {num(below)}" if low is None else f"in [{num(low)}, {num(below)})"
    if low is not None and high is not None:
        return f"{num(low)}..{num(high)}"
    return f"at least {num(low)}" if low is not None else f"at most {num(high)}" if high is not None else "any"


def check_options(options: Any, name: Callable[[str], str] | None = None) -> None:
    """Every declared option of the dataclass ``options`` against its declaration.

    ``name(key)`` says how an error names the option (default: its key).
    """
    for key, f, hint in options_of(type(options)):
        check_value(name(key) if name else key, getattr(options, key), f, hint)


def check_unchanged(saved: Any, config: Any, options: list[Declaration], name: Callable[[str], str]) -> None:
    """Refuse to continue a run whose fixed options (``fixed=True``) differ from the saved ones.

    One UserError naming the first option that changed (as ``name(key)`` says: its flag) and both values;
    options declared ``fixed=False`` (epochs, time budgets, device, threads, evaluation settings) may change.
    """
    for key, f, _ in options:
        before, after = option_value(saved, key), option_value(config, key)
        if f.metadata["fixed"] and before != after:
            raise UserError(f"--resume: {name(key)} was {before!r} in this run and cannot change to "
                            f"{after!r}; drop the flag or start a new run")


def option_value(options: Any, key: str) -> Any:
    """The value of ``key`` ("section.name" or "name") in a config object."""
    for part in key.split("."):
        options = getattr(options, part)
    return options
