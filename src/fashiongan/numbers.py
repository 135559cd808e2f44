"""Numbers typed by people, parsed once and bounded: counts, seeds, seed ranges, threads, image sizes, classes.

Every parser takes the raw text and the name to blame, and returns a plain ``int``/``float`` or raises a
``UserError`` with one sentence naming the flag and what it accepts. Only ASCII digits count: Python's
``int()`` also takes Unicode digits such as Arabic-Indic ones while ``str.isdigit()`` is true for
superscripts like '²' that ``int()`` refuses, and neither is what a user of a shell means by a number.
Every value is bounded, because torch, numpy and the C code below them overflow where Python does not.
"""

from __future__ import annotations

import math
import re

from fashiongan.errors import UserError

MAX_SEED = 2**63 - 1  # torch generators take signed 64-bit seeds; larger ones overflow
MAX_SEEDS = 1_000_000  # an explicit list of seeds is held in memory
MAX_THREADS = 1024  # CPU threads: the OpenMP pools refuse (or hang on) absurd counts
MAX_CLASSIFIER_SEED = 2**32 - 1  # classify derives its synthetic noise seeds from it (seed * 10^7 + ...)
MAX_IMAGE_SIZE = 1024  # image side in pixels for classifiers: a 1024x1024x3 batch of one is 12 MB
MAX_DIGITS = 30  # longer "numbers" are refused before Python converts them (int() is quadratic in length)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_SEED_PART = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?")


def short(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for an error message (a 5000-digit number stays readable)."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _named(name: str, message: str) -> UserError:
    return UserError(f"{name} {message}" if name else message)


def is_integer_text(text: str) -> bool:
    """True for an optional sign and ASCII digits only (not '²', not '١٢', not '1e3', not '0x10')."""
    return bool(_INTEGER.fullmatch(text.strip())) and len(text.strip()) <= MAX_DIGITS


def is_number_text(text: str) -> bool:
    """True for what ``float()`` reads from ASCII text of reasonable length (also 'inf' and 'nan', refused later)."""
    if not text.isascii() or len(text) > 100:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_int(text: str, name: str = "", low: int | None = None, high: int | None = None) -> int:
    """``text`` as an integer in [low, high] (either bound may be None), or a UserError naming ``name``.

    Without a name the message reads "must be at least 1; got 0", for argparse to put the flag in front.
    """
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise _named(name, f"expects an integer (digits 0-9); got {short(text)!r}")
    if len(stripped.lstrip("+-")) > MAX_DIGITS:  # far outside any bound: say so without converting it
        if stripped.startswith("-") and low is not None:
            raise _named(name, f"must be at least {low}; got {short(stripped)}")
        if not stripped.startswith("-") and high is not None:
            raise _named(name, f"must be at most {high}; got {short(stripped)}")
        raise _named(name, f"has too many digits; got {short(stripped)}")
    value = int(stripped)
    if low is not None and value < low:
        raise _named(name, f"must be at least {low}; got {short(stripped)}")
    if high is not None and value > high:
        raise _named(name, f"must be at most {high}; got {short(stripped)}")
    return value


def parse_float(text: str, name: str, low: float, high: float, *, low_open: bool = True,
                high_open: bool = False) -> float:
    """``text`` as a finite number between ``low`` and ``high`` (each end open or closed)."""
    value = float(text) if is_number_text(text) else math.nan
    inside = math.isfinite(value) and (low < value if low_open else low <= value) and \
        (value < high if high_open else value <= high)
    if not inside:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise _named(name, f"must be a number in {left}{low:g}, {high:g}{right}; got {short(text)!r}")
    return value


def parse_seeds(text: str, limit: int = MAX_SEEDS) -> list[int]:
    """'3', '0-63' or '1,5,9-11' as a list of seeds in [0, 2**63 - 1], at most ``limit`` of them.

    The size of a range is computed from its ends before anything is built, so '0-9223372036854775807'
    is refused with a message instead of overflowing ``len(range(...))``.
    """
    bounds = []
    for part in text.split(","):
        match = _SEED_PART.fullmatch(part)
        if not match or any(len(g or "") > MAX_DIGITS for g in match.groups()):
            raise UserError(f"seeds must look like 3, 0-63 or 1,5,9-11 (from 0 to 2**63 - 1); got {short(text)!r}")
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        if end < start:
            raise UserError(f"seeds must look like 3, 0-63 or 1,5,9-11; the range {short(part.strip())} runs backwards")
        if end > MAX_SEED:
            raise UserError(f"seeds must be at most 2**63 - 1 = {MAX_SEED}; got {short(part.strip())}")
        bounds.append((start, end))
    count = sum(end - start + 1 for start, end in bounds)
    if count > limit:
        raise UserError(f"at most {limit:,} seeds in a list, got {count:,}; for more images use --seed S --n N")
    return [seed for start, end in bounds for seed in range(start, end + 1)]


def parse_class(value: int | str, class_names: list[str]) -> int:
    """A class given by index (ASCII digits) or by name (any case) → its index; else a UserError listing them."""
    choices = ", ".join(f"{i}={name}" for i, name in enumerate(class_names))
    if isinstance(value, str) and is_integer_text(value):  # '²' is a name, not an index: it matches no class
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UserError(f"a class is a name or an index; got {short(repr(value))}")
    if isinstance(value, int):
        if 0 <= value < len(class_names):
            return value
        raise UserError(f"class index {value} is out of range; valid classes: {choices}")
    lowered = {name.lower(): i for i, name in enumerate(class_names)}
    if value.lower() in lowered:
        return lowered[value.lower()]
    raise UserError(f"unknown class {short(value)!r}; valid classes: {choices}")
