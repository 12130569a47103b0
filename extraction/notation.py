"""Examples written as notation or prose in a docstring → checks.

- arrows: ``f(x) -> y``, ``=>``, ``==>``, ``➞``, ``→``, ``==`` (and ``assert f(x) == y`` and
  ``for f(x) == y`` lines);
- prose: "f(x) returns y", "f(x) should return y", "f(x) should be y", "For x = 5, the output should be 3",
  also inside a sentence that runs over lines ("... For example f("14.5") should return 15 and ...");
- ``Input: ...`` / ``Output: ...`` blocks.
Only right-hand sides that are Python literals become checks: an ambiguous example is dropped rather
than turned into a wrong check that would block correct programs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extraction.asserts import assert_line_check
from extraction.check import Check
from extraction.values import call_prefix, expected_source, literal_call, literal_source

_ARROWS = ("==>", "->", "=>", "➞", "→", "==", "=")
_LEAD = re.compile(r"^\s*(?:[-*•]\s*|\d+[.)]\s*|(?:(?:examples?|for example|ex)\b|e\.g\.)\s*[:,]?\s*)*", re.IGNORECASE)
_PROSE = re.compile(
    r"^\s*(?:returns?|should\s+(?:return|be|give|output|yield)|gives?|is|evaluates\s+to)\s+(?P<rhs>.+)$"
)
_FOR = re.compile(
    r"for\s+(?P<assigns>\w+\s*=\s*.+?)\s*,?\s+the\s+(?:output|result|answer|return value)\s+should\s+be\s+(?P<rhs>.+)$",
    re.IGNORECASE,
)
_FOR_LOOSE = re.compile(
    r"for\s+(?P<assigns>\w+\s*=\s*[^,]+),.*?\bthe\s+(?:output|result|answer|return value)\s+should\s+be\s+(?P<rhs>.+)$",
    re.IGNORECASE,
)
_INPUT = re.compile(r"^\s*Input\s*:\s*(?P<args>.+)$", re.IGNORECASE)
_OUTPUT = re.compile(r"^\s*Output\s*:\s*(?P<value>.+)$", re.IGNORECASE)
_ASSIGN = re.compile(r"(\w+)\s*=\s*")
# Inside a sentence only unmistakable verbs and arrows count; "=" and "is" there are too often rules.
_INLINE_VERB = re.compile(r"^\s*(?:returns?|should\s+(?:return|be|give)|==>|==|->|=>)\s+")
_CONDITIONAL_BEFORE = re.compile(r"\b(?:if|unless|when|whether|not|whenever)\s*$", re.IGNORECASE)
# After the value: the sentence goes on (", and", ".", "(why)"), but not with a condition or an alternative.
_ALTERNATIVE = re.compile(r"\s*(?:or|if|when|unless|otherwise|depending|except)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"^(?:$|[.,;:!?)]|\s+(?:and|but|because|since|as|while)\b|\s*\()", re.IGNORECASE)


def _rhs_literal(text: str) -> str | None:
    text = text.strip().rstrip(".;")
    literal = expected_source(text)
    if literal is None and "=" in text and "==" not in text:
        # "19 - 5 - 6 = 8": the worked answer follows the last "=".
        literal = expected_source(text.rsplit("=", 1)[1])
    if literal is None:
        # "3 (because ...)" or "3, since ..." : keep the leading literal only when unambiguous.
        match = re.match(r"^(\S+?)[,;]?\s+(?:because|since|as|\().*$", text)
        literal = expected_source(match.group(1)) if match else None
    return literal


def _leading_literal(text: str) -> str | None:
    """The value at the start of ``text`` when what follows it ends the clause ("15 and ...", "-15.")."""
    text = text[:300]
    ends = [m.start() for m in re.finditer(r"(?=[\s.,;:!?)(])", text)] + [len(text)]
    for end in sorted(set(ends), reverse=True):
        literal = expected_source(text[:end])
        if literal is None:
            continue
        last = text[:end].rstrip()[-1:]
        if last and last in ".;:!?":  # "-15." : the sentence ended with the value
            return literal
        if last == ",":  # "15, and ..." but not "15, or 16" / "15, if ..."
            return None if _ALTERNATIVE.match(text[end:]) else literal
        return literal if _CLAUSE_END.match(text[end:]) else None
    return None


def _inline_checks(docstring: str, name: str, lineno: int | None) -> list[Check]:
    """Examples in running prose: a literal call of ``name`` inside a sentence followed by "should return" etc."""
    lines = [line for line in docstring.splitlines() if not line.lstrip().startswith(">>>")]
    text = " ".join(line.strip() for line in lines)
    checks: list[Check] = []
    for found in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", text):
        if _CONDITIONAL_BEFORE.search(text[: found.start()]):
            continue
        call = call_prefix(text[found.start() :], name)
        if call is None or not literal_call(call):
            continue
        after = text[found.start() + len(call) :]
        verb = _INLINE_VERB.match(after)
        if verb is None:
            continue
        rhs = _leading_literal(after[verb.end() :])
        if rhs is not None:
            checks.append(Check("prose", call, rhs, "value", (), lineno, f"{call} {verb.group().strip()} {rhs}"))
    return checks


def _arrow_check(line: str, name: str, lineno: int | None, allow_equals: bool = True) -> Check | None:
    body = _LEAD.sub("", line, count=1)
    if body.startswith("for ") and call_prefix(body[len("for ") :].lstrip(), name) is not None:
        body = body[len("for ") :].lstrip()  # "for f(7, 34) == 34"
    if body.startswith("assert "):
        parsed = assert_line_check(body, name, "assert", lineno)
        if parsed is not None:
            return parsed
        body = body[len("assert ") :]
        origin = "assert"
    else:
        origin = "arrow"
    call = call_prefix(body, name)
    if call is None or not literal_call(call):
        return None
    rest = body.lstrip()[len(call) :].strip()
    if rest.startswith("#"):  # f(x)  # => y   /   f(x)  # returns y
        rest = rest.lstrip("#").strip()
    for arrow in _ARROWS:
        if arrow == "=" and not allow_equals:
            continue
        if rest.startswith(arrow):
            rhs = _rhs_literal(rest[len(arrow) :])
            if rhs is not None:
                return Check(origin, call, rhs, "value", (), lineno, line.strip())  # type: ignore[arg-type]
            return None
    prose = _PROSE.match(rest)
    if prose and origin == "arrow":
        rhs = _rhs_literal(prose.group("rhs"))
        if rhs is not None:
            return Check("prose", call, rhs, "value", (), lineno, line.strip())
    return None


def _args_from_assignments(text: str, params: Sequence[str]) -> str | None:
    """``x = 5, y = [1, 2]`` → ``x=5, y=[1, 2]`` when every name is a parameter and every value a literal."""
    pieces = _ASSIGN.split(text)
    if len(pieces) < 3 or pieces[0].strip():
        return None
    args = []
    for index in range(1, len(pieces) - 1, 2):
        name, value = pieces[index], pieces[index + 1].strip().rstrip(",").strip()
        literal = literal_source(value)
        if name not in params or literal is None:
            return None
        args.append(f"{name}={literal}")
    return ", ".join(args)


def _input_args(text: str, params: Sequence[str]) -> str | None:
    text = text.strip()
    named = _args_from_assignments(text, params)
    if named is not None:
        return named
    if len(params) == 1 and literal_source(text) is not None:
        return literal_source(text)
    return None


def _for_check(line: str, name: str, params: Sequence[str], lineno: int | None) -> Check | None:
    """Checks written "For x = 5, the output should be 3" (also with words between the values and "the output")."""
    for pattern in (_FOR, _FOR_LOOSE):
        found = pattern.search(line)
        if not found:
            continue
        args = _args_from_assignments(found.group("assigns"), params)
        rhs = _rhs_literal(found.group("rhs"))
        if args is not None and rhs is not None:
            return Check("prose", f"{name}({args})", rhs, "value", (), lineno, line.strip())
    return None


def _examples_on(line: str, name: str) -> list[str]:
    """The line cut before each call of ``name`` that starts an example (a call nested in another is not cut)."""
    starts: list[int] = []
    position = 0
    while (found := re.search(rf"(?<![\w.]){re.escape(name)}\(", line[position:])) is not None:
        start = position + found.start()
        call = call_prefix(line[start:], name)
        if call is None:
            break
        starts.append(start)
        position = start + len(call)
    if len(starts) < 2:
        return [line]
    cuts = [*starts[1:], len(line)]
    return [line[start:end].strip().rstrip(",;") for start, end in zip(starts, cuts, strict=True)]


def notation_checks(docstring: str, name: str, params: Sequence[str], first_line: int | None) -> list[Check]:
    """Arrow, prose and Input/Output examples in a docstring."""
    checks: list[Check] = []
    lines = docstring.splitlines()
    call_params = [p for p in params if p not in ("self", "cls")]
    pending_input: tuple[str, int] | None = None
    # A docstring that defines the function with "=" (``tri(n) = 1 + n / 2``) uses "=" for rules, not examples.
    defines = any(
        (call := call_prefix(line, name)) is not None
        and not literal_call(call)
        and line.strip()[len(call) :].lstrip().startswith("=")
        for line in lines
    )
    for index, line in enumerate(lines):
        lineno = first_line + index if first_line is not None else None
        if line.lstrip().startswith(">>>"):
            continue
        parts = [_arrow_check(part, name, lineno, allow_equals=not defines) for part in _examples_on(line, name)]
        several = [check for check in parts if check is not None]
        if len(parts) > 1 and len(several) == len(parts):
            checks += several  # "add(1, 2) -> 3 add(10, -5) -> 5": one check each
            continue
        check = _arrow_check(line, name, lineno, allow_equals=not defines)
        if check is not None:
            checks.append(check)
            continue
        prose = _for_check(line, name, call_params, lineno)
        if prose is not None:
            checks.append(prose)
            continue
        matched_input = _INPUT.match(line)
        if matched_input:
            pending_input = (matched_input.group("args"), index)
            continue
        matched_output = _OUTPUT.match(line)
        if matched_output and pending_input is not None:
            args = _input_args(pending_input[0], call_params)
            value = _rhs_literal(matched_output.group("value"))
            if args is not None and value is not None:
                text = f"Input: {pending_input[0].strip()} / Output: {matched_output.group('value').strip()}"
                checks.append(Check("io_block", f"{name}({args})", value, "value", (), lineno, text))
            pending_input = None
    # Examples at the start of a line are found again here; ``extract_checks`` keeps the first of each.
    return checks + _inline_checks(docstring, name, first_line)
