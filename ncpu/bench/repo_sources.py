"""The repo benchmark's libraries: their pins, and the pinned sdists fetched, verified and unpacked.

Each library is a pure-Python sdist pinned by version and sha256 in ``repo_libraries.json``. It is
fetched with ``pip download --no-deps --no-binary :all:`` (the only step that needs the network), its
hash checked, and unpacked once into the cache; every variant is a copy of that pristine tree.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ncpu.hashing import file_sha256

LIBRARIES = Path(__file__).with_name("repo_libraries.json")
_IGNORED_IN_COPIES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class SourceError(Exception):
    """A library that cannot be had as pinned (download failed, wrong hash, unexpected archive)."""


@dataclass(frozen=True)
class Library:
    """One pinned library and how its tests run."""

    name: str
    version: str
    sha256: str
    package: str
    """The import package, a directory under ``import_root``."""
    import_root: str = "."
    """Directory (relative to the unpacked sdist) that goes on ``PYTHONPATH``: ``.`` or ``src``."""
    tests: tuple[str, ...] = ("tests",)
    """Test directories or files, relative to the unpacked sdist."""
    exclude: tuple[str, ...] = ()
    """Globs (relative to ``import_root``) of source files never blanked."""
    pytest_args: tuple[str, ...] = ()
    """Extra pytest arguments its own configuration needs offline (e.g. dropping ``--cov``)."""
    requires: tuple[str, ...] = ()
    """Modules its code or tests import that are not in the sdist and must be installed already."""

    @property
    def label(self) -> str:
        """``name-version``."""
        return f"{self.name}-{self.version}"


def load_libraries(path: Path = LIBRARIES, only: tuple[str, ...] = ()) -> list[Library]:
    """The pinned libraries (those named in ``only``, when given), in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    libraries = [
        Library(
            name=entry["name"],
            version=entry["version"],
            sha256=entry["sha256"],
            package=entry["package"],
            import_root=entry.get("import_root", "."),
            tests=tuple(entry.get("tests", ("tests",))),
            exclude=tuple(entry.get("exclude", ())),
            pytest_args=tuple(entry.get("pytest_args", ())),
            requires=tuple(entry.get("requires", ())),
        )
        for entry in data["libraries"]
    ]
    unknown = set(only) - {library.name for library in libraries}
    if unknown:
        raise SourceError(
            f"unknown library {', '.join(sorted(unknown))}; pinned: {', '.join(lib.name for lib in libraries)}"
        )
    return [library for library in libraries if not only or library.name in only]


def _find_sdist(directory: Path, library: Library) -> Path | None:
    """The sdist of ``library`` in ``directory`` (pip normalizes ``python-slugify`` to ``python_slugify``)."""
    stems = {f"{library.name}-{library.version}", f"{library.name.replace('-', '_')}-{library.version}"}
    for candidate in sorted(directory.glob("*.tar.gz")):
        if candidate.name.removesuffix(".tar.gz").lower() in {s.lower() for s in stems}:
            return candidate
    return None


def fetch_sdist(library: Library, cache: Path) -> Path:
    """The verified sdist in ``cache/sdists``, downloaded with pip when it is not there yet."""
    directory = cache / "sdists"
    directory.mkdir(parents=True, exist_ok=True)
    found = _find_sdist(directory, library)
    if found is None:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        command += ["--dest", str(directory), f"{library.name}=={library.version}"]
        answer = subprocess.run(command, capture_output=True, text=True, timeout=600)
        found = _find_sdist(directory, library)
        if answer.returncode != 0 or found is None:
            raise SourceError(f"{library.label}: pip download failed: {answer.stderr.strip()[-500:]}")
    actual = file_sha256(found)
    if actual != library.sha256:
        found.unlink()
        raise SourceError(f"{library.label}: sha256 {actual} differs from the pinned {library.sha256}")
    return found


def unpack(library: Library, sdist: Path, cache: Path) -> Path:
    """The pristine source tree (``cache/src/<name>-<version>``), unpacked once."""
    destination = cache / "src" / library.label
    if (destination / library.import_root / library.package).is_dir():
        return destination
    staging = cache / "src" / f".{library.label}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(staging, filter="data")
    tops = [entry for entry in staging.iterdir() if entry.is_dir()]
    if len(tops) != 1:
        raise SourceError(f"{library.label}: expected one top-level directory in {sdist.name}")
    shutil.rmtree(destination, ignore_errors=True)
    tops[0].rename(destination)
    shutil.rmtree(staging, ignore_errors=True)
    return destination


def copy_tree(source: Path, destination: Path) -> Path:
    """A fresh copy of a pristine tree (an earlier copy at ``destination`` is replaced)."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, destination, ignore=_IGNORED_IN_COPIES)
    return destination


def _is_test_module(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def library_test_files(library: Library, root: Path) -> list[str]:
    """The library's test modules, relative to ``root``, sorted."""
    found: set[str] = set()
    for entry in library.tests:
        path = root / entry
        if path.is_file():
            found.add(entry)
        elif path.is_dir():
            found.update(str(p.relative_to(root)) for p in path.rglob("*.py") if _is_test_module(p))
    return sorted(found)


def source_files(library: Library, root: Path) -> list[str]:
    """The package's modules that may hold targets, relative to ``root``, sorted (tests and exclusions left out)."""
    base = root / library.import_root
    found = []
    for path in sorted((base / library.package).rglob("*.py")):
        relative = str(path.relative_to(base))
        if _is_test_module(path) or path.name == "conftest.py" or "tests" in path.relative_to(base).parts:
            continue
        if any(fnmatch.fnmatch(relative, pattern) for pattern in library.exclude):
            continue
        found.append(str(path.relative_to(root)))
    return found


def missing_requirements(library: Library) -> list[str]:
    """The modules of ``library.requires`` this interpreter cannot import."""
    return [name for name in library.requires if importlib.util.find_spec(name) is None]
