from __future__ import annotations

import ast
from pathlib import Path

import pytest

from extraction import SourceError, extract_checks, find_stub, find_stubs, read_source
from ncpu.project import placement_for
from ncpu.sandbox import Sandbox
from ncpu.sandbox.harness import run_checks

MODULE = '''import math


@decorator
def a(x):
    """Doc only."""


def b(x): pass


class Outer:
    class Inner:
        async def m(self, y):
            ...

    def done(self):
        return 1


def outer():
    def inner(z):
        raise NotImplementedError("later")
    return inner


def todo(x):
    """Doc."""
    # TODO


def broken(:
    pass
'''


def test_stub_forms_nesting_and_syntax_errors_elsewhere() -> None:
    stubs = {s.qualified_name: s for s in find_stubs(MODULE)}
    assert set(stubs) == {"a", "b", "Outer.Inner.m", "outer.inner", "todo"}
    assert stubs["a"].decorators == ("decorator",) and stubs["a"].docstring == "Doc only."
    assert stubs["Outer.Inner.m"].is_async and stubs["Outer.Inner.m"].class_name == "Inner"
    assert stubs["Outer.Inner.m"].params == ("self", "y") and stubs["Outer.Inner.m"].indent == " " * 12
    assert stubs["b"].signature == "def b(x):"
    assert find_stub(MODULE, "Outer.done") is None


def test_binary_and_non_utf8_files_get_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bin.py").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.py").write_bytes("x = 'é'\n".encode("latin-1"))
    with pytest.raises(SourceError, match="binary"):
        read_source(tmp_path / "bin.py")
    with pytest.raises(SourceError, match="not UTF-8"):
        read_source(tmp_path / "latin.py")


EXAMPLES = '''
def f(x, y=0):
    """Examples in every style.

    >>> f(1)
    2
    >>> f(
    ...     2)
    3
    >>> f(-1)
    Traceback (most recent call last):
    ValueError: negative
    >>> f(1) == 2
    f(3) -> 4
    f(4) => 5
    f(5) ==> 6
    f(6) ➞ 7
    f(7) → 8
    f(8) == 9
    f(9) returns 10
    f(10) should return 11
    For x = 11, the output should be 12
    Input: x = 12, y = 0
    Output: 13
    assert f(13) == 14
    for f(15) == 16
    f(a) -> b
    """


assert f(14) == 15
'''
SOLUTION = "\n    if x < 0:\n        raise ValueError('negative')\n    return x + 1 + y\n"


def test_every_example_style_becomes_a_check_that_the_right_body_passes() -> None:
    stub = find_stub(EXAMPLES, "f")
    assert stub is not None
    checks = extract_checks(EXAMPLES, stub)
    origins = [c.origin for c in checks]
    assert origins.count("doctest") == 3 and origins.count("arrow") == 7  # `f(1) == 2` repeats `f(1)` → 2
    assert origins.count("prose") == 3 and origins.count("io_block") == 1 and origins.count("assert") == 2
    assert all("f(a)" not in c.call for c in checks)  # bare names are prose, not code
    program = EXAMPLES.replace('    """\n\n\nassert', '    """' + SOLUTION + "\n\nassert")
    verdict = run_checks(program, checks)
    assert verdict.ok, verdict


def test_a_wrong_body_fails_the_extracted_checks() -> None:
    stub = find_stub(EXAMPLES, "f")
    assert stub is not None
    checks = extract_checks(EXAMPLES.replace("assert f(14) == 15\n", ""), stub)
    wrong = EXAMPLES.replace('    """\n\n\nassert f(14) == 15', '    """\n    return x\n')
    verdict = run_checks(wrong, checks)
    assert not verdict.ok and verdict.passed < verdict.total


