"""The project's pytest settings that change what a doctest means: ``doctest_optionflags``.

pytest reads its configuration from the first of ``pytest.ini``, ``pyproject.toml`` (``[tool.pytest.ini_options]``),
``tox.ini`` (``[pytest]``) and ``setup.cfg`` (``[tool:pytest]``) that has a pytest section, in the rootdir.
A project that sets ``doctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE`` writes its doctests for those
rules; checked without them, its correct bodies would fail.
"""

from __future__ import annotations

import configparser
import doctest
import functools
from pathlib import Path

from extraction.layout import mtime_ns, read_pyproject

_INI_SECTIONS = (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


def doctest_optionflags(workspace: Path | None) -> frozenset[str]:
    """The flags (``ELLIPSIS``...) the project's pytest configuration turns on for every doctest."""
    if workspace is None:
        return frozenset()
    workspace = workspace.resolve()
    stamps = tuple(mtime_ns(workspace / name) for name in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"))
    return _flags(workspace, stamps)


@functools.lru_cache(maxsize=64)
def _flags(workspace: Path, _stamps: tuple[int, ...]) -> frozenset[str]:
    value = _setting(workspace)
    names = value.split() if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []
    return frozenset(name for name in names if name in doctest.OPTIONFLAGS_BY_NAME)


def _setting(workspace: Path) -> object:
    ini = workspace / "pytest.ini"
    if ini.is_file():  # pytest.ini wins even without the key
        return _ini_value(ini, "pytest")
    options = read_pyproject(workspace).get("tool", {})
    options = options.get("pytest", {}).get("ini_options") if isinstance(options, dict) else None
    if isinstance(options, dict):
        return options.get("doctest_optionflags")
    for name, section in _INI_SECTIONS[1:]:
        path = workspace / name
        if path.is_file():
            parser = _parse(path)
            if parser is not None and parser.has_section(section):
                return parser.get(section, "doctest_optionflags", fallback=None)
    return None


def _parse(path: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return parser


def _ini_value(path: Path, section: str) -> object:
    parser = _parse(path)
    if parser is None or not parser.has_section(section):
        return None
    return parser.get(section, "doctest_optionflags", fallback=None)
