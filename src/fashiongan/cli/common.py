"""Argument types shared by the commands: checked ranges with clear messages."""

from __future__ import annotations

import argparse

MAX_SEED = 2**63 - 1  # torch generators take signed 64-bit seeds; larger ones overflow
MAX_SEEDS = 1_000_000  # explicit --seeds lists are held in memory; --n streams any count


def short(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for an error message (a 5000-digit number stays readable)."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def int_at_least(minimum: int, maximum: int = MAX_SEED):
    """An argparse type: an integer in [minimum, maximum] (every int flag is bounded: C code overflows)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {short(text)!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {short(text)}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {short(text)}")
        return value

    parse.__name__ = f"int>={minimum}"
    return parse


def float_in(low: float, high: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {short(text)!r}") from None
        if not low < value < high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    parse.__name__ = "float"
    return parse


def truncation(text: str) -> float:
    """A noise std in (0, 1] (generate --truncation, the synthetic images of classify and the study)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _seed_range(part: str) -> range:
    if "-" in part.strip()[1:]:
        start, end = part.split("-", 1)
        lo, hi = int(start), int(end)
        if hi < lo:
            raise ValueError
        return range(lo, hi + 1)
    return range(int(part), int(part) + 1)


def seeds(text: str) -> list[int]:
    """Parse '3', '0-63' or '1,5,9-11' into a list of seeds in [0, 2**63 - 1], at most MAX_SEEDS of them."""
    try:
        ranges = [_seed_range(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must look like 3, 0-63 or 1,5,9-11; got {short(text)!r}") from None
    if any(r.start < 0 for r in ranges):
        raise argparse.ArgumentTypeError(f"seeds must be non-negative; got {short(text)!r}")
    if any(r.stop - 1 > MAX_SEED for r in ranges):
        raise argparse.ArgumentTypeError(f"seeds must be at most 2**63 - 1 = {MAX_SEED}")
    if sum(len(r) for r in ranges) > MAX_SEEDS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_SEEDS:,} seeds in a list; for more images use --seed S --n N"
        )
    return [seed for r in ranges for seed in r]


def check_out_given_under_torchrun(out: str | None) -> None:
    """Under torchrun every rank must write to one folder: a default ``runs/…-NNN`` could differ per rank."""
    from fashiongan import distributed
    from fashiongan.errors import UserError

    if out is None and distributed.world_size() > 1:
        raise UserError("under torchrun, pass --out RUN_DIR: every rank must use the same run folder")
