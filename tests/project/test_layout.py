"""Import roots and dotted names, found as the project's own tests would find them (no sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction.layout import declared_roots, import_roots, locate_module
from extraction.pytest_config import doctest_optionflags


def _touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_module_in_a_package_is_named_from_the_first_folder_up_without_init(tmp_path: Path) -> None:
    _touch(tmp_path / "inventory" / "__init__.py")
    core = _touch(tmp_path / "inventory" / "sub" / "core.py")
    _touch(tmp_path / "inventory" / "sub" / "__init__.py")
    location = locate_module(core)
    assert location is not None
    assert (location.name, location.is_package, location.root) == ("inventory.sub.core", False, tmp_path.resolve())


def test_a_package_init_is_the_package(tmp_path: Path) -> None:
    init = _touch(tmp_path / "inventory" / "__init__.py")
    location = locate_module(init)
    assert location is not None and (location.name, location.is_package) == ("inventory", True)


def test_src_layout_needs_nothing_declared(tmp_path: Path) -> None:
    _touch(tmp_path / "src" / "pkg" / "__init__.py")
    module = _touch(tmp_path / "src" / "pkg" / "mod.py")
    location = locate_module(module)
    assert location is not None and location.name == "pkg.mod" and location.root == (tmp_path / "src").resolve()
    assert import_roots(tmp_path, location)[:2] == ((tmp_path / "src").resolve(), tmp_path.resolve())


def test_a_namespace_package_with_relative_imports_is_named_from_a_declared_root(tmp_path: Path) -> None:
    _touch(tmp_path / "src" / "nspkg" / "helpers.py", "X = 1\n")
    module = _touch(tmp_path / "src" / "nspkg" / "mod.py", "from .helpers import X\n")
    location = locate_module(module, declared_roots(tmp_path))
    assert location is not None and location.name == "nspkg.mod"


def test_a_file_no_import_can_name_has_no_location(tmp_path: Path) -> None:
    assert locate_module(_touch(tmp_path / "my-script.py")) is None


@pytest.mark.parametrize(
    ("pyproject", "folder"),
    [
        ('[tool.setuptools.packages.find]\nwhere = ["lib"]\n', "lib"),
        ('[tool.setuptools.package-dir]\n"" = "lib"\n', "lib"),
        ('[tool.hatch.build.targets.wheel]\npackages = ["lib/pkg"]\n', "lib"),
        ('[tool.poetry]\npackages = [{include = "pkg", from = "lib"}]\n', "lib"),
        ('[tool.pytest.ini_options]\npythonpath = ["lib"]\n', "lib"),
    ],
)
def test_package_folders_the_pyproject_declares_are_import_roots(tmp_path: Path, pyproject: str, folder: str) -> None:
    _touch(tmp_path / "pyproject.toml", pyproject)
    (tmp_path / folder).mkdir()
    assert declared_roots(tmp_path) == ((tmp_path / folder).resolve(), tmp_path.resolve())


def test_a_broken_pyproject_leaves_the_workspace_itself(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml", "[tool.setuptools\n")
    assert declared_roots(tmp_path) == (tmp_path.resolve(),)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\ndoctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\ndoctest_optionflags = "ELLIPSIS NORMALIZE_WHITESPACE"\n'),
        ("tox.ini", "[pytest]\ndoctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE\n"),
        ("setup.cfg", "[tool:pytest]\ndoctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE\n"),
    ],
)
def test_the_projects_doctest_optionflags_are_read_where_pytest_reads_them(
    tmp_path: Path, name: str, text: str
) -> None:
    _touch(tmp_path / name, text)
    assert doctest_optionflags(tmp_path) == {"ELLIPSIS", "NORMALIZE_WHITESPACE"}


def test_pytest_ini_wins_even_without_the_key(tmp_path: Path) -> None:
    _touch(tmp_path / "pytest.ini", "[pytest]\naddopts = -q\n")
    _touch(tmp_path / "tox.ini", "[pytest]\ndoctest_optionflags = ELLIPSIS\n")
    assert doctest_optionflags(tmp_path) == frozenset()


def test_the_project_interpreter_setting_reaches_the_engine_and_a_bad_value_is_named() -> None:
    from server.config import parse_config

    config, problems = parse_config({"projectPython": "~/venvs/app"})
    assert not problems
    assert config.to_settings().python == str(Path("~/venvs/app").expanduser())
    _, problems = parse_config({"projectPython": 3})
    assert problems and "projectPython" in problems[0]


def test_the_python_option_reaches_the_engine() -> None:
    import argparse

    from ncpu.cli.options import add_engine_options, settings_from_args

    parser = argparse.ArgumentParser()
    add_engine_options(parser)
    assert settings_from_args(parser.parse_args(["--python", "/opt/app/bin/python"])).python == "/opt/app/bin/python"
    assert settings_from_args(parser.parse_args([])).python is None
