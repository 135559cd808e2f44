"""CLI flags generated from option declarations, and ``--set section.key=value`` for every run-config option.

Nothing here names an option: the flags, their types, choices, ranges and help all come from the
``option()`` declarations (config.py for ``train``; ClassifyConfig, EvaluatorConfig, BenchOptions and
StudyOptions for the other commands). Adding an option there adds its flag here.
"""

from __future__ import annotations

import argparse
import typing
from dataclasses import MISSING
from typing import Any

from fashiongan.config import DEVICES, Declaration, declaration, declarations, describe_range, flag_name
from fashiongan.errors import UserError
from fashiongan.numbers import is_integer_text, is_number_text, short

__all__ = ["add_config_flags", "add_device_flag", "add_option_flags", "config_help", "flag_name",
           "given_config_overrides", "given_options", "parse_value"]

TRUE, FALSE, NONE = ("true", "yes", "1", "on"), ("false", "no", "0", "off"), ("none", "null")


def dest(key: str) -> str:
    return "config__" + key.replace(".", "__")


def base_type(hint: Any) -> type:
    return next(t for t in (typing.get_args(hint) or (hint,)) if t is not type(None))


def parse_value(key: str, text: str, hint: Any) -> Any:
    """A string from the command line → the option's type ('none' for optional options)."""
    allowed = typing.get_args(hint) or (hint,)
    if text.strip().lower() in NONE and type(None) in allowed:
        return None
    kind = base_type(hint)
    try:
        if kind is bool:
            if text.strip().lower() in TRUE + FALSE:
                return text.strip().lower() in TRUE
            raise ValueError
        if kind in (int, float) and not (is_integer_text(text) if kind is int else is_number_text(text)):
            raise ValueError  # '²', '١٢', 5000 digits: not a number a user typed (the range is checked later)
        return kind(text)
    except ValueError:
        raise UserError(f"{key} expects {kind.__name__}; got {short(text)!r}") from None


def _describe(f: Any) -> str:
    meta, parts = f.metadata, [f.metadata["help"]]
    default = f.default if f.default is not MISSING else None
    if meta.get("above") is not None or meta.get("below") is not None:
        parts.append(describe_range(meta))
    elif meta["low"] is not None or meta["high"] is not None:
        low = "" if meta["low"] is None else f"{meta['low']:g}"
        high = "" if meta["high"] is None else f"{meta['high']:g}"
        parts.append(f"range {low}..{high}")
    if "(default:" not in meta["help"]:  # a help text that states its own default is not told "None"
        parts.append(f"default: {default}")
    return "; ".join(parts).replace("%", "%%")


def add_option_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                     options: list[Declaration]) -> None:
    """One flag per declared option that names a ``flag``; unset flags stay None (see ``given_options``)."""
    for key, f, hint in options:
        flag = f.metadata["flag"]
        if not flag:
            continue
        kind = base_type(hint)
        if kind is bool:
            parser.add_argument(f"--{flag}", dest=dest(key), action=argparse.BooleanOptionalAction, default=None,
                                help=_describe(f))
            continue
        choices = f.metadata["choices"]
        parser.add_argument(f"--{flag}", dest=dest(key), default=None, metavar=kind.__name__.upper() if not choices
                            else None, choices=choices, type=_flag_type(key, hint), help=_describe(f))


def given_options(args: argparse.Namespace, options: list[Declaration]) -> dict[str, Any]:
    """The options the user set by flag, as {key: value} (flags left unset are left out)."""
    return {key: getattr(args, dest(key)) for key, f, _ in options
            if f.metadata["flag"] and getattr(args, dest(key), None) is not None}


def add_device_flag(parser: argparse.ArgumentParser, default: str = "auto") -> None:
    """``--device`` of a command whose device is not a saved option (generate, evaluate, serve, predict)."""
    parser.add_argument("--device", choices=DEVICES, default=default,
                        help=f"where to run; auto = CUDA when there is a GPU (default: {default})")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per declared run-config option that names a ``flag``, plus ``--set`` and ``--help-config``."""
    group = parser.add_argument_group("config options (each also settable with --set section.key=VALUE)")
    add_option_flags(group, declarations())
    group.add_argument("--set", dest="set_options", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="set any config option, e.g. --set train.r1_gamma=0.1 (see --help-config)")
    group.add_argument("--help-config", action="store_true", help="list every config option and exit")


def _flag_type(key: str, hint: Any):
    def parse(text: str) -> Any:
        try:
            return parse_value(key, text, hint)
        except UserError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = base_type(hint).__name__
    return parse


def given_config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The options the user set, by flag or ``--set``, as {"section.key": value} (unset flags are left out)."""
    overrides = given_options(args, declarations())
    for item in args.set_options:
        key, sep, text = item.partition("=")
        if not sep:
            raise UserError(f"--set expects SECTION.KEY=VALUE; got {item!r}")
        _, hint = declaration(key.strip())
        overrides[key.strip()] = parse_value(key.strip(), text.strip(), hint)
    return overrides


def config_help() -> str:
    lines = []
    for key, f, _ in declarations():
        flag = f" (--{f.metadata['flag']})" if f.metadata["flag"] else ""
        choices = f" [{'|'.join(map(str, f.metadata['choices']))}]" if f.metadata["choices"] else ""
        lines.append(f"{key}{flag}{choices}: {_describe(f)}".replace("%%", "%"))
    return "\n".join(lines)
