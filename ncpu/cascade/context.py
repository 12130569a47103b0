"""The code a person would look at before writing the body: the stub's class and module, ranked, within a budget.

For a method: the class header (decorators, bases), its docstring, fields and class attributes, and the
other methods (signature and docstring, the whole body when short). For any stub: the module's imports,
constants, and other functions and classes, summarized the same way, and the project-local definitions it
imports (``imported.py``). Other stubs show their signature and
docstring only, never their placeholder bodies. Definitions whose names the stub's signature, docstring or
examples use come first; the rest by distance from the stub; everything is printed in source order, until
the budget runs out.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from extraction.stub import body_after_docstring, is_placeholder_body
from ncpu.cascade.imported import MAX_IMPORTED, imported_definitions

if TYPE_CHECKING:
    from ncpu.problem import Problem

BUDGET_CHARS = 6_000
"""About 1,500 tokens of context (the stub itself comes on top)."""
SHORT_BODY_LINES = 12
SHORT_BODY_CHARS = 700
DOCSTRING_LINES = 12
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class _Piece:
    """One definition or statement of the module, as it will be shown."""

    order: int
    text: str
    names: frozenset[str]
    relevant: bool
    distance: int


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return is_placeholder_body(body_after_docstring(node))


class _Source:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def segment(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (1-based, inclusive), dedented by the first line's margin."""
        chunk = self.lines[first - 1 : last]
        if not chunk:
            return ""
        margin = len(chunk[0]) - len(chunk[0].lstrip())
        return "\n".join(line[margin:] if line[:margin].strip() == "" else line.lstrip() for line in chunk)

    def start(self, node: ast.stmt) -> int:
        decorators = getattr(node, "decorator_list", [])
        return min([node.lineno, *(d.lineno for d in decorators)])

    def whole(self, node: ast.stmt) -> str:
        return self.segment(self.start(node), node.end_lineno or node.lineno)


def _docstring_text(source: _Source, node: ast.stmt, indent: str) -> str:
    """The docstring as written, cut to ``DOCSTRING_LINES`` lines."""
    text = source.segment(node.lineno, node.end_lineno or node.lineno)
    lines = text.splitlines()
    if len(lines) > DOCSTRING_LINES:
        quote = '"""' if '"""' in lines[0] else "'''"
        lines = [*lines[: DOCSTRING_LINES - 1], f"... {quote}"]
    return _indent("\n".join(lines), indent)


def _indent(text: str, indent: str = "    ") -> str:
    return "\n".join(indent + line if line.strip() else "" for line in text.splitlines())


def _function(source: _Source, node: ast.FunctionDef | ast.AsyncFunctionDef, *, full_if_short: bool = True) -> str:
    """A function as shown: whole when short and not a stub, else header, docstring and ``...``."""
    whole = source.whole(node)
    lines = whole.splitlines()
    if full_if_short and not _is_stub(node) and len(lines) <= SHORT_BODY_LINES and len(whole) <= SHORT_BODY_CHARS:
        return whole
    first_body = node.body[0]
    header = source.segment(source.start(node), max(source.start(node), first_body.lineno - 1))
    if first_body.lineno == node.lineno:  # ``def f(): ...`` on one line
        return header if _is_stub(node) else header.split(":", 1)[0] + ": ..."
    parts = [header]
    if _is_docstring(first_body):
        parts.append(_docstring_text(source, first_body, "    "))
    parts.append("    ...")
    return "\n".join(parts)


def _class(
    source: _Source, node: ast.ClassDef, stub_line: int | None, stub_text: str, budget: int | None = None
) -> str:
    """A class as shown: header, docstring, fields, then methods (the stub, when it is one of them, as written).

    Within ``budget`` characters (the class around a method stub): when the whole is longer, the other
    methods are shown by signature only, and then the farthest from the stub are left out.
    """
    whole = _class_text(source, node, stub_line, stub_text, compact=False)
    if budget is None or len(whole) <= budget:
        return whole
    return _class_text(source, node, stub_line, stub_text, compact=True, budget=budget)


