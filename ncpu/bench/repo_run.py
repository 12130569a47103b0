"""The repo benchmark's run: each validated target blanked in a fresh variant, solved, then scored.

The solver is ``ncpu solve <file> --workspace <variant root> --write --json ...`` in a subprocess, the
way a user runs it; the library's tests are in the workspace, as a user's tests are. Only after the solve
has ended are the chosen tests run on the written file: the scoring never chooses among candidates.
Results append to a JSONL file one target at a time (flushed); a rerun skips the targets already there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ncpu
from ncpu.bench.repo_sources import Library, copy_tree
from ncpu.bench.repo_targets import Candidate, blank, find_candidates
from ncpu.bench.repo_validate import run_tests

NCPU_ROOT = Path(ncpu.__file__).resolve().parents[1]
"""The checkout whose ``ncpu`` this benchmark runs: the solver subprocess imports the same code."""


@dataclass(frozen=True)
class Variant:
    """One target's copy of its library, with the target blanked."""

    target: dict[str, Any]
    library: Library
    root: Path
    file: Path
    blanked: str
    """The blanked file's text, as the solver got it."""


Solver = Callable[[Variant], dict[str, Any]]
"""Solves the variant's stub in place (writing the file) and returns its entry of ``ncpu solve --json``."""


class SubprocessSolver:
    """``ncpu solve`` in a subprocess, with the engine options passed through."""

    def __init__(self, engine_args: list[str], timeout: float) -> None:
        self.engine_args = engine_args
        self.timeout = timeout

    def command(self, variant: Variant, report: Path) -> list[str]:
        """The solve command line for ``variant``."""
        return [
            sys.executable, "-m", "ncpu", "solve", str(variant.file),
            "--workspace", str(variant.root), "--write", "--json", str(report), *self.engine_args,
        ]  # fmt: skip

    def __call__(self, variant: Variant) -> dict[str, Any]:
        """Solve, and return the target's stub entry (``status: error`` when the solve gave none)."""
        report = variant.root.parent / f"{variant.root.name}.solve.json"
        report.unlink(missing_ok=True)
        env = dict(os.environ)
        # ncpu's own code only: the library is the user's project, found by the solve from --workspace, and the
        # working directory is outside it (``python -m`` puts the working directory first on ncpu's own path).
        env["PYTHONPATH"] = os.pathsep.join([str(NCPU_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        try:
            answer = subprocess.run(
                self.command(variant, report),
                cwd=variant.root.parent,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            return {"status": "error", "message": f"ncpu solve timed out after {self.timeout:.0f} s"}
        try:
            stubs = json.loads(report.read_text(encoding="utf-8")).get("stubs", [])
        except (OSError, ValueError):
            return {"status": "error", "message": f"no JSON report (exit {answer.returncode}): {answer.stderr[-800:]}"}
        finally:
            report.unlink(missing_ok=True)
        name = variant.target["qualified_name"]
        entry = next((stub for stub in stubs if stub.get("function") == name), None)
        if entry is None:
            return {"status": "error", "message": f"ncpu solve did not report {name} (exit {answer.returncode})"}
        return dict(entry)


def finished_targets(path: Path) -> set[str]:
    """Target ids already in a results file (a line cut short is ignored)."""
    done: set[str] = set()
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            done.add(json.loads(line)["target_id"])
        except (ValueError, KeyError, TypeError):
            continue
    return done


def read_targets(path: Path) -> list[dict[str, Any]]:
    """The validated targets of a prepare step's JSONL file, in its order."""
    targets = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("valid"):
            targets.append(record)
    return targets


def _candidate_of(target: dict[str, Any], source: str) -> Candidate:
    """The target as found again in the pristine source (its line numbers, indentation)."""
    for candidate in find_candidates(source, target["file"]):
        if candidate.qualified_name == target["qualified_name"]:
            return candidate
    raise ValueError(f"{target['target_id']}: not found in the pristine source any more")


def make_variant(target: dict[str, Any], library: Library, pristine: Path, directory: Path) -> Variant:
    """A fresh copy of the library under ``directory`` with the target blanked."""
    safe = target["target_id"].replace("/", "_").replace(":", "_").replace(".", "_")
    root = copy_tree(pristine, (directory / safe).resolve())
    path = root / target["file"]
    source = path.read_text(encoding="utf-8")
    blanked = blank(source, _candidate_of(target, source))
    path.write_text(blanked, encoding="utf-8")
    return Variant(target, library, root, path, blanked)


def solve_and_score(variant: Variant, solver: Solver, test_timeout: float) -> dict[str, Any]:
    """Solve the variant, then (and only then) run its chosen tests on what was written."""
    started = time.monotonic()
    entry = solver(variant)
    wall = time.monotonic() - started
    written = variant.file.read_text(encoding="utf-8") != variant.blanked
    if written:
        scored = run_tests(variant.library, variant.root, list(variant.target["tests"]), test_timeout)
        tests_passed, detail = scored.passed, ("" if scored.passed else scored.tail)
    else:
        tests_passed, detail = False, "nothing written"
    target = variant.target
    return {
        "target_id": target["target_id"],
        "library": target["library"],
        "kind": target["kind"],
        "file": target["file"],
        "qualified_name": target["qualified_name"],
        "called_by_name": target.get("called_by_name", False),
        "tests": target["tests"],
        "status": entry.get("status", "error"),
        "message": entry.get("message", ""),
        "layer": entry.get("layer"),
        "verified": entry.get("status") == "verified",
        "checks": entry.get("checks", 0),
        "checks_passed": entry.get("checks_passed", 0),
        "model": entry.get("model"),
        "samples": entry.get("samples", 0),
        "tokens": entry.get("tokens", 0),
        "solve_seconds": entry.get("seconds", 0.0),
        "wall_seconds": round(wall, 2),
        "written": written,
        "tests_passed": tests_passed,
        "detail": detail,
        "body": entry.get("body"),
    }


def run_targets(
    targets: Iterable[dict[str, Any]],
    libraries: dict[str, Library],
    pristine: dict[str, Path],
    results: Path,
    solver: Solver,
    *,
    variants: Path,
    test_timeout: float,
    keep_variants: bool = False,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> Path:
    """Solve and score every target not yet in ``results``, appending one record each; return ``results``.

    Each target's variant is made under ``variants``, which should lie outside any project (pytest would
    take that project's configuration for the library's), and removed after scoring unless ``keep_variants``.
    """
    results.parent.mkdir(parents=True, exist_ok=True)
    done = finished_targets(results)
    todo = [target for target in targets if target["target_id"] not in done]
    with results.open("a", encoding="utf-8") as out:
        for index, target in enumerate(todo, start=1):
            library = libraries[target["library"]]
            variant = make_variant(target, library, pristine[library.name], variants)
            try:
                record = solve_and_score(variant, solver, test_timeout)
            finally:
                if not keep_variants:
                    shutil.rmtree(variant.root, ignore_errors=True)
            out.write(json.dumps(record) + "\n")
            out.flush()
            if progress is not None:
                progress(index, len(todo), record)
    return results
