"""``ncpu solve PATH...``: the cascade over every stub in a file or a whole repo."""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import difflib
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from extraction import find_stubs
from extraction.errors import SourceError
from extraction.source import MAX_BYTES, decode_source
from ncpu.cancel import CancelToken
from ncpu.cascade.solution import Ambiguity, LayerEvent, Solution
from ncpu.cli.console import err, error, note, out
from ncpu.cli.files import FileChanged, digest, python_files, replace_atomically
from ncpu.cli.model_setup import prepare_models
from ncpu.cli.options import UsageError, add_engine_options, settings_from_args
from ncpu.cli.report import StubOutcome, summary_table, write_json
from ncpu.edit import note_for, splice
from ncpu.engine import Engine
from ncpu.problem import Problem


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``solve`` subcommand."""
    parser = subparsers.add_parser("solve", help="solve the stubs in files or directories")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--write", action="store_true", help="apply verified bodies in place (atomically)")
    parser.add_argument(
        "--accept-ambiguous",
        action="store_true",
        help="also apply bodies whose passing candidates disagree on a generated input (the largest group's)",
    )
    parser.add_argument(
        "--accept-unconfirmed",
        action="store_true",
        help="also apply bodies that passed alone where the model's other candidates failed (unconfirmed)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write a machine-readable report")
    parser.add_argument("--workspace", type=Path, help="root to search for tests (default: current dir)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also bodies meant to stay empty (abstract methods, @overload, Protocol members, .pyi files, dunders)",
    )
    add_engine_options(parser)
    parser.set_defaults(run=run)


@dataclass
class _FileWork:
    path: Path
    source: str
    digest: str
    problems: list[Problem] = field(default_factory=list)


def _load(
    paths: list[Path], workspace: Path, errors: list[str], everything: bool = False, python: str | None = None
) -> list[_FileWork]:
    work = []
    for path in python_files(paths):
        try:
            data = _read_bytes(path)
            source = decode_source(data, str(path))
        except SourceError as exc:
            errors.append(str(exc))
            error(str(exc))
            continue
        _warn_if_broken(path, source)
        stubs = find_stubs(source, include_empty_by_design=everything, stub_file=path.suffix == ".pyi")
        if stubs:
            item = _FileWork(path, source, digest(data))  # the bytes on disk: a BOM or CRLF must not look like an edit
            item.problems = [
                Problem.from_source(source, s, path=path, workspace_root=workspace, python=python) for s in stubs
            ]
            work.append(item)
    return work


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, once: what is decoded is exactly what the digest for ``--write`` covers."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SourceError(f"{path}: too large ({path.stat().st_size} bytes) to be Python source")
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _warn_if_broken(path: Path, source: str) -> None:
    """Say so when the file does not parse: stubs in broken code are missed or cannot be verified."""
    try:
        compile(source, str(path), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        note(f"{path}:{exc.lineno}: syntax error ({exc.msg}); stubs in code that does not parse are skipped")
    except (RecursionError, MemoryError, ValueError) as exc:
        note(f"{path}: cannot be parsed ({type(exc).__name__}: nested too deeply?); its stubs may be skipped")


def _apply(item: _FileWork, solved: list[tuple[Problem, Solution]], accepted: tuple[str, ...] = ()) -> str:
    """The file's text with every verified (or explicitly unverified) body spliced in, last stub first.

    ``accepted`` adds statuses asked for: ``ambiguous`` (the largest group's body) and ``unconfirmed``, each
    marked so.
    """
    text = item.source
    applied = ("verified", "unverified", *accepted)
    for problem, solution in sorted(solved, key=lambda pair: -pair[0].stub.replace_span.start_byte):
        if solution.body is None or solution.status not in applied:
            continue
        mark = note_for(solution)
        text = splice(text, problem.stub, solution.body, mark)
    return text


def run(args: argparse.Namespace) -> int:
    """Solve, then print a diff (or write), a summary, and optionally a JSON report."""
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
    settings = settings_from_args(args)
    workspace = (args.workspace or Path.cwd()).resolve()
    errors: list[str] = []
    work = _load(args.paths, workspace, errors, args.all, settings.python)
    total = sum(len(item.problems) for item in work)
    if total == 0:
        note("no stubs found")
        write_json(args.json, [], errors)
        return 1 if errors else 0
    prepare_models(settings)
    outcomes: list[StubOutcome] = []
    with Engine(settings) as engine:
        _report_isolation(engine)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("solving", total=total)

            def shown(name: str) -> Callable[[LayerEvent], None]:
                def show(event: LayerEvent) -> None:
                    if event.warning:  # stays on screen (the model process crashed), unlike progress
                        note(f"warning: {name}: {event.message}")
                    progress.update(task, description=f"{name}: {event.message}")

                return show

            problems = [problem for item in work for problem in item.problems]
            with _solving_ahead(engine, problems, settings.concurrency, shown) as ahead:
                for item in work:
                    solved: list[tuple[Problem, Solution]] = []
                    for problem in item.problems:
                        name = problem.stub.qualified_name
                        progress.update(task, description=f"{item.path.name}:{name}")
                        future = ahead.get(id(problem))
                        if future is not None:
                            solution = future.result()
                        else:  # after the bodies verified above it: a test may call several stubs
                            current = _with_verified(problem, solved, item, workspace, settings.python)
                            solution = engine.solve(current, on_event=shown(name))
                        outcomes.append(
                            StubOutcome(
                                item.path, name, problem.stub.line, len(problem.checks), solution, problem.skipped_tests
                            )
                        )
                        for skipped in problem.skipped_tests:
                            note(f"{item.path}:{problem.stub.line} {name}: test not run: {skipped}")
                        solved.append((problem, solution))
                        progress.advance(task)
                        if not err.is_terminal:
                            note(f"{item.path}:{problem.stub.line} {name}: {solution.status} - {solution.message}")
                        if solution.ambiguity is not None:
                            _ask(f"{item.path}:{problem.stub.line} {name}", solution.ambiguity, args.accept_ambiguous)
                        elif solution.status == "unconfirmed":
                            _unconfirmed(f"{item.path}:{problem.stub.line} {name}", solution, args.accept_unconfirmed)
                    solved = _checked_together(engine, item, solved, workspace, settings.python)
                    outcomes[-len(solved) :] = [
                        dataclasses.replace(outcome, solution=solution)
                        for outcome, (_, solution) in zip(outcomes[-len(solved) :], solved, strict=True)
                    ]
                    _emit(item, solved, args.write, errors, _accepted(args))
    err.print(summary_table(outcomes, errors))
    write_json(args.json, outcomes, errors)
    unsolved = any(not o.solution.verified for o in outcomes)
    return 1 if unsolved or errors else 0


def _with_verified(
    problem: Problem, solved: list[tuple[Problem, Solution]], item: _FileWork, workspace: Path, python: str | None
) -> Problem:
    """``problem`` in its file as it stands with the bodies verified so far (as a user solving top down sees it).

    A workspace test that calls two stubs of one module (``inv.low_stock(3)`` then ``restock_list(inv, 3)``)
    can pass for the second only once the first has a body. The returned problem is for solving only:
    its spans refer to the updated text, so the edit is still made on the original problem.
    """
    verified = [(p, s) for p, s in solved if s.verified and s.body is not None]
    if not verified:
        return problem
    text = item.source
    for earlier, solution in sorted(verified, key=lambda pair: -pair[0].stub.replace_span.start_byte):
        text = splice(text, earlier.stub, solution.body or "")
    found = find_stubs(text, include_empty_by_design=True, stub_file=item.path.suffix == ".pyi")
    stub = next((s for s in found if s.qualified_name == problem.stub.qualified_name), None)
    if stub is None:
        return problem
    return Problem.from_source(text, stub, path=item.path, workspace_root=workspace, python=python)


def _checked_together(
    engine: Engine, item: _FileWork, solved: list[tuple[Problem, Solution]], workspace: Path, python: str | None
) -> list[tuple[Problem, Solution]]:
    """Bodies verified while some of their checks waited for another stub, checked again with all the new bodies.

    Each stub was verified with the bodies found before it; a test of two stubs waited for the later one.
    With every verified body of the file in place, such a check runs: it must pass now, or the body is not
    verified after all (``partial``). One that still waits (the other stub stayed unsolved) is said so.
    """
    result = []
    for problem, solution in solved:
        verdict = solution.verdict
        if not solution.verified or verdict is None or not verdict.waiting or solution.body is None:
            result.append((problem, solution))
            continue
        others = [(p, s) for p, s in solved if p is not problem]
        together = _with_verified(problem, others, item, workspace, python)
        program = together.program_with(solution.body)
        again = engine.sandbox.verify(program, together.checks, placement=together.placement)
        if again.ok:
            message = f"verified by {solution.layer}: {again.summary()}"
            result.append((problem, dataclasses.replace(solution, verdict=again, message=message)))
        else:
            message = f"not verified: with the file's other new bodies in place, {again.summary()}"
            note(f"{item.path}:{problem.stub.line} {problem.stub.qualified_name}: partial - {message}")
            result.append((problem, dataclasses.replace(solution, status="partial", verdict=again, message=message)))
    return result


def _report_isolation(engine: Engine) -> None:
    """Problems the store repaired, and a sandbox that cannot cut candidates off the network, are said first."""
    for warning in getattr(engine.store, "warnings", []):
        note(f"warning: {warning}")
    isolation = engine.sandbox.isolation
    if isolation.startswith("none:"):
        note(f"warning: sandbox isolation is reduced ({isolation[5:].strip()}); see docs/security.md")


@contextlib.contextmanager
def _solving_ahead(
    engine: Engine, problems: list[Problem], concurrency: int, shown: Callable[[str], Callable[[LayerEvent], None]]
) -> Iterator[dict[int, Future[Solution]]]:
    """With ``concurrency`` above 1, solve in worker threads ahead of the report loop, which stays in order.

    Each solve verifies in a sandbox of its own (the engine keeps one per worker). Leaving early (Ctrl-C)
    cancels the solves still running and drops those not started.
    """
    if concurrency <= 1:
        yield {}
        return
    cancel = CancelToken()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ncpu-solve") as pool:
        try:
            yield {
                id(p): pool.submit(engine.solve, p, cancel=cancel, on_event=shown(p.stub.qualified_name))
                for p in problems
            }
        finally:
            cancel.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


def _ask(where: str, ambiguity: Ambiguity, accepted: bool) -> None:
    """The question an ambiguous stub leaves: the input, each group's answer, and the examples that settle it."""
    lines = [f"{where}: the passing candidates disagree on {ambiguity.question()}"]
    lines.append("  add the example you mean to its docstring and solve again:")
    for answer in ambiguity.answers:
        lines.extend("    " + line for line in answer.example.splitlines())
        lines.append("")
    if not accepted:
        lines.append("  (nothing is applied for it; --accept-ambiguous takes the largest group's body)")
    note("\n".join(lines).rstrip("\n"))


def _unconfirmed(where: str, solution: Solution, accepted: bool) -> None:
    """Why a body that passed every check is not called verified, and what would settle it."""
    # Off a terminal the stub's status line has just said the message.
    lines = [f"{where}: {solution.message}"] if err.is_terminal else [f"{where}:"]
    lines.append("  an example of a case the docstring leaves open would confirm it or rule it out")
    if not accepted:
        lines.append("  (nothing is applied for it; --accept-unconfirmed applies it, marked UNCONFIRMED)")
    note("\n".join(lines))


def _accepted(args: argparse.Namespace) -> tuple[str, ...]:
    """The statuses beyond verified that ``--accept-ambiguous`` and ``--accept-unconfirmed`` let be applied."""
    return ("ambiguous",) * args.accept_ambiguous + ("unconfirmed",) * args.accept_unconfirmed


def _emit(
    item: _FileWork, solved: list[tuple[Problem, Solution]], write: bool, errors: list[str], accepted: tuple[str, ...]
) -> None:
    new_text = _apply(item, solved, accepted)
    if new_text == item.source:
        return
    if write:
        try:
            replace_atomically(item.path, new_text, item.digest)
            note(f"wrote {item.path}")
        except (FileChanged, OSError) as exc:
            errors.append(str(exc))
            error(str(exc))
        return
    diff = difflib.unified_diff(
        item.source.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"a/{item.path}",
        tofile=f"b/{item.path}",
    )
    out.file.write("".join(diff))
    out.file.flush()
    sys.stdout.flush()