def test_workspace_tests_that_import_the_stub_become_checks(tmp_path: Path, sandbox: Sandbox) -> None:
    tmp_path.chmod(0o755)  # as root, candidates run as nobody: the project must be world-readable
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = 'def double(x):\n    """Twice x."""\n'
    (package / "maths.py").write_text(source)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_maths.py").write_text(
        "from pkg.maths import double\n\n\ndef test_double():\n    assert double(2) == 4\n\n\n"
        "def test_other(tmp_path):\n    assert double(1) == 2\n"
    )
    stub = find_stub(source, "double")
    assert stub is not None
    checks = extract_checks(source, stub, path=package / "maths.py", workspace_root=tmp_path)
    assert [c.origin for c in checks] == ["workspace_test", "workspace_test"]  # tmp_path is made as pytest does
    placement = placement_for(package / "maths.py", tmp_path)  # the test imports pkg.maths: the candidate
    assert sandbox.verify(source + "    return 2 * x\n", checks, placement=placement).ok
    assert not sandbox.verify(source + "    return x\n", checks, placement=placement).ok


PROSE_IN_SENTENCES = '''
def rnd(value):
    """Round away from zero. If the number is equidistant from two integers, the
    one you should return is the one farthest from zero. For example rnd("14.5") should
    return 15 and rnd("-14.5") should return -15.
    If rnd("1.5") returns 2 the rule holds; rnd("2.5") should return 3 or 2 depending
    on the mode; rnd("0.5") returns 1 when rounding up; rnd("3.5") returns 4, or 3 if truncating;
    we want rnd("9") == 9.
    """
'''


def test_examples_inside_running_prose_become_checks_but_conditions_do_not() -> None:
    stub = find_stub(PROSE_IN_SENTENCES, "rnd")
    assert stub is not None
    found = {(c.call, c.expected) for c in extract_checks(PROSE_IN_SENTENCES, stub)}
    assert found == {('rnd("14.5")', "15"), ('rnd("-14.5")', "-15"), ('rnd("9")', "9")}


IMPORT_FIRST = '''
def max_fill(grid, capacity):
    import math
    from itertools import chain
    """Count bucket lowerings.

    >>> max_fill([[1, 1]], 1)
    2
    """


def not_a_stub(x):
    import math
    return math.floor(x)


def imports_only():
    import math
'''


def test_imports_before_the_docstring_stay_in_the_head_of_a_stub() -> None:
    assert [stub.name for stub in find_stubs(IMPORT_FIRST)] == ["max_fill"]
    stub = find_stub(IMPORT_FIRST, "max_fill")
    assert stub is not None and stub.docstring is not None and stub.docstring.startswith("Count bucket")
    assert stub.docstring_line == 5
    [check] = extract_checks(IMPORT_FIRST, stub)
    assert check.line == 7 and check.call == "max_fill([[1, 1]], 1)"
    body = "\n    return sum(math.ceil(sum(row) / capacity) for row in chain(grid) if sum(row))\n"
    program = IMPORT_FIRST[: stub.replace_span.start_byte] + body + IMPORT_FIRST[stub.replace_span.end_byte :]
    assert run_checks(program, [check]).ok


@pytest.mark.parametrize(
    ("body", "placeholder"),
    [
        ("pass", True),
        ("...", True),
        ("raise NotImplementedError", True),
        ('raise NotImplementedError("later")', True),
        ("raise NotImplementedError from None", True),
        ("pass\n    ...", True),
        ("raise ValueError('NotImplementedError')", False),
        ("raise errors.NotImplementedError()", False),
        ("raise", False),
        ("return 1", False),
        ("pass\n    return 1", False),
    ],
)
def test_one_placeholder_rule_for_tree_sitter_and_ast(body: str, placeholder: bool) -> None:
    from extraction.stub import body_after_docstring, is_placeholder_body

    source = f'def f(x):\n    """Doc."""\n    {body}\n'
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    assert is_placeholder_body(body_after_docstring(function)) is placeholder
    assert bool(find_stubs(source)) is placeholder
