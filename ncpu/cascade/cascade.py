"""The verified cascade: cheap layers first, the model after, and every candidate verified in the sandbox.

Layers, in order (any subset, per ``Settings.layers``): store hit → library consult → template match →
greedy decode → compounding retry → best-of-N across temperatures → escalation to a larger tier.
Each layer proposes candidates and one loop verifies them. After the first body that passes every check,
the cascade samples on until ``agreement_passes`` bodies pass (within ``agreement_share`` of the budget),
runs them all on inputs generated from the examples, and offers the largest group of bodies that behave
alike there; a tie at the top is *ambiguous*, and the input that separates the groups is the question for
the user. A body that a template or a blind sample found, passing the docstring's examples alone while the
model's other candidates failed them, is *unconfirmed*: offered, never stored as verified. Nothing the cascade does looks at anything but
the problem (the module text, the stub and the checks extracted from what the user wrote): the generated
inputs carry no expected values.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ncpu.backends.base import Backend, BackendError, Generation, GenerationRequest
from ncpu.cancel import Cancelled, CancelToken
from ncpu.cascade.agreement import Member, decide, observe_bodies, probe_checks
from ncpu.cascade.attempts import Candidate, SolveState
from ncpu.cascade.evidence import strong_enough_for_behavioural_match
from ncpu.cascade.library import library_bodies
from ncpu.cascade.parse import extract_body
from ncpu.cascade.preflight import preflight
from ncpu.cascade.probes import MAX_PROBES, Probe
from ncpu.cascade.probes import probes as generated_probes
from ncpu.cascade.prompts import Feedback, build_request
from ncpu.cascade.proposed import proposal_request, proposed_calls
from ncpu.cascade.solution import LAYERS, Ambiguity, LayerEvent, Solution, SolveStatus, TraceEntry
from ncpu.cascade.templates import template_bodies
from ncpu.config import Settings
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.sandbox.verdict import Verdict
from ncpu.store import Store, StoredProgram

logger = logging.getLogger(__name__)

NO_CHECKS_MESSAGE = "no examples found: add a doctest such as `>>> {name}(2)` / `4`"


@dataclass(frozen=True)
class ModelTier:
    """A model the cascade may use; the backend is created on first use by its owner."""

    label: str
    backend: Callable[[], Backend]


Layer = Callable[[Problem, SolveState, "CancelToken | None"], Iterator[Candidate]]
"""A layer proposes candidates; the cascade's one loop verifies them (a batch layer may verify its own first)."""


