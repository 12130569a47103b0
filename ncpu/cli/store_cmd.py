"""``ncpu store rebuild|stats|clear``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ncpu.cli.console import note, out
from ncpu.store import Store, format_stats


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``store`` subcommand."""
    parser = subparsers.add_parser("store", help="inspect or maintain the store of verified programs")
    parser.add_argument("action", choices=("stats", "rebuild", "clear"))
    parser.add_argument("--store", type=Path, metavar="DIR", help="store directory (default: user cache)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run one store action."""
    with Store.open(args.store) as store:
        if args.action == "stats":
            out.file.write(format_stats(store.stats()) + "\n")
        elif args.action == "rebuild":
            restored = store.rebuild()
            note(f"rebuilt the cache from {store.root}: {restored} verified programs")
        else:
            store.clear()
            note(f"cleared {store.root}")
    return 0
