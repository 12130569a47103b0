"""Finding stubs with tree-sitter: functions whose body is only a docstring and/or a placeholder.

Imports before the docstring (``import math`` then the description) are kept as part of the stub's head.

Placeholders: ``pass``, ``...``, ``raise NotImplementedError`` (with or without a call), and comments
such as ``# TODO``.

Some empty bodies are meant to stay empty and are not stubs unless asked for (``include_empty_by_design``,
``ncpu solve --all``): abstract methods, ``@overload`` signatures, members of a ``Protocol``, everything in a
``.pyi`` stub file, and dunders with a conventional empty body (``def __enter__(self): pass``) unless
their docstring has examples. tree-sitter keeps parsing past syntax errors, so stubs elsewhere in a broken file
are still found; a function whose own body contains an error is skipped.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from functools import lru_cache

import tree_sitter_python
from tree_sitter import Language, Node, Parser

from extraction.stub import PLACEHOLDER_EXCEPTION, Span, Stub

_STRING_PREFIXES = "rRuUbBfF"
_IMPORTS = ("import_statement", "import_from_statement")


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_python.language()))


def _span(start: Node, end: Node | None = None) -> Span:
    end = end or start
    return Span(start.start_byte, end.end_byte, tuple(start.start_point), tuple(end.end_point))  # type: ignore[arg-type]


def _empty_span_at(node: Node) -> Span:
    point = tuple(node.end_point)
    return Span(node.end_byte, node.end_byte, point, point)  # type: ignore[arg-type]


def _text(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode(errors="replace")


def _is_docstring(node: Node) -> bool:
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and node.named_children[0].type
        in (
            "string",
            "concatenated_string",
        )
    )


def _is_placeholder(node: Node, data: bytes) -> bool:
    """``extraction.stub.is_placeholder`` read off a tree-sitter node, where comments (``# TODO``) count too."""
    if node.type in ("pass_statement", "comment"):
        return True
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_children[0].type == "ellipsis"
    if node.type == "raise_statement":
        raised = node.named_children[0] if node.named_children else None
        if raised is None:
            return False
        if raised.type == "call":
            raised = raised.child_by_field_name("function") or raised
        return _text(raised, data) == PLACEHOLDER_EXCEPTION
    return False


def _docstring_value(node: Node, data: bytes) -> str | None:
    literal = _text(node, data)
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        stripped = literal.lstrip(_STRING_PREFIXES)
        for quote in ('"""', "'''", '"', "'"):
            if stripped.startswith(quote) and stripped.endswith(quote) and len(stripped) >= 2 * len(quote):
                return stripped[len(quote) : -len(quote)]
        return None
    return value if isinstance(value, str) else None


def _params(parameters: Node | None, data: bytes) -> tuple[str, ...]:
    names: list[str] = []
    if parameters is None:
        return ()
    for child in parameters.named_children:
        if child.type == "identifier":
            names.append(_text(child, data))
        elif child.type in ("default_parameter", "typed_default_parameter"):
            name = child.child_by_field_name("name")
            if name is not None:
                names.append(_text(name, data))
        elif child.type in ("typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"):
            identifier = next((c for c in child.named_children if c.type == "identifier"), None)
            if identifier is None and child.named_children:
                inner = child.named_children[0]
                identifier = next((c for c in inner.named_children if c.type == "identifier"), None)
                if inner.type == "identifier":
                    identifier = inner
            if identifier is not None:
                names.append(_text(identifier, data))
    return tuple(names)


def _indent_of(block: Node, function: Node, data: bytes) -> str:
    line_start = data.rfind(b"\n", 0, block.start_byte) + 1
    prefix = data[line_start : block.start_byte]
    if prefix.strip():
        # One-line definition (`def f(): pass`): indent one level deeper than the `def`.
        def_start = data.rfind(b"\n", 0, function.start_byte) + 1
        own = data[def_start : function.start_byte]
        margin = own[: len(own) - len(own.lstrip())].decode()
        return margin + "    "
    return prefix.decode()


_ABSTRACT = frozenset({"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod"})
_OVERLOAD = frozenset({"overload"})


def _empty_by_design(name: str, decorators: tuple[str, ...], docstring: str | None, in_protocol: bool) -> str | None:
    """Why an empty body is meant to stay empty, if it is."""
    last_parts = {decorator.split("(")[0].rsplit(".", 1)[-1] for decorator in decorators}
    if last_parts & _ABSTRACT:
        return "abstract method"
    if last_parts & _OVERLOAD:
        return "overload"
    if in_protocol:
        return "Protocol member"
    if name.startswith("__") and name.endswith("__") and ">>>" not in (docstring or ""):
        return "dunder with an empty body"
    return None


def _stub_from(
    function: Node, outer: Node, data: bytes, scope: list[str], class_name: str | None, in_protocol: bool = False
) -> Stub | None:
    block = function.child_by_field_name("body")
    name_node = function.child_by_field_name("name")
    if block is None or name_node is None or block.has_error or function.has_error:
        return None
    statements = [child for child in block.named_children]
    # Imports the user put before the docstring (``import math`` then """...""") belong to the stub's head.
    imports = next((i for i, node in enumerate(statements) if node.type not in _IMPORTS), len(statements))
    docstring_node = statements[imports] if imports < len(statements) and _is_docstring(statements[imports]) else None
    if imports and docstring_node is None:
        return None  # imports and then code, or only imports: written, not a stub
    rest = statements[imports + 1 :] if docstring_node is not None else statements
    if not all(_is_placeholder(node, data) for node in rest):
        return None
    code_rest = [node for node in rest if node.type != "comment"]
    if docstring_node is None and not code_rest and not rest:
        return None
    name = _text(name_node, data)
    colon = next((c for c in function.children if c.type == ":"), None)
    sig_start = function.start_byte
    signature = data[sig_start : (colon.end_byte if colon else block.start_byte)].decode(errors="replace")
    decorators: tuple[str, ...] = ()
    if outer.type == "decorated_definition":
        decorators = tuple(_text(d, data).lstrip("@").strip() for d in outer.named_children if d.type == "decorator")
    if rest:
        replace = _span(rest[0], rest[-1])
    elif docstring_node is not None:
        replace = _empty_span_at(docstring_node)
    else:  # pragma: no cover - guarded above
        return None
    docstring = _docstring_value(docstring_node.named_children[0], data) if docstring_node is not None else None
    return Stub(
        name=name,
        qualified_name=".".join([*scope, name]),
        signature=signature,
        docstring=docstring,
        decorators=decorators,
        params=_params(function.child_by_field_name("parameters"), data),
        indent=_indent_of(block, function, data),
        function_span=_span(outer),
        body_span=_span(block),
        replace_span=replace,
        docstring_line=docstring_node.start_point[0] + 1 if docstring_node is not None else None,
        docstring_span=_span(docstring_node) if docstring_node is not None else None,
        class_name=class_name,
        is_async=any(c.type == "async" for c in function.children),
        empty_by_design=_empty_by_design(name, decorators, docstring, in_protocol),
    )


def _is_protocol(class_node: Node, data: bytes) -> bool:
    """Whether a class derives from ``Protocol`` (``typing.Protocol``, ``Protocol[T]``)."""
    bases = class_node.child_by_field_name("superclasses")
    if bases is None:
        return False
    for base in bases.named_children:
        text = _text(base, data).split("[")[0].strip()
        if text.rsplit(".", 1)[-1] == "Protocol":
            return True
    return False


def _walk(
    node: Node, data: bytes, scope: list[str], class_name: str | None, found: list[Stub], in_protocol: bool = False
) -> None:
    for child in node.named_children:
        inner = child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition") or child
        if inner.type == "function_definition":
            stub = _stub_from(inner, child, data, scope, class_name, in_protocol)
            if stub is not None:
                found.append(stub)
            name = inner.child_by_field_name("name")
            body = inner.child_by_field_name("body")
            if body is not None and name is not None:
                _walk(body, data, [*scope, _text(name, data)], None, found)
        elif inner.type == "class_definition":
            name = inner.child_by_field_name("name")
            body = inner.child_by_field_name("body")
            if body is not None and name is not None:
                class_text = _text(name, data)
                _walk(body, data, [*scope, class_text], class_text, found, _is_protocol(inner, data))
        elif child.type not in ("expression_statement", "import_statement", "import_from_statement", "comment"):
            # Definitions nested in if/try/with blocks at module or class level.
            _walk(child, data, scope, class_name, found, in_protocol)


def find_stubs(source: str, *, include_empty_by_design: bool = False, stub_file: bool = False) -> list[Stub]:
    """Every stub tree-sitter can see in ``source``, in file order.

    ``stub_file``: ``source`` is a ``.pyi`` file, whose bodies are all empty by design.
    ``include_empty_by_design``: also the bodies meant to stay empty (see the module docstring), each with
    its reason in ``Stub.empty_by_design``.
    """
    data = source.encode()
    tree = _parser().parse(data)
    found: list[Stub] = []
    _walk(tree.root_node, data, [], None, found)
    if stub_file:
        found = [replace(stub, empty_by_design="stub file") for stub in found]
    if not include_empty_by_design:
        found = [stub for stub in found if stub.empty_by_design is None]
    return sorted(found, key=lambda stub: stub.function_span.start_byte)


def find_stub(source: str, qualified_name: str) -> Stub | None:
    """The stub with this qualified name, if it is (still) a stub."""
    return next((stub for stub in find_stubs(source) if stub.qualified_name == qualified_name), None)
