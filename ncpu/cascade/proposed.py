"""Inputs the model proposes, CodeT-style (trust issue 15, §1).

The mutated inputs of ``ncpu.cascade.probes`` stay near the examples the user wrote. The model, shown the
stub's description without its examples, knows which inputs a function like this one is usually wrong on:
the empty list, a tie, a negative number, a string with spaces. It is asked for calls only, never for
results: an output it wrote would be as unreliable as the bodies it writes (CodeT, Chen et al. 2022, scores
candidates against model-written tests; here the calls only compare candidates that already pass every
check the user wrote, so a wrong proposal costs nothing but a few milliseconds).

The examples are left out of the prompt so that the model does not copy them; an input the checks already
have is dropped anyway. A proposal is kept only when it is a call of the stub with literal arguments that
bind to its signature, are of plausible size, and fit the parameter's annotation and the types the examples
gave it (the same admission rules as the mutated inputs).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from extraction.check import Check
from ncpu.backends.base import ChatMessage, GenerationRequest
from ncpu.cascade.probes import admissible, kinds_of, signature_of
from ncpu.cascade.prompts import stub_text

if TYPE_CHECKING:
    from extraction.stub import Stub
    from ncpu.problem import Problem

REQUEST_SUFFIX = "#inputs"
"""Marks the request's entry point (``name#inputs``): it asks for calls, not for a body."""
TOKENS_PER_CALL = 20
MODEST_INT = 10**6
MODEST_ITEMS = 100

_HEADING = re.compile(r"^\s*(for\s+)?(an?\s+)?examples?\s*(\d+\s*)?:?\s*$", re.IGNORECASE)
_FIELD = re.compile(r"^\s*(input|output|explanation|result|returns?)\s*[:=]", re.IGNORECASE)


def description(problem: Problem) -> str:
    """The stub as written, its docstring's examples left out (doctest sessions, calls, Input/Output lines)."""
    name = problem.stub.name
    kept: list[str] = []
    in_session = False
    for line in stub_text(problem).splitlines():
        stripped = line.strip()
        if stripped.startswith((">>>", "...")):
            in_session = stripped.startswith(">>>") or in_session
            continue
        if in_session:
            if not stripped:
                in_session = False
            else:
                continue  # a doctest's expected output
        if kept and f"{name}(" in line and not line.lstrip().startswith(("def ", "async def ")):
            continue  # ``f(2) -> 4``, ``f(2) == 4``, "f(2) returns 4"
        if _HEADING.match(line) or _FIELD.match(line):
            continue
        kept.append(line)
    return "\n".join(kept).rstrip() + "\n"


def proposal_request(problem: Problem, count: int, deadline: float | None = None) -> GenerationRequest:
    """A greedy chat request for ``count`` calls of the stub, its answer prefilled up to the first call's name.

    Prefilled with the code block alone, the 0.5B writes the function out again more often than not.
    """
    name = problem.stub.name
    prompt = (
        f"Here is a Python function:\n```python\n{description(problem)}```\n"
        f"Write {count} different calls of `{name}` that would test it well: each a valid input of a different "
        "kind, including the edge cases a wrong implementation gets wrong (empty, zero, one element, ties, "
        "boundaries). Use literal arguments only, one call per line, in one ```python code block. "
        "Do not write the function, the results or any asserts."
    )
    return GenerationRequest(
        messages=(ChatMessage("user", prompt),),
        temperature=0.0,
        max_tokens=TOKENS_PER_CALL * count,
        stop=("\n```",),
        response_prefix=f"```python\n{name}(",
        entry_point=problem.stub.qualified_name + REQUEST_SUFFIX,
        deadline=deadline,
    )


def proposed_calls(stub: Stub, checks: Sequence[Check], answer: str, limit: int) -> list[str]:
    """The admissible calls in the model's ``answer`` (the text after the prefilled ``name(``), in its order."""
    if stub.is_method or limit <= 0:
        return []
    signature = signature_of(stub)
    if signature is None:
        return []
    written = [
        args
        for check in checks
        if check.mode != "statement" and check.origin != "generated"
        if (args := _arguments(check.call, stub.name, signature.names, signature.optional)) is not None
    ]
    kinds = kinds_of(written, len(stub.params))
    seen = {signature.render_bound(stub.name, args) for args in written}
    calls: list[str] = []
    for line in f"{stub.name}({answer}".splitlines():
        args = _arguments(line, stub.name, signature.names, signature.optional)
        if args is None:
            continue
        if not all(_modest(value) and admissible(value, signature.hints[i], kinds[i]) for i, value in args.items()):
            continue
        call = signature.render_bound(stub.name, args)
        if call in seen:
            continue
        seen.add(call)
        calls.append(call)
        if len(calls) >= limit:
            break
    return calls


def _modest(value: Any, depth: int = 0) -> bool:
    """Whether a proposed value is of the size a test is written with (integers within a million, 100 items).

    All the generated inputs run in one sandbox child against one wall clock, so a single proposal that
    makes every candidate run long (``factorize(10**18)``) would leave none of them compared.
    """
    if type(value) is int:
        return abs(value) <= MODEST_INT
    if isinstance(value, str | bytes):
        return len(value) <= MODEST_ITEMS
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return True
    return depth < 4 and len(value) <= MODEST_ITEMS and all(_modest(item, depth + 1) for item in items)


def _arguments(line: str, name: str, names: Sequence[str], optional: Sequence[bool]) -> dict[int, Any] | None:
    """The literal arguments of a call of ``name`` on one line, by parameter index, or ``None``.

    The line may wrap the call (``print(f(1))``, ``assert f(1) == 2``, ``f(1)  # empty``); only the call is
    taken, never a result the model wrote. The examples' own calls are read the same way, so that a
    proposal that repeats one is known for what it is, whichever defaults either leaves out.
    """
    try:
        tree = ast.parse(line.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        try:
            tree = ast.parse(line.strip().removeprefix("assert ").split(" == ", 1)[0], mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    call = _the_call(tree.body, name)
    if call is None or len(call.args) > len(names):
        return None
    bound: dict[int, Any] = {}
    try:
        for index, arg in enumerate(call.args):
            bound[index] = ast.literal_eval(arg)
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg not in names or names.index(keyword.arg) in bound:
                return None
            bound[names.index(keyword.arg)] = ast.literal_eval(keyword.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not all(index in bound or optional[index] for index in range(len(names))):
        return None
    return bound


def _the_call(node: ast.expr, name: str) -> ast.Call | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == name:
            return node
        if node.func.id == "print" and len(node.args) == 1:
            return _the_call(node.args[0], name)
    if isinstance(node, ast.Compare):
        return _the_call(node.left, name)
    return None
