"""Check what comes back from a file: required keys, types, ranges and choices, with one line per problem.

Every JSON file the toolkit reads back (a run's config.json, a model folder's config.json, a classifier
run, an evaluator description, a study's state) may have been edited by hand, truncated or written by
another version. ``check_object`` turns any such problem into a ``UserError`` that names the file, the key
and what the key accepts, before a wrong type can surface as a ZeroDivisionError or a terabyte allocation
three calls later. The option declarations of ``config.py`` check their values with the same ``Rule``
(``Rule.from_field``), so a key that is an option accepts exactly what its flag accepts.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fashiongan.errors import UserError


def _is(value: Any, kind: type) -> bool:
    """isinstance, except that a bool is not a number and an integer is a number (JSON has one number type)."""
    if kind in (int, float) and isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, kind)


def number_text(bound: float) -> str:
    """A bound as people write it: 4294967295 and 1, not 4.29497e+09 and 1.0; 1e-08 stays short."""
    return str(int(bound)) if float(bound).is_integer() and abs(bound) < 1e20 else f"{bound:g}"


def shown(value: Any) -> str:
    """A JSON value as a message shows it: null, 5, '28', [] (cut to 40 characters)."""
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Rule:
    """What one key accepts: a type, optionally null, choices, inclusive bounds, list items and length."""

    kind: type
    optional: bool = False  # null allowed
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    items: type | None = None  # lists: the type of every item
    min_items: int = 0
    unique: bool = False  # lists: no item twice

    @classmethod
    def from_field(cls, f: dataclasses.Field, hint: Any) -> Rule:
        """The rule of an option declared with ``config.option``: its type, choices and range."""
        allowed = typing.get_args(hint) or (hint,)
        kind = next(t for t in allowed if t is not type(None))
        meta = f.metadata
        return cls(kind, type(None) in allowed, meta.get("choices"), meta.get("low"), meta.get("high"))

    def _type(self) -> str:
        if self.kind is float:
            return "a finite number"
        if self.kind is list and self.items is not None:
            return f"a list of {self.items.__name__}"
        return f"a {self.kind.__name__}"

    def _details(self) -> str:
        details = []
        if self.choices is not None:
            details.append("one of " + ", ".join(map(str, self.choices)))
        elif self.low is not None and self.high is not None:
            details.append(f"from {number_text(self.low)} to {number_text(self.high)}")
        elif self.low is not None:
            details.append(f"at least {number_text(self.low)}")
        elif self.high is not None:
            details.append(f"at most {number_text(self.high)}")
        if self.min_items:
            details.append(f"at least {self.min_items} item{'s' if self.min_items > 1 else ''}")
        if self.unique:
            details.append("no item twice")
        if self.optional:
            details.append("or null")
        return f" ({', '.join(details)})" if details else ""

    def accepts(self) -> str:
        """What the key accepts: 'a int (one of 28, 32)', 'a finite number (from 0 to 1)', 'a list of str'."""
        return self._type() + self._details()

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is acceptable, else why not, e.g. "must be at least 1; got 0"."""
        if value is None and self.optional:
            return None
        if value is None or not _is(value, self.kind):
            return f"must be {self._type()}; got {shown(value)}{self._details()}"
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}; got {shown(value)}"
        if self.kind in (int, float) and self.low is not None and value < self.low:
            return f"must be at least {number_text(self.low)}; got {shown(value)}"
        if self.kind in (int, float) and self.high is not None and value > self.high:
            return f"must be at most {number_text(self.high)}; got {shown(value)}"
        if self.kind is list:
            bad_item = self.items is not None and not all(_is(v, self.items) for v in value)
            repeated = self.unique and len({repr(v) for v in value}) < len(value)
            if bad_item or repeated or len(value) < self.min_items:
                return f"must be {self._type()}; got {shown(value)}{self._details()}"
        return None


def check_object(data: Any, rules: Mapping[str, Rule], source: str | Path, *, required: tuple[str, ...] = (),
                 what: str = "") -> dict[str, Any]:
    """``data`` as a dict whose keys in ``rules`` hold acceptable values; returns it unchanged.

    Keys not in ``rules`` are left alone (callers that refuse unknown keys say so themselves). A missing
    key is an error only when it is in ``required``. ``source`` names the file (and the object inside it,
    e.g. "RUN/config.json: run_config") in every message; ``what`` says what the file should be.
    """
    if not isinstance(data, dict):
        should = f" ({what})" if what else ""
        raise UserError(f"{source} must hold a JSON object{should}; got {shown(data)}")
    for key in required:
        if key not in data:
            raise UserError(f"{source}: key {key!r} is missing; it must be {rules[key].accepts()}")
    for key, rule in rules.items():
        if key in data and (problem := rule.problem(data[key])) is not None:
            raise UserError(f"{source}: key {key!r} {problem}")
    return data


def check_value(key: str, value: Any, rule: Rule) -> None:
    """One option's value (no file involved): '<key> must be <accepts>; got <value>'."""
    if (problem := rule.problem(value)) is not None:
        raise UserError(f"{key} {problem}")
