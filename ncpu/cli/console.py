"""Where the CLI writes: results to stdout, progress and messages to stderr."""

from __future__ import annotations

from rich.console import Console

# No fixed file: rich resolves sys.stdout / sys.stderr at each write, so redirection keeps working.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """One clear line, no traceback."""
    err.print(f"[bold red]ncpu:[/] {message}", markup=True, highlight=False)


def note(message: str) -> None:
    """An informational line on stderr."""
    err.print(f"ncpu: {message}", markup=False)
