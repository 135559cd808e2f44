"""Request validation: every query parameter is parsed here from its raw text, with a clear message.

Parsing by hand (rather than by type annotations) keeps every rejection a 400 with one sentence that names
the parameter and its valid range, and lets us refuse unknown or repeated parameters too.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fashiongan import numbers
from fashiongan.errors import UserError

MAX_N = 256  # images per request: bounds memory and time
MAX_STEPS = 32  # images per interpolation strip
MAX_SEED = 2**32 - 1
MAX_TEXT = 100  # longest raw parameter value looked at


class BadRequest(ValueError):
    """A request parameter is wrong; the message is shown to the user as is."""


@dataclass(frozen=True)
class GenerateParams:
    class_index: int | None  # None: cycle through the classes (or an unconditional model)
    n: int
    seed: int
    truncation: float


@dataclass(frozen=True)
class InterpolateParams:
    class_index: int | None
    seed_a: int
    seed_b: int
    steps: int
    truncation: float


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def single_values(query: Sequence[tuple[str, str]], allowed: Sequence[str]) -> dict[str, str]:
    """The query as a dict; unknown or repeated names are refused."""
    values: dict[str, str] = {}
    for name, value in query:
        if name not in allowed:
            raise BadRequest(f"unknown parameter {_show(name)}; allowed: {', '.join(allowed)}")
        if name in values:
            raise BadRequest(f"parameter {name!r} is given more than once")
        if len(value) > MAX_TEXT:
            raise BadRequest(f"parameter {name!r} is too long ({len(value)} characters)")
        values[name] = value.strip()
    return values


def parse_int(values: Mapping[str, str], name: str, low: int, high: int, default: int | None = None) -> int:
    text = values.get(name, "")
    if text == "":
        if default is None:
            raise BadRequest(f"parameter {name!r} is required: an integer from {low} to {high}")
        return default
    if not numbers.is_integer_text(text):
        raise BadRequest(f"{name} must be an integer from {low} to {high}; got {_show(text)}")
    value = int(text)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}; got {value}")
    return value


def parse_seed(values: Mapping[str, str], name: str) -> int:
    """A seed from 0 to 2^32-1; empty, missing or 'random' lets the server pick one (returned in X-Seed)."""
    if values.get(name, "").lower() in ("", "random"):
        return secrets.randbelow(MAX_SEED - MAX_N)
    return parse_int(values, name, 0, MAX_SEED - MAX_N)


def parse_truncation(values: Mapping[str, str]) -> float:
    """The noise scale t, 0 < t <= 1 (1: the full distribution; smaller: typical, less varied images)."""
    text = values.get("truncation", "")
    if text == "":
        return 1.0
    value = float(text) if numbers.is_number_text(text) else math.nan  # ASCII only, as on the command line
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise BadRequest(f"truncation must be a number with 0 < truncation <= 1; got {_show(text)}")
    return value


def parse_class(values: Mapping[str, str], class_names: Sequence[str], conditional: bool) -> int | None:
    """A class by name (case-insensitive) or index; empty or 'all' means every class."""
    text = values.get("class", "")
    if text == "" or text.lower() == "all":
        return None
    if not conditional:
        raise BadRequest("this model is unconditional: leave out 'class' (or pass class=all)")
    try:
        return numbers.parse_class(text, list(class_names))  # the rule of `generate --class`: '²' is a name
    except UserError as exc:
        raise BadRequest(f"{exc}, or all") from None


GENERATE_NAMES = ("class", "n", "seed", "truncation")
INTERPOLATE_NAMES = ("class", "seed_a", "seed_b", "steps", "truncation")


def generate_params(
    query: Sequence[tuple[str, str]], class_names: Sequence[str], conditional: bool
) -> GenerateParams:
    values = single_values(query, GENERATE_NAMES)
    return GenerateParams(
        class_index=parse_class(values, class_names, conditional),
        n=parse_int(values, "n", 1, MAX_N, default=16),
        seed=parse_seed(values, "seed"),
        truncation=parse_truncation(values),
    )


def interpolate_params(
    query: Sequence[tuple[str, str]], class_names: Sequence[str], conditional: bool
) -> InterpolateParams:
    values = single_values(query, INTERPOLATE_NAMES)
    seed_a = parse_seed(values, "seed_a")
    return InterpolateParams(
        class_index=parse_class(values, class_names, conditional),
        seed_a=seed_a,
        seed_b=seed_a + 1 if values.get("seed_b", "") == "" else parse_seed(values, "seed_b"),
        steps=parse_int(values, "steps", 2, MAX_STEPS, default=8),
        truncation=parse_truncation(values),
    )


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")


def _host_name(header: str) -> str:
    """The name in a Host header, without the port: 'example.com:80' -> 'example.com', '[::1]:80' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def host_allowed(header: str, bound_host: str, machine_names: Sequence[str] = ()) -> bool:
    """Whether a request's Host header names the server as bound (the guard against DNS rebinding).

    A page on another site can make the browser send requests to 127.0.0.1 under its own domain name (DNS
    rebinding); its Host header then carries that name. Accepted: the bound address, the loopback names, and,
    for a server bound to every interface (0.0.0.0 or ::), any IP address and this machine's own names.
    """
    name = _host_name(header)
    if not name:
        return False
    bound = bound_host.strip().lower().strip("[]")
    if name == bound or name in LOOPBACK_NAMES:
        return True
    if bound in WILDCARDS:
        return _is_ip(name) or name in {n.lower() for n in machine_names}
    return False
