"""Argument types shared by the commands: checked ranges with clear messages."""

from __future__ import annotations

import argparse

from fashiongan.errors import UserError
from fashiongan.numbers import MAX_SEED, MAX_SEEDS, parse_float, parse_int, parse_seeds, short

__all__ = ["MAX_SEED", "MAX_SEEDS", "float_in", "int_at_least", "seeds", "short", "truncation"]


def argument_type(parse, name: str):
    """An argparse type from a ``numbers`` parser: its UserError becomes argparse's one-line usage error."""

    def convert(text: str):
        try:
            return parse(text)
        except UserError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def int_at_least(minimum: int, maximum: int = MAX_SEED):
    """An argparse type: an integer in [minimum, maximum] (every int flag is bounded: C code overflows)."""
    return argument_type(lambda text: parse_int(text, "", minimum, maximum), f"int>={minimum}")


def float_in(low: float, high: float):
    """An argparse type: a finite number strictly between ``low`` and ``high``."""
    return argument_type(lambda text: parse_float(text, "", low, high, high_open=True), "float")


def truncation(text: str) -> float:
    """A noise std in (0, 1] (generate --truncation, the synthetic images of classify and the study)."""
    return argument_type(lambda t: parse_float(t, "", 0.0, 1.0), "truncation")(text)


def seeds(text: str) -> list[int]:
    """Parse '3', '0-63' or '1,5,9-11' into a list of seeds in [0, 2**63 - 1], at most MAX_SEEDS of them."""
    return argument_type(parse_seeds, "seeds")(text)


def check_out_given_under_torchrun(out: str | None) -> None:
    """Under torchrun every rank must write to one folder: a default ``runs/…-NNN`` could differ per rank."""
    from fashiongan import distributed
    from fashiongan.errors import UserError

    if out is None and distributed.world_size() > 1:
        raise UserError("under torchrun, pass --out RUN_DIR: every rank must use the same run folder")
