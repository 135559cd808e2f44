"""Argument types shared by the commands: checked ranges with clear messages."""

from __future__ import annotations

import argparse


def int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"int>={minimum}"
    return parse


def float_in(low: float, high: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not low < value < high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    parse.__name__ = "float"
    return parse


def seeds(text: str) -> list[int]:
    """Parse '3', '0-63' or '1,5,9-11' into a list of non-negative seeds."""
    result: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part.strip()[1:]:
                start, end = part.split("-", 1)
                lo, hi = int(start), int(end)
                if hi < lo:
                    raise ValueError
                result.extend(range(lo, hi + 1))
            else:
                result.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must look like 3, 0-63 or 1,5,9-11; got {text!r}") from None
    if any(s < 0 for s in result):
        raise argparse.ArgumentTypeError(f"seeds must be non-negative; got {text!r}")
    return result
