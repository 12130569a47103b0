from __future__ import annotations

from ncpu.cascade.parse import extract_body

PREFIX = '```python\ndef add(a, b):\n    """Add."""\n'


def test_continuation_of_prefilled_stub() -> None:
    assert extract_body(PREFIX, "    return a + b\n```\ntrailing prose", "add") == "return a + b\n"


def test_whole_function_with_helpers_and_imports_moves_them_into_the_body() -> None:
    text = "```python\nimport math\n\ndef helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b\n```"
    body = extract_body(PREFIX, text, "add")
    assert body == "import math\ndef helper(x):\n    return x\nreturn helper(a) + b\n"


def test_placeholder_body_is_rejected() -> None:
    assert extract_body(PREFIX, "    pass\n", "add") is None
    assert extract_body(PREFIX, "    raise NotImplementedError()\n", "add") is None


def test_truncated_generation_keeps_the_complete_statements() -> None:
    assert extract_body(PREFIX, "    if a:\n        return 1\n    return (a +", "add") == "if a:\n    return 1\n"


def test_unparseable_output_gives_none() -> None:
    assert extract_body(PREFIX, "    return a +", "add") is None


def test_other_function_name_is_not_taken() -> None:
    assert extract_body("", "def sub(a, b):\n    return a - b\n", "add") is None


def test_a_class_the_module_already_has_is_an_echo_not_a_helper_to_move() -> None:
    """For a method the model was shown its class; writing the class again must not put it in the body."""
    prefix = 'def total(self) -> int:\n    """Sum."""\n'
    echoed = (
        "    return sum(self.items)\n\n"
        "@dataclass\nclass Inventory:\n    items: list\n\n    def total(self) -> int:\n        ...\n\n"
        "def helper(x):\n    return x\n"
    )
    body = extract_body(prefix, echoed, "total", ["self"], frozenset({"Inventory", "Item"}))
    assert body == "def helper(x):\n    return x\nreturn sum(self.items)\n"
    empty = '\n@dataclass\nclass Inventory:\n    items: list\n\n    def total(self) -> int:\n        """Sum."""\n'
    assert extract_body(prefix, empty, "total", ["self"], frozenset({"Inventory"})) is None


def test_the_method_written_inside_an_echoed_class_is_found() -> None:
    prefix = 'def total(self) -> int:\n    """Sum."""\n'
    echoed = "\nclass Inventory:\n    items: list\n\n    def total(self) -> int:\n        return sum(self.items)\n"
    assert extract_body(prefix, echoed, "total", ["self"], frozenset({"Inventory"})) == "return sum(self.items)\n"
