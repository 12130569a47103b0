"""Where the greedy points go (speed issue 16, §3): the same model, greedy, under several prompts, side by side.

For each HumanEval+ problem, every variant's request is decoded greedily on one loaded model, its answer
parsed by the cascade's own parser (``extract_body``), and the body scored by the HumanEval+ base and plus
tests. The tests only score: no variant sees them, and nothing is chosen by them. Variants alternate
problem by problem, so load that comes and goes slows all of them alike.

    python benchmarks/greedy_floor.py --variants ours,evalplus --out benchmarks/out/greedy-floor [--limit N]

``--backend transformers`` decodes the same GGUF through transformers (dequantized to float32), so that
llama.cpp's kernels can be told apart from the prompt; give it an OUT of its own.

Results go to ``OUT/<variant>.jsonl`` (one line per problem, resumable: finished problems are skipped) and a
summary table to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extraction import find_stubs  # noqa: E402
from ncpu.backends.base import ChatMessage, GenerationRequest  # noqa: E402
from ncpu.backends.host import open_backend  # noqa: E402
from ncpu.bench.datasets import BenchProblem, load_humanevalplus  # noqa: E402
from ncpu.bench.report import read_records  # noqa: E402
from ncpu.bench.runner import finished_tasks  # noqa: E402
from ncpu.bench.scoring import score  # noqa: E402
from ncpu.cascade.parse import extract_body  # noqa: E402
from ncpu.cascade.prompts import build_request, question, stub_text  # noqa: E402
from ncpu.config import ModelSettings, SandboxLimits  # noqa: E402
from ncpu.models import EMBEDDED_DEFAULT, ensure_model  # noqa: E402
from ncpu.problem import Problem  # noqa: E402
from ncpu.sandbox import Sandbox  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "HumanEvalPlus.jsonl.gz"
MAX_NEW_TOKENS = 512

# The chat prompt EvalPlus uses for instruction-tuned models (``evalplus.provider.utility.make_raw_chat_prompt``),
# which the Qwen2.5-Coder report's HumanEval figures follow, and Qwen2.5's default system prompt.
EVALPLUS_INSTRUCTION = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
)
EVALPLUS_RESPONSE = (
    "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:"
)
QWEN_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
EXPERT_SYSTEM = "You are an expert Python programmer. You write correct, simple, self-contained code."
"""The cascade's system prompt until the first study of this script showed Qwen's own scoring higher."""


def _ours(problem: Problem) -> GenerationRequest:
    return build_request(problem, temperature=0.0, max_tokens=MAX_NEW_TOKENS)


def _with_system(problem: Problem, system: str) -> GenerationRequest:
    request = _ours(problem)
    user = [message for message in request.messages if message.role != "system"]
    return dataclasses.replace(request, messages=(ChatMessage("system", system), *user))


def _ours_qwen_system(problem: Problem) -> GenerationRequest:
    """Qwen's system prompt given explicitly (for a Qwen model, the prompt ``ours`` renders to)."""
    return _with_system(problem, QWEN_SYSTEM)


def _ours_expert_system(problem: Problem) -> GenerationRequest:
    return _with_system(problem, EXPERT_SYSTEM)


def _evalplus_messages(problem: Problem, system: str) -> tuple[ChatMessage, ...]:
    user = f"{EVALPLUS_INSTRUCTION}\n```\n{problem.source.strip()}\n```\n"
    return ChatMessage("system", system), ChatMessage("user", user)


def _evalplus(problem: Problem) -> GenerationRequest:
    """EvalPlus's prompt as it is: the model writes the whole script."""
    return GenerationRequest(
        messages=_evalplus_messages(problem, QWEN_SYSTEM),
        temperature=0.0,
        max_tokens=MAX_NEW_TOKENS,
        stop=("\n```",),
        response_prefix=f"{EVALPLUS_RESPONSE}\n```python\n",
        entry_point=problem.stub.qualified_name,
    )


def _evalplus_prefilled(problem: Problem) -> GenerationRequest:
    """EvalPlus's instruction, with the answer prefilled up to the stub's docstring (as ours is)."""
    ours = _ours(problem)
    return GenerationRequest(
        messages=_evalplus_messages(problem, QWEN_SYSTEM),
        temperature=0.0,
        max_tokens=MAX_NEW_TOKENS,
        stop=ours.stop,
        response_prefix=f"{EVALPLUS_RESPONSE}\n```python\n{stub_text(problem)}",
        entry_point=problem.stub.qualified_name,
    )


def _stub_signature(problem: Problem) -> str:
    """The stub with its docstring left out (the answer's prefix carries it) and ``...`` for a body."""
    stub = problem.stub
    if stub.docstring_span is None:
        return stub_text(problem)
    return stub_text(problem, stub.docstring_span.start_byte) + "    ...\n"  # stub_text dedents to column 0


def _stub_once(problem: Problem) -> GenerationRequest:
    """Our prompt with the stub's docstring shown once, in the prefilled answer, not also in the question."""
    request = _ours(problem)
    return dataclasses.replace(request, messages=(ChatMessage("user", question(problem, _stub_signature(problem))),))