def _signature_only(source: _Source, member: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    first_body = member.body[0]
    if first_body.lineno == member.lineno:
        return source.segment(source.start(member), member.lineno).split(":", 1)[0] + ": ..."
    return source.segment(source.start(member), max(source.start(member), first_body.lineno - 1)) + "\n    ..."


def _class_text(
    source: _Source,
    node: ast.ClassDef,
    stub_line: int | None,
    stub_text: str,
    *,
    compact: bool,
    budget: int | None = None,
) -> str:
    body = node.body
    header = source.segment(source.start(node), max(source.start(node), body[0].lineno - 1))
    if body[0].lineno == node.lineno:
        return source.whole(node)
    head = [header]
    members: list[str] = []
    for member in body:
        if _is_docstring(member) and member is body[0]:
            head.append(_docstring_text(source, member, "    "))
        elif isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
            if stub_line is not None and source.start(member) <= stub_line <= (member.end_lineno or member.lineno):
                members.append(_indent(stub_text))
                continue
            whole = source.whole(member)
            constructor = member.name in ("__init__", "__post_init__") and len(whole) <= 2 * SHORT_BODY_CHARS
            if constructor and not _is_stub(member):
                members.append(_indent(whole))
            else:
                members.append(_indent(_signature_only(source, member) if compact else _function(source, member)))
        elif isinstance(member, ast.ClassDef):
            members.append(_indent(_class(source, member, None, "")))
        elif len(text := source.whole(member)) <= 300:
            head.append(_indent(text))  # fields and class attributes, right under the header
    if budget is not None and stub_line is not None:
        members = _nearest_members(members, _indent(stub_text), budget - len("\n".join(head)))
    return "\n\n".join(["\n".join(head), *members])


def _nearest_members(members: list[str], stub: str, budget: int) -> list[str]:
    """The members nearest to the stub (always kept) that fit ``budget``; a ``...`` marks what is left out."""
    if stub not in members:
        return members
    at = members.index(stub)
    kept = {at}
    spent = len(stub)
    for distance in range(1, len(members)):
        for index in (at - distance, at + distance):
            if 0 <= index < len(members) and spent + len(members[index]) <= budget:
                kept.add(index)
                spent += len(members[index]) + 2
    shown = [members[i] for i in sorted(kept)]
    return shown if len(kept) == len(members) else [*shown, "    ..."]


def _names(text: str) -> frozenset[str]:
    return frozenset(_IDENTIFIER.findall(text))


def _wanted_names(problem: Problem) -> frozenset[str]:
    """Names the stub's signature, docstring and examples mention: what the body most likely needs."""
    text = " ".join(
        [
            problem.stub.signature,
            problem.stub.docstring or "",
            *(check.call for check in problem.checks),
            *(line for check in problem.checks for line in check.setup),
        ]
    )
    return _names(text)


def _defined_names(node: ast.stmt) -> frozenset[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return frozenset({node.name})
    if isinstance(node, ast.Import | ast.ImportFrom):
        return frozenset((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store))


def code_context(problem: Problem, stub_text: str, budget: int = BUDGET_CHARS) -> str:
    """The module around the stub, with the stub (``stub_text``) in its place; ``stub_text`` alone if unparsable."""
    try:
        tree = ast.parse(problem.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # broken or too deeply nested to parse
        return _fallback(problem, stub_text)
    source = _Source(problem.source)
    stub_line = problem.stub.function_span.start_point[0] + 1
    wanted = _wanted_names(problem)
    pieces: list[_Piece] = []
    spent_on_class = 0
    anchor: str | None = None
    anchor_order = 0
    for order, node in enumerate(tree.body):
        first, last = source.start(node), node.end_lineno or node.lineno
        contains_stub = first <= stub_line <= last
        if contains_stub and isinstance(node, ast.ClassDef) and problem.stub.class_name:
            anchor, anchor_order = _class(source, node, stub_line, stub_text, budget // 2), order
            spent_on_class = len(anchor)
            continue
        if contains_stub:
            anchor, anchor_order = stub_text.rstrip("\n"), order
            continue
        text = _piece_text(source, node)
        if not text:
            continue
        names = _defined_names(node)
        relevant = isinstance(node, ast.Import | ast.ImportFrom) or bool(names & wanted)
        pieces.append(_Piece(order, text, names, relevant, 0))
    if anchor is None:
        return _fallback(problem, stub_text)
    pieces += _imported_pieces(problem, tree, wanted)
    ranked = sorted(pieces, key=lambda piece: (not piece.relevant, abs(piece.order - anchor_order)))
    chosen: list[_Piece] = []
    spent = min(spent_on_class, budget // 2)  # a method's class takes up to half the budget of the module
    for piece in ranked:
        if spent + len(piece.text) > budget:
            continue
        chosen.append(piece)
        spent += len(piece.text) + 2
    shown = sorted([*chosen, _Piece(anchor_order, anchor, frozenset(), True, 0)], key=lambda piece: piece.order)
    imports = [piece.text for piece in shown if piece.text.startswith(("import ", "from ")) and "\n" not in piece.text]
    rest = [piece.text for piece in shown if piece.text not in imports]
    blocks = (["\n".join(imports)] if imports else []) + rest
    return "\n\n".join(blocks) + "\n"


def _imported_pieces(problem: Problem, tree: ast.Module, wanted: frozenset[str]) -> list[_Piece]:
    """The project-local definitions the module imports, right after the imports (``imported.py``)."""
    found = imported_definitions(tree, problem.placement)
    found.sort(key=lambda item: item.name not in wanted)  # those the stub's text names first
    pieces = []
    for item in found[:MAX_IMPORTED]:
        where = _shown_path(item.path, problem.placement.import_roots if problem.placement else ())
        shown = _Source(item.source)
        node = item.node
        body = _class(shown, node, None, "") if isinstance(node, ast.ClassDef) else _function(shown, node)
        text = f"# {item.name}, imported from {where}:\n{body}"
        pieces.append(_Piece(-1, text, frozenset({item.name}), True, 0))
    return pieces


def _shown_path(path: Path, roots: tuple[str, ...]) -> str:
    for root in roots:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def _piece_text(source: _Source, node: ast.stmt) -> str:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return source.whole(node)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return _function(source, node)
    if isinstance(node, ast.ClassDef):
        return _class(source, node, None, "")
    if isinstance(node, ast.Assign | ast.AnnAssign):
        text = source.whole(node)
        return text if len(text) < 300 else ""
    return ""


def _fallback(problem: Problem, stub_text: str) -> str:
    """Without a parse: the stub, inside a bare class header for a method."""
    if problem.stub.class_name:
        return f"class {problem.stub.class_name}:\n" + "".join(f"    {line}\n" for line in stub_text.splitlines())
    return stub_text
