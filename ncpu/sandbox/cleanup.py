"""Removing what a candidate left on disk, whatever it made: deep trees, unreadable dirs, odd names."""

from __future__ import annotations

import contextlib
import os

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def remove_tree(root: str) -> None:
    """Remove ``root`` and everything below it without recursion (1,000s of nested dirs are fine).

    Never follows a symlink out of the tree: entries are opened relative to their parent's fd with
    ``O_NOFOLLOW``. Errors are skipped; what cannot be removed stays (the caller removes the parent later).
    """
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700, follow_symlinks=False)
    try:
        top = os.open(root, _DIR_FLAGS)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(root)
        return
    # One frame per open directory: its fd, its name in the parent, and children that would not go.
    stack: list[tuple[int, str | None, set[str]]] = [(top, None, set())]
    try:
        while stack:
            fd, _, stuck = stack[-1]
            sub = _next_subdir(fd, stuck)
            if sub is not None:
                stack.append(sub)
                continue
            fd, name, _ = stack.pop()
            os.close(fd)
            if name is not None and stack:
                try:
                    os.rmdir(name, dir_fd=stack[-1][0])
                except OSError:
                    stack[-1][2].add(name)
    finally:
        for fd, _, _ in stack:
            with contextlib.suppress(OSError):
                os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(root)


def _next_subdir(fd: int, stuck: set[str]) -> tuple[int, str, set[str]] | None:
    """Unlink the non-directories in ``fd``; return the first subdirectory still to empty, opened."""
    try:
        entries = list(os.scandir(fd))
    except OSError:
        return None
    for entry in entries:
        if entry.name in stuck:
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if not is_dir:
            with contextlib.suppress(OSError):
                os.unlink(entry.name, dir_fd=fd)
            continue
        with contextlib.suppress(OSError):
            os.chmod(entry.name, 0o700, dir_fd=fd, follow_symlinks=False)
        try:
            return os.open(entry.name, _DIR_FLAGS, dir_fd=fd), entry.name, set()
        except OSError:
            stuck.add(entry.name)
    return None


__all__ = ["remove_tree"]