class Cascade:
    """Runs the layers for one problem at a time; safe to share between threads if its parts are."""

    def __init__(self, settings: Settings, sandbox: Sandbox, store: Store | None, tiers: Sequence[ModelTier]) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.store = store
        self.tiers = list(tiers)
        self._layers: dict[str, Layer] = {
            "store": self._from_store,
            "library": self._from_library,
            "template": self._from_templates,
            "greedy": self._greedy,
            "retry": self._retries,
            "best_of_n": self._best_of_n,
            "escalate": self._escalate,
        }
        unknown = [layer for layer in settings.layers if layer not in self._layers]
        if unknown or tuple(self._layers) != LAYERS:
            raise ValueError(f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(LAYERS)}")

    def solve(
        self,
        problem: Problem,
        *,
        cancel: CancelToken | None = None,
        on_event: Callable[[LayerEvent], None] | None = None,
        on_first_pass: Callable[[Solution], None] | None = None,
    ) -> Solution:
        """Run the layers until a candidate passes every check, the budget runs out, or ``cancel`` is set.

        After the first pass, more passing bodies are looked for, and the answer is chosen among them by how
        they behave on generated inputs. When that search starts, ``on_first_pass`` (if given) gets the first
        passing body as a ``checking`` solution, so an editor can show it while the search runs.
        """
        state = SolveState(budget=self.settings.budget, on_event=on_event, on_first_pass=on_first_pass)
        if len(self.tiers) > 1 and "escalate" in self.settings.layers:
            budget = self.settings.budget
            state.reserve = min(budget.escalation_samples * (len(self.tiers) - 1), budget.max_samples - 1)
        try:
            if not problem.checks:
                return self._without_checks(problem, state, cancel)
            refusal = self._run_layers(problem, state, cancel)
            if refusal is not None:
                return refusal
            if state.passing:
                return self._chosen(problem, state, cancel)
            if state.first_tier_error is not None and (state.best is None or state.best[1].passed == 0):
                return Solution(status="failed", key=problem.key, message=state.first_tier_error, **_costs(state))
            return self._unsolved(problem, state)
        except Cancelled:
            return Solution(status="cancelled", key=problem.key, message="cancelled", **_costs(state))
        finally:
            if self.store is not None and state.ledger:
                for attempt in state.attempts():
                    self.store.record_attempt(attempt)

    def _run_layers(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Solution | None:
        """The layers in order until one yields a passing body; a ``failed`` solution when none can pass."""
        for layer in self.settings.layers:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if layer in _FIRST_TIER_LAYERS and state.first_tier_error is not None:
                continue
            if layer in _MODEL_LAYERS and not state.preflight_done:
                state.preflight_done = True
                refusal = preflight(problem, self.sandbox, cancel)
                if refusal is not None:  # no body can pass: the model is not called
                    return Solution(status="failed", key=problem.key, message=refusal, **_costs(state))
            try:
                self._drain(layer, problem, state, cancel)
            except BackendError as exc:
                if layer not in _FIRST_TIER_LAYERS:
                    raise
                # The model cannot be had (missing, or its process crashed twice): the larger
                # tiers may still answer; the solve fails with this reason if nothing does.
                state.first_tier_error = str(exc)
                state.emit(layer, f"{self.tiers[0].label} unavailable: {exc}")
                continue
            if state.passing:
                return None
            state.layer_done(layer)
        return None

    def _drain(self, layer: str, problem: Problem, state: SolveState, cancel: CancelToken | None) -> None:
        """Verify what ``layer`` proposes until a body passes.

        Best-of-N's samples already decoding go on being verified while agreement wants more passing
        bodies; every other layer stops at the first.
        """
        source = self._layers[layer](problem, state, cancel)
        try:
            for candidate in source:
                if self._verify(candidate, problem, state, cancel) and (
                    layer != "best_of_n" or not self._agreement_wants_more(problem, state, cancel)
                ):
                    return
        finally:
            _close(source)

    # -- layers -------------------------------------------------------------------------------

    def _from_store(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        if self.store is None:
            return
        state.emit("store", "store lookup")
        stored = self.store.get(problem.key)
        if stored is not None:
            # Re-verified: the same stub in another module may depend on different helpers.
            yield Candidate(stored.body, "store", stored.model, stored.temperature, agreement=stored.agreement)

    def _from_library(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        # Reused bodies carry no evidence of their own: only strong example sets may pick one.
        if self.store is None or not strong_enough_for_behavioural_match(problem.checks):
            return
        bodies = library_bodies(self.store.library(len(problem.stub.params)), problem.stub.params, problem.key)
        yield from self._first_passing("library", bodies, problem, state, cancel)

    def _from_templates(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        # The synthesizer weighs the evidence per body (size, leave-one-out), so it is not gated here.
        bodies = [] if problem.stub.is_method else template_bodies(problem.stub.params, problem.checks)
        yield from self._first_passing("template", bodies, problem, state, cancel)

    def _first_passing(
        self, layer: str, bodies: Sequence[str], problem: Problem, state: SolveState, cancel: CancelToken | None
    ) -> Iterator[Candidate]:
        """Many cheap bodies in one sandbox run; the first that passes is proposed, already verified."""
        if not bodies:
            return
        state.emit(layer, f"{layer} ({len(bodies)} candidates)")
        programs = [problem.program_with(body) for body in bodies]
        found = self.sandbox.first_passing(programs, problem.checks, cancel=cancel, placement=problem.placement)
        if found is not None:
            index, verdict = found
            candidate = Candidate(bodies[index], layer)
            state.consider(candidate, verdict)
            yield candidate

    def _greedy(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        if self.tiers:
            yield from self._generate("greedy", "greedy", self.tiers[0], 0.0, problem, state, cancel, step=(1, 1))

    def _retries(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        if self.tiers:
            yield from self._retry("retry", self.tiers[0], problem, state, cancel)

    def _escalate(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        """The larger tiers, best past solves per second first; each gets an equal share of what is left."""
        tiers = self.tiers[1:]
        if self.store is not None and len(tiers) > 1:
            order = self.store.tier_order([tier.label for tier in tiers])
            tiers = sorted(tiers, key=lambda tier: order.index(tier.label))
        for position, tier in enumerate(tiers):
            share = state.samples_left("escalate") // (len(tiers) - position)
            if share <= 0:
                continue
            state.tier_limit = state.samples + share
            try:
                yield from self._generate(
                    "escalate", f"escalate: {tier.label} greedy", tier, 0.0, problem, state, cancel, step=(1, 1)
                )
                yield from self._retry("escalate", tier, problem, state, cancel, label=f"escalate: {tier.label} retry")
            except BackendError as exc:  # a larger tier that cannot load is passed over; the ladder goes on
                logger.warning("escalation tier %s unavailable: %s", tier.label, exc)
                state.emit("escalate", f"escalate: {tier.label} unavailable: {exc}")
            finally:
                state.tier_limit = None

    def _retry(
        self,
        layer: str,
        tier: ModelTier,
        problem: Problem,
        state: SolveState,
        cancel: CancelToken | None,
        label: str = "retry",
    ) -> Iterator[Candidate]:
        retries = self.settings.budget.retries
        for attempt in range(1, retries + 1):
            # Read when the attempt starts: the loop has verified the previous one by then.
            feedback = self._feedback(problem, state)
            temperature = 0.3 + 0.1 * attempt
            message = f"{label} {attempt}/{retries}"
            yield from self._generate(
                layer,
                message,
                tier,
                temperature,
                problem,
                state,
                cancel,
                feedback,
                seed=attempt,
                step=(attempt, retries),
            )

    def _best_of_n(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Iterator[Candidate]:
        """Per temperature, one ``sample`` call: batching backends decode the samples together."""
        budget = self.settings.budget
        if not self.tiers or not state.can_generate("best_of_n"):
            return
        tier = self.tiers[0]
        backend = tier.backend()
        temperatures = budget.temperatures
        if self.store is not None:
            temperatures = self.store.temperature_order(temperatures, backend.name)
        total = min(len(temperatures) * budget.samples_per_temperature, state.samples_left("best_of_n"))
        model = self._model_of(tier)
        checked = 0
        for number, temperature in enumerate(temperatures, 1):
            n = min(budget.samples_per_temperature, state.samples_left("best_of_n"))
            if n <= 0:
                return
            state.emit("best_of_n", _checked(checked, total), checked, total, model=model)
            request = build_request(
                problem,
                temperature=temperature,
                max_tokens=state.max_new_tokens(),
                # Seeded by the temperature's place, not by how many samples came back before it.
                seed=self.settings.model.seed + 1000 + 97 * (1 + (number - 1) * budget.samples_per_temperature),
                deadline=state.deadline,
            )
            # Each sample is verified the moment the backend hands it over, while a batching backend has the
            # rest still to decode; a pass closes the stream, which stops them.
            samples = backend.sample(request, n, cancel)
            try:
                for _ in range(n):
                    if not state.can_generate("best_of_n"):
                        return
                    generation = next(samples, None)
                    if generation is None:
                        break
                    yield from self._take(
                        "best_of_n", tier, backend.name, temperature, request, generation, problem, state
                    )
                    checked += 1
                    state.emit("best_of_n", _checked(checked, total), checked, total, model=model)
            finally:
                _close(samples)

    # -- agreement ------------------------------------------------------------------------------

    def _agreement_wants_more(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> bool:
        """Whether more passing bodies are wanted, and could be compared once found.

        Asked while best-of-N's samples may still be decoding, so it never asks the model itself: before the
        inputs are made (``_agree`` makes them first), a stub the model can propose inputs for is taken to have
        some.
        """
        budget = self.settings.budget
        if len(state.passing) >= budget.agreement_passes or state.passing[0][0].layer == "store":
            return False
        if state.probes is None and self._may_propose(problem):
            return True
        return bool(self._probes(problem, state, cancel))

    def _may_propose(self, problem: Problem) -> bool:
        """Whether the model is asked for inputs: a function with parameters, proposals not turned off."""
        return self.settings.budget.proposed_inputs > 0 and not problem.stub.is_method and bool(problem.stub.params)

    def _agreement_tier(self, state: SolveState) -> ModelTier | None:
        """The tier agreement samples from: the first passing body's, or the first tier's for a template."""
        first = state.passing[0][0]
        if first.tier is not None:
            return self.tiers[first.tier]
        if not self.tiers or state.first_tier_error is not None:
            return None
        return self.tiers[0]

    def _probes(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> list[Probe]:
        """The generated inputs the passing bodies are compared on, made once per solve when first wanted.

        The calls the model proposes come first (they aim at edge cases), then the examples' mutations.
        """
        if state.probes is None:
            proposed = [Probe(call) for call in self._proposed_calls(problem, state, cancel)]
            calls = {probe.call for probe in proposed}
            mutated = generated_probes(problem.stub, problem.checks, MAX_PROBES)
            fresh = [probe for probe in mutated if probe.setup or probe.call not in calls]
            state.probes = proposed + fresh[: MAX_PROBES - len(proposed)]
            state.proposed_inputs = len(proposed)
        return state.probes

    def _proposed_calls(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> list[str]:
        """Calls of the stub the model proposes (``ncpu.cascade.proposed``): one greedy generation, charged."""
        tier = self._agreement_tier(state)
        if not self._may_propose(problem) or tier is None or not state.can_generate("agree"):
            return []  # ``can_generate`` also says no once the time budget is spent
        count = self.settings.budget.proposed_inputs
        state.emit("agree", "agreement: asking the model for inputs to compare on", model=self._model_of(tier))
        try:
            backend = tier.backend()
            generation = backend.generate(proposal_request(problem, count, deadline=state.deadline), cancel)
        except BackendError as exc:
            logger.warning("no proposed inputs: %s", exc)
            return []
        state.charge("inputs", backend.name, 0.0, generation.tokens, generation.seconds)
        return proposed_calls(problem.stub, problem.checks, generation.text, count)

    def _agree(self, problem: Problem, state: SolveState, cancel: CancelToken | None, first_pass: int) -> None:
        """Sample for more passing bodies, within the agreement's share of the budget.

        The share counts from ``first_pass``, the samples spent when the first body passed, so the inputs the
        model proposes count against it too.

        In rounds of as many samples as passes are still wanted: on a CPU a batch of n sequences costs nearly
        n times one, so a round larger than needed is paid for in seconds. The batch keeps the prompt's
        cells between rounds (same prompt), so a round after the first evaluates no prompt.
        """
        budget = self.settings.budget
        tier = self._agreement_tier(state)
        if tier is None:
            return
        self._probes(problem, state, cancel)  # the model's proposals first, while no sampling is in flight
        share = min(math.ceil(budget.agreement_share * budget.max_samples), budget.max_samples - first_pass)
        deadline = min(state.deadline, time.monotonic() + budget.agreement_share * budget.max_seconds)
        model = self._model_of(tier)
        wanted = budget.agreement_passes
        rounds = 0
        try:
            while self._agreement_wants_more(problem, state, cancel):
                allowance = share - (state.samples - first_pass)
                if allowance <= 0 or state.tokens >= budget.max_tokens or time.monotonic() >= deadline:
                    return
                n = min(allowance, wanted - len(state.passing))
                state.emit("agree", _agreeing(len(state.passing), wanted), len(state.passing), wanted, model=model)
                request = build_request(
                    problem,
                    temperature=budget.agreement_temperature,
                    max_tokens=state.max_new_tokens(),
                    seed=self.settings.model.seed + 5000 + 97 * rounds,
                    deadline=deadline,
                )
                backend = tier.backend()
                samples = backend.sample(request, n, cancel)
                try:
                    for generation in samples:
                        for candidate in self._take(
                            "agree", tier, backend.name, request.temperature, request, generation, problem, state
                        ):
                            self._verify(candidate, problem, state, cancel)
                        passes = len(state.passing)
                        state.emit("agree", _agreeing(passes, wanted), passes, wanted, model=model)
                        if not self._agreement_wants_more(problem, state, cancel) or time.monotonic() >= deadline:
                            return
                finally:
                    _close(samples)
                rounds += 1
        except BackendError as exc:  # the bodies found so far are still compared
            logger.warning("agreement sampling stopped: %s", exc)

    def _chosen(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Solution:
        """The answer among the passing bodies: the largest group of alike behaviour, or the question."""
        first, verdict = state.passing[0]
        if first.layer == "store":
            return self._verified(problem, state, first, verdict, first.agreement)
        if self.settings.budget.agreement_passes <= 1:
            return self._verified(problem, state, first, verdict, "")
        first_pass = state.samples  # what agreement spends from here on (its inputs too) is within its share
        if self._agreement_wants_more(problem, state, cancel):
            self._offer_first(problem, state, first, verdict)
            self._agree(problem, state, cancel, first_pass)
        generated = self._probes(problem, state, cancel)  # made here when enough bodies passed before any was wanted
        calls = [probe.call for probe in generated]
        probes = probe_checks(generated)
        observed = observe_bodies(self.sandbox, problem, [c.body for c, _ in state.passing], probes, cancel)
        passing = [
            (Member(candidate.body, candidate.temperature or 0.0, order), observed[candidate.body])
            for order, (candidate, _) in enumerate(state.passing)
        ]
        decision = decide(passing, calls, self.settings.budget.ambiguity_margin, state.proposed_inputs)
        candidate, verdict = next((c, v) for c, v in state.passing if c.body == decision.chosen.body)
        if decision.ambiguity is None:
            others = self._lone_guess(problem, state, candidate)
            if not others:
                return self._verified(problem, state, candidate, verdict, decision.agreement)
            message = (
                f"unconfirmed ({candidate.layer}): {verdict.summary()}, but none of the {others} other "
                f"candidate{'s' if others != 1 else ''} did"
            )
            return _answer("unconfirmed", problem, state, candidate, verdict, message, decision.agreement)
        message = f"ambiguous: the passing candidates disagree on {decision.ambiguity.question()}"
        return _answer("ambiguous", problem, state, candidate, verdict, message, decision.agreement, decision.ambiguity)

    def _offer_first(self, problem: Problem, state: SolveState, first: Candidate, verdict: Verdict) -> None:
        """Hand the first passing body to ``on_first_pass`` before agreement samples more.

        Agreement is most of a solve's time once a body has passed (it triples the median on HumanEval+), and
        it confirms the first body far more often than not, so the caller may show this one meanwhile. A
        body that would be *unconfirmed* if nothing joined it is not handed over: it would most likely be
        taken back. A callback that fails is logged; the solve goes on.
        """
        if state.on_first_pass is None or self._lone_guess(problem, state, first):
            return
        message = f"checks passed ({first.layer}): {verdict.summary()}; comparing it with more candidates"
        try:
            state.on_first_pass(_answer("checking", problem, state, first, verdict, message))
        except Exception:
            logger.exception("the first-pass callback failed")

    def _lone_guess(self, problem: Problem, state: SolveState, candidate: Candidate) -> int:
        """The model's failed bodies, when the one passing body is a guess only examples back; else 0.

        A body from one of ``GUESSING_LAYERS`` that passed alone after ``unconfirmed_after`` of the model's
        bodies failed, when no check is one of the project's own tests: a test the user wrote in ``tests/``
        is the spec the product verifies against, where a docstring's one or two examples only illustrate.
        """
        wanted = self.settings.budget.unconfirmed_after
        if not wanted or len(state.passing) > 1 or candidate.layer not in GUESSING_LAYERS:
            return 0
        if any(check.origin == "workspace_test" for check in problem.checks):
            return 0
        others = _other_candidates(state, candidate)
        return others if others >= wanted else 0

    # -- one candidate -----------------------------------------------------------------------

    def _generate(
        self,
        layer: str,
        message: str,
        tier: ModelTier,
        temperature: float,
        problem: Problem,
        state: SolveState,
        cancel: CancelToken | None,
        feedback: Feedback | None = None,
        seed: int | None = None,
        step: tuple[int, int] | None = None,
    ) -> Iterator[Candidate]:
        if not state.can_generate(layer):
            return
        number, steps = step if step is not None else (None, None)
        state.emit(layer, message, number, steps, model=self._model_of(tier))
        backend = tier.backend()
        request = build_request(
            problem,
            temperature=temperature,
            max_tokens=state.max_new_tokens(),
            seed=(self.settings.model.seed + (seed or 0)) if temperature > 0 else None,
            feedback=feedback,
            deadline=state.deadline,
        )
        generation = backend.generate(request, cancel)
        yield from self._take(layer, tier, backend.name, temperature, request, generation, problem, state)

    def _model_of(self, tier: ModelTier) -> tuple[str, int]:
        """A tier's label and place in the ladder, for progress events."""
        return tier.label, self.tiers.index(tier)

    def _take(
        self,
        layer: str,
        tier: ModelTier,
        model: str,
        temperature: float,
        request: GenerationRequest,
        generation: Generation,
        problem: Problem,
        state: SolveState,
    ) -> Iterator[Candidate]:
        """Charge one generation to the budget, then propose the body it holds (if any)."""
        state.charge(layer, model, temperature, generation.tokens, generation.seconds)
        body = extract_body(
            request.response_prefix, generation.text, problem.stub.name, problem.stub.params, problem.module_names
        )
        if body is not None:
            yield Candidate(body, layer, model, temperature, tier=self.tiers.index(tier))

    def _verify(self, candidate: Candidate, problem: Problem, state: SolveState, cancel: CancelToken | None) -> bool:
        """Run ``candidate`` against the checks (once per body); whether it passed them all.

        Each passing sample counts, a body written again included: agreement counts votes, as MBR-exec and
        AlphaCode do.
        """
        verdict = state.verdicts.get(candidate.body)
        if verdict is None:
            program = problem.program_with(candidate.body)
            verdict = self.sandbox.verify(program, problem.checks, cancel=cancel, placement=problem.placement)
            state.consider(candidate, verdict)
        if verdict.ok:
            state.passing.append((candidate, verdict))
        return verdict.ok

    def _feedback(self, problem: Problem, state: SolveState) -> Feedback | None:
        if state.best is None:
            return None
        candidate, verdict = state.best
        failure = verdict.first_failure()
        if verdict.error is not None or failure is None:
            return Feedback(candidate.body, problem.checks[0], None, error=verdict.error)
        index, result = failure
        return Feedback(candidate.body, problem.checks[index], result)

    # -- outcomes ----------------------------------------------------------------------------

    def _verified(
        self, problem: Problem, state: SolveState, candidate: Candidate, verdict: Verdict, agreement: str
    ) -> Solution:
        if self.store is not None and candidate.layer != "store":
            self.store.put(
                StoredProgram(
                    key=problem.key,
                    entry_point=problem.entry_point,
                    params=problem.stub.params,
                    body=candidate.body,
                    function_source=problem.stub.signature + "\n" + candidate.body,
                    layer=candidate.layer,
                    model=candidate.model,
                    temperature=candidate.temperature,
                    checks_passed=verdict.passed,
                    created=time.time(),
                    agreement=agreement,
                )
            )
        message = f"verified by {candidate.layer}: {verdict.summary()}"
        return _answer("verified", problem, state, candidate, verdict, message, agreement)

    def _unsolved(self, problem: Problem, state: SolveState) -> Solution:
        spent = state.budget_spent()
        ran_out = f"; {spent}" if spent else ""
        if state.best is None or state.best[1].passed == 0:
            detail = state.best[1].summary() if state.best else "no usable candidate"
            message = f"no candidate passed any check ({detail}){ran_out}"
            return Solution(status="failed", key=problem.key, message=message, **_costs(state))
        candidate, verdict = state.best
        return _answer(
            "partial", problem, state, candidate, verdict, f"not verified: best candidate: {verdict.summary()}{ran_out}"
        )

    def _without_checks(self, problem: Problem, state: SolveState, cancel: CancelToken | None) -> Solution:
        message = NO_CHECKS_MESSAGE.format(name=problem.stub.name)
        if not self.settings.offer_unverified or not self.tiers:
            return Solution(status="no_checks", key=problem.key, message=message)
        state.emit("greedy", "greedy (unverified: no checks)")
        backend = self.tiers[0].backend()
        request = build_request(problem, temperature=0.0, max_tokens=state.max_new_tokens(), deadline=state.deadline)
        generation = backend.generate(request, cancel)
        state.charge("greedy", backend.name, 0.0, generation.tokens, generation.seconds)
        body = extract_body(
            request.response_prefix, generation.text, problem.stub.name, problem.stub.params, problem.module_names
        )
        if body is None:
            return Solution(status="no_checks", key=problem.key, message=message, **_costs(state))
        state.trace.append(
            TraceEntry("greedy", body, 0, 0, backend.name, 0.0, state.samples, state.tokens, round(state.seconds, 3))
        )
        state.layer_done("greedy")
        return Solution(
            status="unverified",
            key=problem.key,
            body=body,
            layer="greedy",
            message=f"UNVERIFIED: {message}",
            model=backend.name,
            temperature=0.0,
            **_costs(state),
        )


_FIRST_TIER_LAYERS = frozenset({"greedy", "retry", "best_of_n"})
_MODEL_LAYERS = _FIRST_TIER_LAYERS | {"escalate"}


def _answer(
    status: SolveStatus,
    problem: Problem,
    state: SolveState,
    candidate: Candidate,
    verdict: Verdict,
    message: str,
    agreement: str = "",
    ambiguity: Ambiguity | None = None,
) -> Solution:
    """A solution that offers ``candidate``'s body (verified, ambiguous, unconfirmed, partial), with its costs."""
    return Solution(
        status=status,
        key=problem.key,
        body=candidate.body,
        layer=candidate.layer,
        verdict=verdict,
        message=message,
        model=candidate.model,
        temperature=candidate.temperature,
        agreement=agreement,
        ambiguity=ambiguity,
        **_costs(state),
    )


GUESSING_LAYERS = frozenset({"library", "template", "best_of_n"})
"""Layers whose body matches the examples without being the model's own reading of the stub: a template or
a stored program that fits them, or a sample drawn blind at a temperature. Alone among failures, such a
pass may be luck (``unconfirmed``). Greedy, escalation and retry (the model's correction against the
check that failed) are the model's deliberate answers.

On HumanEval+ (the 0.5B ladder and the 1.5B, ``benchmarks/RESULTS.md``), 14 bodies passed alone among 5
or more failures: the 10 from these layers were right in 2, the 4 from retry or escalation in 3. Those
checks were docstring examples only; in real projects (tests/data/projects/inventory, the repo benchmark)
the lone best-of-N passes also passed the project's own tests, and were right."""


def _other_candidates(state: SolveState, passing: Candidate) -> int:
    """How many bodies the model wrote besides ``passing`` (the proposals of inputs are not bodies).

    With one passing body and others written, those others all failed the checks: a lone pass
    (``Cascade._lone_guess``).
    """
    written = state.samples - state.samples_in("inputs")
    return max(0, written - (1 if passing.model is not None else 0))


def _close(samples: Iterator[Any]) -> None:
    """Tell a sampling generator the rest is not wanted (a batching backend drops requests in flight)."""
    close = getattr(samples, "close", None)
    if close is not None:
        close()


def _agreeing(passing: int, wanted: int) -> str:
    """Agreement's progress, in the words the editors show."""
    return f"agreement: {passing} of {wanted} passing candidates"


def _checked(checked: int, total: int) -> str:
    """Best-of-N's progress, in the words the editors show."""
    return f"best-of-N: {checked} of {total} samples checked"


def _costs(state: SolveState) -> dict[str, Any]:
    return {
        "samples": state.samples,
        "tokens": state.tokens,
        "seconds": round(state.seconds, 3),
        "trace": tuple(state.trace),
        "spend": tuple(state.spend),
        "votes": tuple((candidate.body, candidate.temperature or 0.0) for candidate, _ in state.passing),
    }
