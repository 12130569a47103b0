"""``ncpu solve --concurrency N``: several stubs in flight against a backend that serves requests at once."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from ncpu.backends.fake import ScriptedBackend
from ncpu.cli.main import main
from ncpu.cli.options import settings_from_args
from ncpu.config import Settings
from ncpu.engine import Engine


def _module(names: list[str]) -> str:
    return "\n\n".join(f'def {n}(a, b):\n    """Multiply.\n\n    >>> {n}(2, 3)\n    6\n    """\n' for n in names)


def test_stubs_are_solved_concurrently_and_reported_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"mul{i}" for i in range(6)]
    script = tmp_path / "script.json"
    completions = {n: f"def {n}(a, b):\n    return a * b\n" for n in names}
    script.write_text(json.dumps({**completions, "__delay__": 0.4}))
    (tmp_path / "a.py").write_text(_module(names[:3]))
    (tmp_path / "b.py").write_text(_module(names[3:]))
    report = tmp_path / "report.json"
    # How many generations are in flight at once (no clock: a loaded machine must not fail this test).
    in_flight, most, lock = [0], [0], threading.Lock()
    generate = ScriptedBackend.generate

    def counted(self: ScriptedBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return generate(self, *args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(ScriptedBackend, "generate", counted)
    args = ["--backend", "fake", "--model", str(script), "--no-store", "--layers", "greedy", "--json", str(report)]
    assert main(["solve", str(tmp_path / "a.py"), str(tmp_path / "b.py"), "--write", "--concurrency", "6", *args]) == 0
    stubs = json.loads(report.read_text())["stubs"]
    assert [s["function"] for s in stubs] == names
    assert all(s["status"] == "verified" for s in stubs)
    assert all("return a * b" in (tmp_path / f).read_text() for f in ("a.py", "b.py"))
    assert most[0] >= 2, most  # one at a time would never have two generations in flight


def test_the_engine_keeps_a_sandbox_per_concurrent_solve() -> None:
    engine = Engine(Settings(use_store=False, concurrency=3))
    try:
        assert len({id(box) for box in engine._sandboxes}) == 3
    finally:
        engine.close()


def test_backend_options_reach_the_settings() -> None:
    from ncpu.cli.main import build_parser

    args = build_parser().parse_args(
        ["solve", "x.py", "--backend", "openai", "--base-url", "http://gpu:8000/v1", "--model-name", "qwen",
         "--api-key-env", "TEAM_KEY", "--request-timeout", "30", "--concurrency", "8", "--device", "cuda"]
    )  # fmt: skip
    settings = settings_from_args(args)
    model = settings.model
    assert (model.backend, model.base_url, model.model_name, model.api_key_env) == (
        "openai", "http://gpu:8000/v1", "qwen", "TEAM_KEY"
    )  # fmt: skip
    assert (model.request_timeout, model.device, settings.concurrency) == (30.0, "cuda", 8)
    assert model.greedy_in_batch  # the default
    chosen = settings_from_args(build_parser().parse_args(["bench", "humanevalplus", "--no-greedy-in-batch"]))
    assert not chosen.model.greedy_in_batch
