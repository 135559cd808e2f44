"""The ``fashiongan`` command: argparse subcommands, one module each.

Each command module has ``add_parser(subparsers)`` (which sets ``func``) and a ``run(args)``
that calls the Python API. A ``UserError`` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from fashiongan.cli import bench, classify, data, evaluate, evaluator, export, generate, serve, study, train
from fashiongan.cli.openmp import limit_spinning
from fashiongan.errors import UserError
from fashiongan.text import printable
from fashiongan.version import __version__

COMMANDS = (train, generate, data, evaluate, evaluator, classify, study, serve, export, bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fashiongan",
        description="Train GANs on fashion images, generate new ones per class, and measure them.",
    )
    parser.add_argument("--version", action="version", version=f"fashiongan {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


class OneLineFormatter(logging.Formatter):
    """Each record on one line with control characters escaped: log lines name files, and names may hold
    newlines or terminal escapes."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def setup_logging() -> None:
    """Library warnings and notes go to stderr as 'fashiongan: message'."""
    logger = logging.getLogger("fashiongan")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter("fashiongan: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """The command line; called with ``argv`` (tests, scripts) it never re-executes the process."""
    if argv is None:
        limit_spinning(sys.argv[1:])
    args = build_parser().parse_args(argv)
    setup_logging()
    previous = _on_sigterm(_terminate)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"fashiongan: error: {printable(exc)}", file=sys.stderr)  # one line, whatever names it holds
        return 2
    except Terminated:
        print("fashiongan: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("fashiongan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fashiongan data check DIR | head -1`: the reader left, which is no error of ours
        quiet_stdout()
        return 1
    finally:
        _on_sigterm(previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that every ``finally`` (temporary files) runs as for Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _on_sigterm(handler: object) -> object:
    """Install ``handler`` for SIGTERM and return the previous one (not possible outside the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, TypeError):  # not the main thread, or no previous Python handler to restore
        return None


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not raise BrokenPipeError a second time.

    The recipe of the Python documentation (signal module, "Note on SIGPIPE").
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by something without a file descriptor (tests)
        pass