def _ours_whole(problem: Problem) -> GenerationRequest:
    """Our prompt, but the model writes the whole function (nothing prefilled)."""
    request = _ours(problem)
    return dataclasses.replace(request, response_prefix="```python\n")


VARIANTS: dict[str, Callable[[Problem], GenerationRequest]] = {
    "ours": _ours,
    "ours_qwen_system": _ours_qwen_system,
    "ours_expert_system": _ours_expert_system,
    "ours_whole": _ours_whole,
    "stub_once": _stub_once,
    "evalplus": _evalplus,
    "evalplus_prefilled": _evalplus_prefilled,
}


def run_one(backend: object, scorer: Sandbox, bench: BenchProblem, variant: str) -> dict[str, object]:
    stub = next((s for s in find_stubs(bench.prompt) if s.name == bench.entry_point), None)
    if stub is None:
        return {"task_id": bench.task_id, "variant": variant, "base": False, "plus": False, "detail": "no stub"}
    problem = Problem.from_source(bench.prompt, stub)
    request = VARIANTS[variant](problem)
    started = time.monotonic()
    generation = backend.generate(request)  # type: ignore[attr-defined]
    seconds = time.monotonic() - started
    prefix = request.response_prefix
    fence = prefix.find("```python")
    code_prefix = prefix[fence:] if fence >= 0 else prefix  # the parser reads code, not the sentence before it
    body = extract_body(code_prefix, generation.text, stub.name, stub.params, problem.module_names)
    if body is None:
        result = {"base": False, "plus": False, "detail": "no body parsed"}
    else:
        scored = score(scorer, bench, problem.program_with(body), plus=True)
        result = {"base": scored.base, "plus": scored.plus, "detail": scored.detail}
    return {
        "task_id": bench.task_id,
        "variant": variant,
        **result,
        "tokens": generation.tokens,
        "seconds": round(seconds, 2),
        "text": generation.text,
    }


def summary(out: Path, variants: list[str]) -> str:
    """The table over the problems every variant has finished (a stopped run compares like with like)."""
    loaded = {}
    for variant in variants:
        path = out / f"{variant}.jsonl"
        loaded[variant] = {r["task_id"]: r for r in read_records(path)} if path.exists() else {}
    common = set.intersection(*(set(records) for records in loaded.values())) if loaded else set()
    rows = [f"{len(common)} problems finished by every variant", "",
            "| variant | pass@1 base | pass@1 plus | no body parsed | tokens / problem | s / problem |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for variant, by_task in loaded.items():
        records = [by_task[task] for task in sorted(common)]
        if not records:
            continue
        n = len(records)
        base = sum(bool(r["base"]) for r in records)
        plus = sum(bool(r["plus"]) for r in records)
        unparsed = sum(r.get("detail") == "no body parsed" for r in records)
        tokens = sum(r.get("tokens", 0) for r in records) / n
        seconds = sum(r.get("seconds", 0.0) for r in records) / n
        rows.append(
            f"| {variant} | {100 * base / n:.1f} ({base}) | {100 * plus / n:.1f} ({plus}) | {unparsed} "
            f"| {tokens:.0f} | {seconds:.1f} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="ours,evalplus", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "greedy-floor")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the embedded 0.5B)")
    parser.add_argument(
        "--backend",
        default="llama_cpp",
        choices=("llama_cpp", "transformers"),
        help="transformers loads the same GGUF dequantized: it separates llama.cpp's kernels from the prompt",
    )
    parser.add_argument("--limit", type=int, help="the first N problems")
    parser.add_argument(
        "--greedy-in-batch",
        action=argparse.BooleanOptionalAction,
        default=ModelSettings().greedy_in_batch,
        help="llama_cpp: greedy answers in the batch context (ModelSettings.greedy_in_batch; "
        "--no-greedy-in-batch: Llama.create_completion)",
    )
    parser.add_argument("--draft-tokens", type=int, default=0, help="llama_cpp: prompt-lookup draft per step")
    parser.add_argument("--summary", action="store_true", help="print the table of what OUT holds, run nothing")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summary:
        print(summary(args.out, variants))
        return 0
    problems = load_humanevalplus(args.data)[: args.limit]
    model = args.model or ensure_model(EMBEDDED_DEFAULT)
    settings = ModelSettings(greedy_in_batch=args.greedy_in_batch, draft_tokens=args.draft_tokens)
    backend = open_backend(args.backend, model, settings)
    scorer = Sandbox(SandboxLimits(wall_seconds=20.0))
    done = {variant: finished_tasks(args.out / f"{variant}.jsonl") for variant in variants}
    try:
        for index, bench in enumerate(problems, 1):
            for variant in variants:
                if bench.task_id in done[variant]:
                    continue
                record = run_one(backend, scorer, bench, variant)
                with (args.out / f"{variant}.jsonl").open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
            print(f"[{index}/{len(problems)}] {bench.task_id}", file=sys.stderr, flush=True)
    finally:
        backend.close()
        scorer.close()
    print(summary(args.out, variants))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
