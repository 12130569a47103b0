"""``ncpu-lsp`` / ``python -m server``: the language server over stdio."""

from __future__ import annotations

import argparse
import logging
import sys

from ncpu import __version__


def main() -> None:
    """Parse the few options and serve on stdin/stdout."""
    parser = argparse.ArgumentParser(prog="ncpu-lsp", description="The ncpu language server (stdio).")
    parser.add_argument("--version", action="version", version=f"ncpu-lsp {__version__}")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, stream=sys.stderr)
    from server.server import create_server

    create_server().start_io()


if __name__ == "__main__":
    main()
