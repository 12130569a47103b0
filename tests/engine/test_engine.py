"""``Engine``, through its public API only: lookups, solves, the model's state, the tiers, closing.

Every test runs the real sandbox (a worker starts in a fraction of a second) and the scripted backend
(``ncpu.backends.fake``), never a real model.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from extraction import find_stubs
from ncpu.backends.base import BackendError, Generation, GenerationRequest
from ncpu.backends.fake import ScriptedBackend
from ncpu.backends.registry import register_backend
from ncpu.cancel import CancelToken
from ncpu.cascade.solution import LayerEvent
from ncpu.config import ModelSettings, SandboxLimits, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store, StoredProgram

LAYERS = ("store", "greedy")  # no library or template layer: only the scripted model can solve
RIGHT = "def mul(a, b):\n    return a * b\n"
WRONG = "def mul(a, b):\n    return a + b\n"


def _source(name: str = "mul", examples: bool = True) -> str:
    doctest = f"\n\n    >>> {name}(2, 3)\n    6\n    >>> {name}(4, 5)\n    20" if examples else ""
    return f'def {name}(a, b):\n    """Multiply.{doctest}\n    """\n'


def _problem(name: str = "mul", examples: bool = True) -> Problem:
    source = _source(name, examples)
    return Problem.from_source(source, find_stubs(source)[0])


def _stored(problem: Problem) -> StoredProgram:
    return StoredProgram(
        key=problem.key,
        entry_point="mul",
        params=("a", "b"),
        body="return a * b\n",
        function_source=RIGHT,
        layer="greedy",
        model="fake",
        temperature=0.0,
        checks_passed=2,
        created=time.time(),
    )


class CountingBackend(ScriptedBackend):
    """The scripted backend, counting ``close`` calls."""

    def __init__(self, script: dict[str, list[str]], name: str = "fake") -> None:
        super().__init__(script, name=name)
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class RefusingBackend(ScriptedBackend):
    """A backend whose every generation fails as a remote server's would."""

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        raise BackendError("the model server answered 503: overloaded")


class ClosingStore(Store):
    """A store that counts ``close`` calls."""

    closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


