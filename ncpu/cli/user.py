"""``ncpu user``: a free-form prompt on stdin becomes a stub, solved and printed with its layer.

Accepted input: a Python stub (signature + docstring), or one loose line such as
``def add(a, b): \"\"\"Return the sum.\"\"\" add(1, 2) -> 3`` where everything after the signature
becomes the docstring.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from extraction import find_stubs
from ncpu.cascade.solution import LayerEvent
from ncpu.cli.console import err, note, out
from ncpu.cli.model_setup import prepare_models
from ncpu.cli.options import UsageError, add_engine_options, settings_from_args
from ncpu.edit import note_for, splice
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.project import project_interpreter

_SIGNATURE = re.compile(r"(?P<head>(async\s+)?def\s+\w+\s*\((?:[^()]|\([^()]*\))*\)\s*(->\s*[^:]+)?:)")
_DOCSTRING = re.compile(r'("""|\'\'\')(?P<text>.*?)\1', re.DOTALL)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``user`` subcommand."""
    parser = subparsers.add_parser("user", help="solve a function described on stdin")
    add_engine_options(parser)
    parser.set_defaults(run=run)


def stub_source(prompt: str) -> str:
    """Turn a free-form prompt into module source holding one stub."""
    if find_stubs(prompt):
        return prompt if prompt.endswith("\n") else prompt + "\n"
    match = _SIGNATURE.search(prompt)
    if match is None:
        raise UsageError("no function signature found: start the prompt with `def name(args):`")
    rest = prompt[match.end() :]
    doc = _DOCSTRING.search(rest)
    parts = []
    if doc is not None:
        parts.append(doc.group("text").strip())
        rest = rest[: doc.start()] + rest[doc.end() :]
    parts.extend(line.strip() for line in re.split(r"\n|(?<=\S)\s{2,}(?=\S)", rest) if line.strip())
    lines = "\n".join(f"    {p}" for text in parts for p in text.splitlines())
    lines = lines.replace('"""', r"\"\"\"")
    return f'{match.group("head")}\n    """\n{lines}\n    """\n'


def run(args: argparse.Namespace) -> int:
    """Read stdin, solve, print the function."""
    prompt = sys.stdin.read()
    if not prompt.strip():
        raise UsageError("empty prompt: pipe a function signature and examples on stdin")
    source = stub_source(prompt)
    stubs = find_stubs(source)
    if not stubs:
        raise UsageError("could not read a function stub from the prompt")
    settings = settings_from_args(args)
    # The interpreter of the project we are in; its tests are not looked for (a prompt has no file).
    problem = Problem.from_source(source, stubs[0], python=project_interpreter(Path.cwd(), settings.python))
    if problem.checks:
        prepare_models(settings)
    with Engine(settings) as engine:
        solution = engine.solve(problem, on_event=_show)
    if solution.body is None:
        note(solution.message)
        return 1
    mark = note_for(solution)
    out.file.write(splice(source, problem.stub, solution.body, mark))
    note(solution.message)  # "verified by greedy: 2 of 2 checks passed", "not verified: best candidate: ..."
    if solution.ambiguity is not None:
        note("add the example you mean to the docstring and solve again:")
        for answer in solution.ambiguity.answers:
            note("\n".join("    " + line for line in answer.example.splitlines()))
    elif solution.status == "unconfirmed":
        note("no other candidate passed the examples: one more example of a case they leave open would settle it")
    elif solution.verified and solution.agreement:
        note(f"evidence: {solution.evidence}")
    return 0 if solution.verified else 1


def _show(event: LayerEvent) -> None:
    """Progress lines when stderr is not a terminal; warnings (the model process crashed) always."""
    if event.warning:
        note(f"warning: {event.message}")
    elif not err.is_terminal:
        note(event.message)
