"""The ``fisherstat`` command line.

One module per command, each with ``NAME``, ``HELP``, ``register(subparsers)`` and
``run(args, out)``; :data:`COMMANDS` lists them in the order of ``fisherstat --help``.
Bad arguments give a one-line error and exit status 2, never a traceback (also for files
that cannot be read or written and for sizes too large for the memory); Ctrl-C ends with
"fisherstat: interrupted" and status 130, a closed output pipe quietly with status 1.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence

from . import check, design, info, models
from ._common import Parser, UsageError

__all__ = ["main", "COMMANDS"]

#: The sub-commands, in the order of ``fisherstat --help``.
COMMANDS = [check, info, design, models]


def build_parser() -> Parser:
    parser = Parser(prog="fisherstat",
                    description="Fisher information, Cramer-Rao bounds and their checks.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush of a closed
    pipe raises nothing (the recipe of the Python docs on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fisherstat`` console script; returns the exit status.

    Examples
    --------
    >>> from fisherstat.cli import main
    >>> main(["info", "Poisson", "--theta", "2"])  # doctest: +ELLIPSIS
    model: Poisson(lam)
    ...
    0
    """
    out = sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from .. import __version__

            print(f"fisherstat {__version__}", file=out)
            return 0
        if args.command is None:
            parser.print_help(out)
            return 0
        command = next(c for c in COMMANDS if c.NAME == args.command)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            command.run(args, out)
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
    except UsageError as exc:
        print(f"fisherstat: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, NotImplementedError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"fisherstat: error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `fisherstat models | head -1`: the reader is gone
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        print("fisherstat: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file named on the command line cannot be read or written
        where = f": {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"fisherstat: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except MemoryError as exc:  # e.g. --n or --reps far too large for this machine
        msg = str(exc).splitlines()[0] if str(exc) else "not enough memory"
        print(f"fisherstat: error: {msg}; choose smaller sizes (--n, --reps, --option)",
              file=sys.stderr)
        return 2
    return 0
