"""The ``ncpu`` command: parse, dispatch, and turn every expected failure into one line and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ncpu import __version__
from ncpu.backends.base import BackendError
from ncpu.cli import doctor, solve, store_cmd, user
from ncpu.cli.console import error
from ncpu.cli.options import UsageError

EXIT_OK, EXIT_UNSOLVED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        error(message)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    parser = _Parser(prog="ncpu", description="Write stub bodies that pass your own examples.")
    parser.add_argument("--version", action="version", version=f"ncpu {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve.add_parser(subparsers)
    user.add_parser(subparsers)
    store_cmd.add_parser(subparsers)
    doctor.add_parser(subparsers)
    try:
        from ncpu.bench import cli as bench_cli
    except ImportError:  # the benchmark harness is optional
        pass
    else:
        bench_cli.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except BackendError as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except OSError as exc:
        error(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
