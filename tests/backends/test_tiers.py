"""Ladder tiers as users name them (``--escalate-to``), and a mixed ladder built from settings."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.backends.naming import model_label
from ncpu.backends.tiers import TierSpec, parse_tier
from ncpu.config import Budget, ModelSettings, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

BACKENDS = ["llama_cpp", "transformers", "openai", "fake"]


def test_a_file_runs_on_the_first_tiers_backend_or_llama_cpp_behind_a_server(tmp_path: Path) -> None:
    gguf = tmp_path / "big.gguf"
    gguf.write_bytes(b"GGUF")
    assert parse_tier(str(gguf), "llama_cpp", BACKENDS) == TierSpec("llama_cpp", gguf, None)
    assert parse_tier(str(gguf), "transformers", BACKENDS).backend == "transformers"
    assert parse_tier(str(gguf), "openai", BACKENDS).backend == "llama_cpp"
    assert parse_tier(str(gguf), "llama_cpp", BACKENDS).label == "big"


def test_backend_prefixed_tiers_name_a_served_model_a_repo_id_or_a_file(tmp_path: Path) -> None:
    assert parse_tier("openai:qwen2.5-coder-32b", "llama_cpp", BACKENDS) == TierSpec(
        "openai", None, "qwen2.5-coder-32b"
    )
    assert parse_tier("openai:", "llama_cpp", BACKENDS) == TierSpec("openai", None, None)
    assert parse_tier("openai:org/big-coder", "llama_cpp", BACKENDS).label == "big-coder"
    assert parse_tier("transformers:Qwen/Qwen2.5-Coder-7B", "llama_cpp", BACKENDS).model_name == "Qwen/Qwen2.5-Coder-7B"
    script = tmp_path / "s.json"
    script.write_text("{}")
    assert parse_tier(f"fake:{script}", "llama_cpp", BACKENDS) == TierSpec("fake", script, None)


@pytest.mark.parametrize(
    ("path", "model_name", "label"),
    [
        (Path("/m/big.gguf"), "ignored", "big"),
        (None, "Qwen/Qwen2.5-Coder-7B", "Qwen2.5-Coder-7B"),
        (None, "/models/qwen-coder.gguf", "qwen-coder"),
        (None, "org/coder/", "coder"),
        (None, ".gguf", ".gguf"),
        (None, None, "fallback"),
    ],
)
def test_one_rule_names_a_model(path: Path | None, model_name: str | None, label: str) -> None:
    assert model_label(path, model_name, "fallback") == label


def test_the_ladder_and_the_tiers_name_models_alike(sandbox: Sandbox) -> None:
    assert parse_tier("openai:/srv/models/coder.gguf", "llama_cpp", BACKENDS).label == "coder"
    assert parse_tier("openai:", "llama_cpp", BACKENDS).label == "openai"
    model = ModelSettings(backend="openai", model_name="/srv/models/served.gguf", escalation_tiers=("openai:org/big",))
    engine = Engine(Settings(model=model, use_store=False), sandbox=sandbox)
    assert engine.tier_labels == ["served", "big"]  # before anything loads


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("missing.gguf", "not found: missing.gguf"),
        ("llama_cpp:", "names no model"),
        ("fake:nope.json", "not found"),
    ],
)
def test_bad_tiers_get_one_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_tier(text, "llama_cpp", BACKENDS)


def test_a_mixed_ladder_from_settings_escalates_to_another_backend(tmp_path: Path, sandbox: Sandbox) -> None:
    source = 'def mul(a, b):\n    """Multiply.\n\n    >>> mul(2, 3)\n    6\n    """\n'
    cheap, top = tmp_path / "cheap.json", tmp_path / "top.json"
    cheap.write_text(json.dumps({"*": "def mul(a, b):\n    return 0\n"}))
    top.write_text(json.dumps({"*": "def mul(a, b):\n    return a * b\n"}))
    model = ModelSettings(backend="fake", model_path=cheap, escalation_tiers=("missing.gguf", f"fake:{top}"))
    budget = dataclasses.replace(Budget(), max_samples=6, retries=1, escalation_samples=2)
    settings = Settings(model=model, budget=budget, layers=("greedy", "retry", "escalate"))
    engine = Engine(settings, store=Store.open(tmp_path / "store"), sandbox=sandbox)
    assert engine.tier_labels == ["cheap", "missing.gguf", "top"]
    solution = engine.solve(Problem.from_source(source, find_stubs(source)[0]))
    # The tier that cannot load is passed over (its error is logged), the next one solves.
    assert solution.status == "verified" and solution.layer == "escalate" and solution.model == "fake"
