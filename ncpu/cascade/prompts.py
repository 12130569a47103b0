"""What the model is shown: the stub in its context, and for retries the check that failed."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from extraction.check import Check
from ncpu.backends.base import ChatMessage, GenerationRequest
from ncpu.cascade.context import code_context
from ncpu.sandbox.verdict import CheckResult

if TYPE_CHECKING:
    from ncpu.problem import Problem

INSTRUCTION = (
    "Complete the following Python function. Keep the signature and docstring exactly as they are, "
    "make the function satisfy its docstring and examples, and answer with the complete function in "
    "one ```python code block."
)
STOP = ("\n```", "\nif __name__", "\n#", "\n>>>", "\nassert ", "\nprint(")
"""Where the function is over and the model goes on writing something else: the code block's end, a script
block, a comment or an example at column 0 ("# Check function to verify ...", then a test harness of a
hundred tokens), a top-level assert or print. A helper ``def`` at column 0 is not a stop: the body may call it.
The answer starts inside the indented body (the stub is prefilled), so column 0 is outside the function."""
MAX_ECHO_STOPS = 40


def echo_stops(problem: Problem) -> tuple[str, ...]:
    """Stop where the answer starts writing out again a function or class the module already has.

    Shown the code around the stub, a small model often copies it after the body (the whole class around a
    method, the module's other functions), up to its token limit: seconds of decoding on a CPU for nothing the
    parser keeps. A definition the module lacks (a helper the body needs) is not a stop.
    """
    names = sorted((problem.module_names | _sibling_methods(problem)) - {problem.stub.name})[:MAX_ECHO_STOPS]
    return tuple(stop for name in names for stop in (f"\ndef {name}(", f"\nclass {name}"))


def _sibling_methods(problem: Problem) -> frozenset[str]:
    """The other methods of a method stub's class (the stub is shown at column 0, so would be they)."""
    if not problem.stub.class_name:
        return frozenset()
    try:
        tree = ast.parse(problem.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    owner = problem.stub.class_name.rsplit(".", 1)[-1]
    return frozenset(
        member.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == owner
        for member in node.body
        if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
    )


@dataclass(frozen=True, slots=True)
class Feedback:
    """A failed attempt and the first check it failed, for the compounding retry."""

    body: str
    check: Check
    result: CheckResult | None
    error: str | None = None

    def describe(self) -> str:
        """One paragraph saying what went wrong."""
        if self.error:
            return f"It failed as a whole: {self.error}"
        example = self.check.describe()
        if self.result is not None and self.result.error:
            return f"On the example `{example}` it raised: {self.result.error}"
        actual = self.result.actual if self.result is not None else None
        return f"On the example `{example}` it returned {actual} instead."


def stub_text(problem: Problem, end_byte: int | None = None) -> str:
    """The stub as written (decorators, signature, docstring), dedented to column 0.

    ``end_byte`` ends it earlier (the docstring's start: the signature alone).
    """
    data = problem.source.encode()
    stub = problem.stub
    start = data.rfind(b"\n", 0, stub.function_span.start_byte) + 1
    end = stub.replace_span.start_byte if end_byte is None else end_byte
    head = data[start:end].decode(errors="replace").rstrip()
    lines = head.splitlines()
    margin = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    dedented = [line[margin:] if line[:margin].strip() == "" else line.lstrip() for line in lines]
    return "\n".join(dedented) + "\n"


def question(problem: Problem, shown_stub: str) -> str:
    """The instruction and the module around the stub, with ``shown_stub`` in the stub's place."""
    return f"{INSTRUCTION}\n```python\n{code_context(problem, shown_stub)}```"


def build_request(
    problem: Problem,
    *,
    temperature: float,
    max_tokens: int,
    seed: int | None = None,
    feedback: Feedback | None = None,
    deadline: float | None = None,
) -> GenerationRequest:
    """A chat request whose answer is prefilled with the stub, so the model writes the body."""
    stub = stub_text(problem)
    prompt = question(problem, stub)
    if feedback is not None:
        prompt += (
            "\n\nA previous attempt had this body:\n```python\n"
            f"{feedback.body.rstrip()}\n```\n{feedback.describe()}\n"
            "Write a corrected version that passes every example."
        )
    prefix = "```python\n" + stub
    return GenerationRequest(
        # No system message: the model's chat template then adds the one it was tuned with (Qwen2.5's "You are
        # Qwen, created by Alibaba Cloud. You are a helpful assistant."), which its published scores use too.
        # On the embedded 0.5B that is 57.3 greedy on HumanEval against 54.9 with a system prompt of our own
        # ("You are an expert Python programmer ...": benchmarks/greedy_floor.py, RESULTS.md).
        messages=(ChatMessage("user", prompt),),
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        stop=STOP + echo_stops(problem),
        response_prefix=prefix,
        entry_point=problem.stub.qualified_name,
        deadline=deadline,
    )