@pytest.fixture
def make_engine(store_dir: Path) -> Iterator[Callable[..., Engine]]:
    """Engines with a sandbox of their own and a store under ``tmp_path``, all closed at the end."""
    engines: list[Engine] = []

    def make(*backends: ScriptedBackend, settings: Settings | None = None, store: Store | None = None) -> Engine:
        settings = settings or Settings(layers=LAYERS)
        engine = Engine(
            settings,
            store=store if store is not None else Store.open(store_dir),
            sandbox=Sandbox(SandboxLimits(wall_seconds=5.0)),
            backends=list(backends) or None,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


# -- lookup ------------------------------------------------------------------------------------


def test_lookup_is_none_without_checks_and_a_store_hit_after_a_verified_solve(
    make_engine: Callable[..., Engine],
) -> None:
    backend = CountingBackend({"*": [RIGHT]})
    engine = make_engine(backend)
    # A stub without examples is never answered from the store, even where the store has an entry under its
    # key (one written by another tool, say): nothing here could have verified it.
    unchecked = _problem(examples=False)
    assert engine.store is not None and engine.store.put(_stored(unchecked))
    assert engine.store.peek(unchecked.key) is not None
    assert engine.lookup(unchecked) is None
    assert engine.lookup(_problem()) is None  # not solved yet
    solved = engine.solve(_problem())
    assert (solved.status, solved.layer, solved.body) == ("verified", "greedy", "return a * b\n")
    calls = len(backend.requests)  # greedy, then the samples agreement asked for
    hit = engine.lookup(_problem())
    assert hit is not None
    assert (hit.status, hit.layer, hit.key, hit.body, hit.model) == (
        "verified",
        "store",
        _problem().key,
        "return a * b\n",
        "fake",
    )
    assert hit.message == "from the store (first verified by greedy)"
    assert hit.agreement == solved.agreement != ""  # the evidence is kept with the body
    assert len(backend.requests) == calls  # looking up runs no model
    assert engine.lookup(_problem("other")) is None  # another problem is another key


def test_lookup_without_a_store_is_none() -> None:
    engine = Engine(
        Settings(layers=LAYERS, use_store=False),
        sandbox=Sandbox(SandboxLimits(wall_seconds=5.0)),
        backends=[ScriptedBackend({"*": [RIGHT]})],
    )
    with engine:
        assert engine.solve(_problem()).status == "verified"
        assert engine.lookup(_problem()) is None


def test_a_partial_solve_is_not_a_store_hit(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(ScriptedBackend({"*": ["def mul(a, b):\n    return 6\n"]}))  # right for (2, 3) only
    assert engine.solve(_problem()).status == "partial"
    assert engine.lookup(_problem()) is None


# -- solve failing in the backend --------------------------------------------------------------


def test_a_backend_error_in_generation_is_a_failed_solution_with_its_message(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine(RefusingBackend({"*": [RIGHT]}))
    solution = engine.solve(_problem())
    assert (solution.status, solution.message, solution.key) == (
        "failed",
        "the model server answered 503: overloaded",
        _problem().key,
    )
    assert solution.body is None
    assert engine.lookup(_problem()) is None


def test_a_backend_error_outside_the_ladder_is_a_failed_solution_too(make_engine: Callable[..., Engine]) -> None:
    # No examples, an unverified body asked for: one plain generation, whose error the engine itself turns
    # into the solution (the ladder's layers catch theirs).
    engine = make_engine(RefusingBackend({"*": [RIGHT]}), settings=Settings(layers=LAYERS, offer_unverified=True))
    solution = engine.solve(_problem(examples=False))
    assert (solution.status, solution.message, solution.body) == (
        "failed",
        "the model server answered 503: overloaded",
        None,
    )


def test_a_backend_that_cannot_load_fails_the_solve_and_says_why_in_model_state(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-script.json"
    engine = make_engine(settings=Settings(layers=LAYERS, model=ModelSettings(backend="fake", model_path=missing)))
    assert engine.model_state == "unloaded"
    solution = engine.solve(_problem())
    assert solution.status == "failed"
    assert solution.message.startswith(f"cannot read fake backend script {missing}: "), solution.message
    assert engine.model_state == f"error: {solution.message}"
    with pytest.raises(BackendError, match="cannot read fake backend script"):
        engine.load_model()


# -- the model's state ----------------------------------------------------------------------------


def test_model_state_goes_unloaded_ready_unloaded(make_engine: Callable[..., Engine]) -> None:
    backend = CountingBackend({"*": [RIGHT]})
    engine = make_engine(backend)
    assert engine.model_state == "unloaded"
    events: list[LayerEvent] = []
    engine.load_model(on_event=events.append)
    assert engine.model_state == "ready"
    label = engine.tier_labels[0]
    assert [(e.layer, e.message, e.tier) for e in events] == [
        ("load", f"loading model {label}", 0),
        ("loaded", f"model {label} loaded", 0),
    ]
    engine.load_model(on_event=events.append)  # already loaded: nothing to announce
    assert len(events) == 2
    engine.unload_model()
    assert engine.model_state == "unloaded"
    assert backend.closed == 1
    engine.unload_model()  # nothing loaded: nothing closed again
    assert backend.closed == 1
    assert engine.solve(_problem()).status == "verified"  # a solve loads it again
    assert engine.model_state == "ready"


def test_model_state_is_loading_while_the_model_loads(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_factory(path: Path | None, settings: ModelSettings) -> ScriptedBackend:
        entered.set()
        assert release.wait(10)
        return ScriptedBackend({"*": [RIGHT]}, name="slow")

    register_backend("engine-test-slow", slow_factory)
    settings = Settings(layers=LAYERS, model=ModelSettings(backend="engine-test-slow", model_path=tmp_path / "m.bin"))
    engine = make_engine(settings=settings)
    assert engine.model_state == "unloaded"
    loader = threading.Thread(target=engine.load_model)
    loader.start()
    try:
        assert entered.wait(10)
        assert engine.model_state == "loading"
    finally:
        release.set()
        loader.join(10)
    assert engine.model_state == "ready"
    assert engine.tier_labels == ["slow"]  # the loaded backend's own name


# -- tiers ----------------------------------------------------------------------------------------


def test_tier_labels_of_a_ladder_of_two_backends(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(ScriptedBackend({"*": [RIGHT]}, name="small"), ScriptedBackend({"*": [RIGHT]}, name="big"))
    assert engine.tier_labels == ["small", "big"]


def test_tier_labels_from_settings_before_and_after_loading(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    for script in (small, big):
        script.write_text(json.dumps({"*": RIGHT}))
    model = ModelSettings(backend="fake", model_path=small, escalation_tiers=(str(big), "nosuch.gguf"))
    engine = make_engine(settings=Settings(layers=LAYERS, model=model))
    # Before loading: the file names; a tier that cannot be read keeps what the user wrote (it fails when reached).
    assert engine.tier_labels == ["small", "big", "nosuch.gguf"]
    engine.load_model()
    assert engine.tier_labels == ["fake", "big", "nosuch.gguf"]  # the first tier now has its backend's name
    no_ladder = ModelSettings(backend="fake", model_path=small, escalation_tiers=(str(big),), escalate=False)
    assert make_engine(settings=Settings(layers=LAYERS, model=no_ladder)).tier_labels == ["small"]


# -- closing --------------------------------------------------------------------------------------


def _refuses(box: Sandbox) -> bool:
    try:
        box.verify(RIGHT, _problem().checks)
    except RuntimeError as exc:
        return str(exc) == "the sandbox is closed"
    return False


def test_close_frees_the_model_and_closes_the_sandbox_and_the_store(store_dir: Path) -> None:
    backend = CountingBackend({"*": [RIGHT]})
    store = ClosingStore(store_dir)
    engine = Engine(
        Settings(layers=LAYERS), store=store, sandbox=Sandbox(SandboxLimits(wall_seconds=5.0)), backends=[backend]
    )
    assert engine.solve(_problem()).status == "verified"
    assert not _refuses(engine.sandbox)
    engine.close()
    assert (backend.closed, store.closed, engine.model_state) == (1, 1, "unloaded")
    assert _refuses(engine.sandbox)
    engine.close()  # closing twice is harmless (as ``with`` after an explicit close does)
    assert backend.closed == 1
    with Store.open(store_dir) as reopened:  # what was stored is on disk
        assert reopened.peek(_problem().key) is not None


def test_the_context_manager_closes_even_when_the_body_raises(store_dir: Path) -> None:
    store = ClosingStore(store_dir)
    backend = CountingBackend({"*": [RIGHT]})
    with pytest.raises(ZeroDivisionError):  # noqa: SIM117 - the engine must close inside the raises
        with Engine(Settings(layers=LAYERS), store=store, backends=[backend]) as engine:
            engine.load_model()
            raise ZeroDivisionError
    assert (backend.closed, store.closed) == (1, 1)
    assert _refuses(engine.sandbox)


# -- concurrency ----------------------------------------------------------------------------------


def _solve_at_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, names: list[str]
) -> tuple[dict[str, list[Sandbox]], dict[str, str]]:
    """Solve one problem per name, each in its thread, all in the sandbox at the same moment.

    Every solve's first ``Sandbox.verify`` waits until all of them have reached theirs, so each holds its
    sandbox while the others take one. Returns the sandboxes each solve verified in, and the statuses.
    """
    barrier = threading.Barrier(len(names), timeout=20)
    lock = threading.Lock()
    used: dict[str, list[Sandbox]] = {name: [] for name in names}
    statuses: dict[str, str] = {}
    real_verify = Sandbox.verify
    local = threading.local()

    def verify(self: Sandbox, *args: Any, **kwargs: Any) -> Any:
        with lock:
            used[local.name].append(self)
        if not getattr(local, "met", False):
            local.met = True
            barrier.wait()
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(Sandbox, "verify", verify)

    def work(name: str) -> None:
        local.name = name
        statuses[name] = engine.solve(_problem(name)).status

    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.undo()
    return used, statuses


def test_concurrent_solves_each_verify_in_a_sandbox_of_their_own(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["mul0", "mul1", "mul2"]
    backend = ScriptedBackend({name: [RIGHT.replace("mul", name)] for name in names})
    engine = Engine(
        Settings(layers=LAYERS, concurrency=3, sandbox=SandboxLimits(wall_seconds=5.0)),
        store=Store.open(store_dir),
        backends=[backend],
    )
    with engine:
        used, statuses = _solve_at_once(engine, monkeypatch, names)
        assert statuses == dict.fromkeys(names, "verified")
        boxes = {name: {id(box) for box in boxes} for name, boxes in used.items()}
        assert all(len(ids) == 1 for ids in boxes.values()), boxes  # one sandbox for the whole solve
        assert len(set.union(*boxes.values())) == 3, boxes  # and a different one for each
        assert id(engine.sandbox) in set.union(*boxes.values())
        sandboxes = [boxes_[0] for boxes_ in used.values()]
    assert all(_refuses(box) for box in sandboxes)  # closing the engine closed all three


def test_without_concurrency_solves_at_once_share_the_one_sandbox(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["mul0", "mul1"]
    backend = ScriptedBackend({name: [RIGHT.replace("mul", name)] for name in names})
    with Engine(Settings(layers=LAYERS), store=Store.open(store_dir), backends=[backend]) as engine:
        used, statuses = _solve_at_once(engine, monkeypatch, names)
        assert statuses == dict.fromkeys(names, "verified")
        assert {id(box) for boxes in used.values() for box in boxes} == {id(engine.sandbox)}
