"""Template match: a small enumerative synthesizer that proposes bodies fitting the user's examples.

No model is involved (see ``template_search`` for the enumeration). A body found this way is chosen by
behaviour alone, and a wrong one that passes the checks would pre-empt the model and be reported as
verified, so a fit is only offered when the examples pin it down: bigger expressions need more examples,
yes/no answers need several of each and few rival predicates, and each example must be predicted by
the first fit of the others (leave-one-out). On HumanEval's docstring examples this offers 5 bodies out
of 135 problems, all 5 correct on the hidden tests; without these rules it offered 45, 12 correct.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.cascade.evidence import MIN_BOOLEAN_EXAMPLES_TO_SYNTHESIZE
from ncpu.cascade.template_examples import Example, examples_from_checks, weight
from ncpu.cascade.template_grammar import raised
from ncpu.cascade.template_search import Budget, Search, evidence_needed

__all__ = ["evidence_needed", "template_bodies"]

DEFAULT_BUDGET_S = 0.3
SEARCH_EXAMPLES = 32
"""At most this many examples guide the search (the sandbox still runs every check)."""
ARGUMENT_WEIGHT = 1_000
"""Examples whose arguments hold more items than this are left to the sandbox: each try must stay cheap."""
LEAVE_ONE_OUT_UP_TO = 8
"""With more examples than this, a fit is trusted without the leave-one-out probes."""


def _passes(params: Sequence[str], body: str, examples: Sequence[Example]) -> bool:
    """Re-run a printed body (our own expression) on the examples: printing must not change its meaning."""
    source = f"def _ncpu_template({', '.join(params)}):\n    {body}"
    namespace: dict[str, Any] = {}
    try:
        exec(compile(source, "<template>", "exec"), namespace)
    except SyntaxError:
        return False
    function = namespace["_ncpu_template"]
    for example in examples:
        try:
            outcome = function(*example.args)
        except Exception as exc:  # the body failed this example
            outcome = raised(exc)
        if not example.accepts(outcome):
            return False
    return True


def _trusted_boolean(examples: Sequence[Example], predicates: int) -> bool:
    """A yes/no answer carries one bit per example: demand both answers and few rival predicates.

    With ``k`` examples there are ``2**k`` answer patterns; when the search has produced an eighth of them
    (``predicates`` distinct ones), a fit is as likely a coincidence as the rule the user meant.
    """
    if not all(example.mode == "value" and type(example.expected) is bool for example in examples):
        return True
    if len({example.expected for example in examples}) < 2 or len(examples) < MIN_BOOLEAN_EXAMPLES_TO_SYNTHESIZE:
        return False
    return predicates < 2 ** (len(examples) - 3)


def _predicts_each(params: Sequence[str], examples: Sequence[Example], size: int, budget: Budget) -> bool:
    """Leave-one-out: the first fit of all examples but one must also pass the one left out, for each.

    A fit that only memorizes (``not 3 in xs``, ``b // 3``) changes as soon as one example is hidden.
    """
    if len(examples) > LEAVE_ONE_OUT_UP_TO:
        return True
    for position, held_out in enumerate(examples):
        rest = [*examples[:position], *examples[position + 1 :]]
        probe = Search(params, rest, budget, 1, first=True, max_size=size)
        probe.run(extra_levels=0)
        fits_rest = next((entry for entry in probe.matches if entry.uses_param), None)
        if fits_rest is None or not _passes(params, f"return {ast.unparse(fits_rest.node)}\n", [held_out]):
            return False
    return True


def template_bodies(
    params: Sequence[str],
    checks: Sequence[Check],
    *,
    limit: int = 2000,
    time_budget_s: float = DEFAULT_BUDGET_S,
    name: str | None = None,
) -> list[str]:
    """Return bodies such as ``return a + b`` (newline-terminated) that reproduce every usable example.

    Only checks that call the stub directly with literal arguments and a literal expectation (values,
    raised exception names, printed reprs) guide the search; the caller must still verify each body in
    the sandbox against all checks. Methods (``self``/``cls`` first), stubs without usable checks and
    fits the examples do not pin down get ``[]``. The search stops one size level after the first match
    when some checks could not be used (they may reject the smallest fit), right after it otherwise.
    The search and the leave-one-out probes each get ``time_budget_s`` of CPU time (so the answer does not
    depend on machine load), capped at one and a half times that in wall-clock time.
    """
    if (params and params[0] in ("self", "cls")) or limit <= 0:
        return []
    usable = examples_from_checks(params, checks, name)
    light = [example for example in usable if weight(example.args, ARGUMENT_WEIGHT + 1) <= ARGUMENT_WEIGHT]
    examples = light[:SEARCH_EXAMPLES]
    if not examples:
        return []
    search = Search(params, examples, Budget.of(time_budget_s), limit)
    search.run(extra_levels=0 if len(examples) == len(checks) else 1)
    top = search.matches[0] if search.matches else None
    if top is None or not _trusted_boolean(examples, search.kinds["bool"]):
        return []
    # The probes get their own budget: an answer found late must not fail them for lack of time.
    if top.uses_param and not _predicts_each(params, examples, top.size, Budget.of(time_budget_s)):
        return []
    ordered = [entry for entry in search.matches if entry.uses_param]
    ordered += [entry for entry in search.matches if not entry.uses_param]
    bodies: list[str] = []
    for entry in ordered:
        body = f"return {ast.unparse(entry.node)}\n"
        if body not in bodies and _passes(params, body, examples):
            bodies.append(body)
    return bodies[:limit]
