"""Backend throughput on the same HumanEval prompts and the same GGUF file, plus the harness's own overhead.

For each backend: greedy tokens per second over the problems (one generation each), and samples per
second for best-of-8 (one ``sample(request, 8)`` call per problem). Backends: llama.cpp in process,
transformers (the GGUF dequantized, batched sampling), and the OpenAI backend against llama-cpp-python's
server on loopback serving the same file. The harness overhead compares ``LlamaCppBackend.generate`` with
raw ``Llama.create_completion`` calls on the same rendered prompts and options, alternating problem by
problem in the same run so a busy machine slows both alike.

Two more comparisons, each alternating problem by problem between two loaded backends:

* ``host``: the llama.cpp backend in the caller's process against the same backend in its model host
  process (``ncpu.backends.host``): tokens per second, and the time to a one-token answer (prompt
  evaluation plus the pipe), in the same CPU mode on both sides;
* ``batch``: best-of-N with the samples decoded together (``llama_batch``, the default) against one after
  another, at n = 1, 2, 4, 8, alternating problem by problem on one loaded model: samples per second;
* ``modes``: the default load (on a CPU with AMX: only the AMX kernels off) against ``cpu_safe`` (no
  extra buffer types, so no repacked weight layouts), both in model hosts: the cost of the safe mode.

    python benchmarks/backends.py [--limit 20] [--sample-limit 20] [--backends overhead,host,modes,llama_cpp,...]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from local_server import local_llama_server  # benchmarks/local_server.py, beside this script

from extraction import find_stubs
from ncpu.backends.base import Backend, GenerationRequest
from ncpu.backends.registry import create_backend
from ncpu.bench.datasets import load_humaneval
from ncpu.cascade.prompts import build_request
from ncpu.config import ModelSettings
from ncpu.models import EMBEDDED_DEFAULT, ensure_model
from ncpu.problem import Problem


@dataclass
class Row:
    backend: str
    tokens: int = 0
    seconds: float = 0.0
    samples: int = 0
    sample_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.sample_seconds if self.sample_seconds else 0.0


def _requests(limit: int, max_tokens: int) -> list[GenerationRequest]:
    requests = []
    for task in load_humaneval():
        stubs = [s for s in find_stubs(task.prompt) if s.name == task.entry_point]
        if not stubs:
            continue
        problem = Problem.from_source(task.prompt, stubs[0])
        requests.append(build_request(problem, temperature=0.0, max_tokens=max_tokens))
        if len(requests) == limit:
            break
    return requests


def _sampled(request: GenerationRequest, max_tokens: int, seed: int) -> GenerationRequest:
    from dataclasses import replace

    return replace(request, temperature=0.8, max_tokens=max_tokens, seed=seed)


def _measure(
    name: str, backend: Backend, greedy: list[GenerationRequest], sampled: list[GenerationRequest], n: int
) -> Row:
    row = Row(name)
    for request in greedy:
        started = time.perf_counter()
        generation = backend.generate(request)
        row.seconds += time.perf_counter() - started
        row.tokens += generation.tokens
    print(f"  {name}: greedy {row.tokens} tokens in {row.seconds:.1f} s", file=sys.stderr, flush=True)
    for request in sampled:
        started = time.perf_counter()
        row.samples += len(list(backend.sample(request, n)))
        row.sample_seconds += time.perf_counter() - started
    print(f"  {name}: {row.samples} samples in {row.sample_seconds:.1f} s", file=sys.stderr, flush=True)
    return row


def _overhead(gguf: Path, greedy: list[GenerationRequest], threads: int) -> tuple[float, float, int]:
    """Seconds for harness and raw calls on the same prompts, alternating; and the tokens each produced."""
    from llama_cpp import Llama

    from ncpu.backends.llama_cpp import LlamaCppBackend

    settings = ModelSettings(n_threads=threads, n_ctx=4096)
    harness = LlamaCppBackend(gguf, settings)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        raw = Llama(model_path=str(gguf), n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    harness_seconds = raw_seconds = 0.0
    tokens = 0
    for index, request in enumerate(greedy):
        prompt = harness.render_prompt(request)

        def run_raw(prompt: str = prompt, request: GenerationRequest = request) -> int:
            answer = raw.create_completion(
                prompt,
                max_tokens=request.max_tokens,
                temperature=0.0,
                top_p=1.0,
                top_k=1,
                min_p=0.05,
                repeat_penalty=1.0,
                stop=list(request.stop),
                seed=None,
            )
            return int(answer["usage"]["completion_tokens"])  # type: ignore[index]

        order = ("raw", "harness") if index % 2 else ("harness", "raw")
        for which in order:
            started = time.perf_counter()
            if which == "raw":
                produced = run_raw()
                raw_seconds += time.perf_counter() - started
            else:
                produced = harness.generate(request).tokens
                harness_seconds += time.perf_counter() - started
                tokens += produced
    harness.close()
    raw.close()
    return harness_seconds, raw_seconds, tokens


@dataclass
class Side:
    """One side of an alternating comparison."""

    label: str
    tokens: int = 0
    seconds: float = 0.0
    first_token: list[float] | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def first_token_median_ms(self) -> float:
        values = sorted(self.first_token or [0.0])
        return 1000 * values[len(values) // 2]


def _alternate(backends: dict[str, Backend], greedy: list[GenerationRequest]) -> list[Side]:
    """Each request on every backend in turn (the order swapped every problem); a one-token answer first."""
    from dataclasses import replace

    sides = {label: Side(label, first_token=[]) for label in backends}
    labels = list(backends)
    for index, request in enumerate(greedy):
        order = labels if index % 2 == 0 else labels[::-1]
        for label in order:
            started = time.perf_counter()
            backends[label].generate(replace(request, max_tokens=1))
            sides[label].first_token.append(time.perf_counter() - started)  # type: ignore[union-attr]
        for label in order:
            started = time.perf_counter()
            generation = backends[label].generate(request)
            sides[label].seconds += time.perf_counter() - started
            sides[label].tokens += generation.tokens
    return list(sides.values())


def _compare(name: str, make: dict[str, Callable[[], Backend]], greedy: list[GenerationRequest]) -> list[Side]:
    with contextlib.ExitStack() as stack:
        backends: dict[str, Backend] = {}
        for label, create in make.items():
            backend = create()
            stack.callback(backend.close)
            print(f"  {name}/{label}: {backend.describe()}", file=sys.stderr, flush=True)
            backends[label] = backend
        sides = _alternate(backends, greedy)
    for side in sides:
        print(
            f"  {name}/{side.label}: {side.tokens} tokens in {side.seconds:.1f} s ({side.tokens_per_second:.1f} tok/s), "
            f"one-token answer median {side.first_token_median_ms():.0f} ms",
            file=sys.stderr,
            flush=True,
        )
    return sides


def _sides_json(sides: list[Side]) -> list[dict[str, object]]:
    return [
        {
            "label": side.label,
            "tokens": side.tokens,
            "seconds": side.seconds,
            "tokens_per_second": side.tokens_per_second,
            "one_token_answer_median_ms": side.first_token_median_ms(),
        }
        for side in sides
    ]


def _batch_curve(gguf: Path, sampled: list[GenerationRequest], settings: ModelSettings) -> list[dict[str, object]]:
    """Samples per second at n = 1, 2, 4, 8, batched against sequential, on the same model and prompts."""
    from ncpu.backends.llama_cpp import LlamaCppBackend

    backend = LlamaCppBackend(gguf, settings)
    curve = []
    try:
        for n in (1, 2, 4, 8):
            seconds = {"batched": 0.0, "sequential": 0.0}
            samples = {"batched": 0, "sequential": 0}
            tokens = {"batched": 0, "sequential": 0}
            for index, request in enumerate(sampled):
                order = ("batched", "sequential") if index % 2 == 0 else ("sequential", "batched")
                for mode in order:
                    backend._batch_sampling = mode == "batched"
                    started = time.perf_counter()
                    generations = list(backend.sample(request, n))
                    seconds[mode] += time.perf_counter() - started
                    samples[mode] += len(generations)
                    tokens[mode] += sum(g.tokens for g in generations)
            row = {
                "n": n,
                **{f"{mode}_samples_per_second": samples[mode] / seconds[mode] for mode in seconds},
                **{f"{mode}_tokens_per_second": tokens[mode] / seconds[mode] for mode in seconds},
            }
            row["speedup"] = row["batched_samples_per_second"] / row["sequential_samples_per_second"]
            print(f"  batch n={n}: {row}", file=sys.stderr, flush=True)
            curve.append(row)
    finally:
        backend.close()
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20, help="HumanEval problems for greedy and overhead")
    parser.add_argument("--sample-limit", type=int, default=20, help="of those, problems for best-of-N")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens per greedy generation")
    parser.add_argument("--sample-tokens", type=int, default=64, help="tokens per sample")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", default="overhead,host,modes,llama_cpp,openai,transformers")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    gguf = ensure_model(EMBEDDED_DEFAULT)
    greedy = _requests(args.limit, args.max_tokens)
    sampled = [_sampled(r, args.sample_tokens, 1000 + i) for i, r in enumerate(greedy[: args.sample_limit])]
    wanted = args.backends.split(",")
    results: dict[str, object] = {"problems": len(greedy), "sampled_problems": len(sampled), "samples": args.samples}
    rows: list[Row] = []
    from ncpu.backends import amx_guard
    from ncpu.backends.cpu_features import cpu_features
    from ncpu.backends.host import HostedBackend
    from ncpu.backends.llama_cpp import LlamaCppBackend

    cpu = cpu_features()
    results["cpu"] = cpu.summary()
    if cpu.amx:
        # In this process too, so that the in-process side loads as the model host does (AMX off, repacking on).
        results["amx_refused_in_process"] = amx_guard.refuse_amx() is None
    settings = ModelSettings(n_threads=args.threads, n_ctx=4096)
    if "host" in wanted:
        sides = _compare(
            "host",
            {
                "in process": lambda: LlamaCppBackend(gguf, settings),
                "model host": lambda: HostedBackend("llama_cpp", gguf, settings),
            },
            greedy,
        )
        inline, hosted = sides
        results["host"] = {
            "sides": _sides_json(sides),
            "tokens_per_second_ratio": hosted.tokens_per_second / inline.tokens_per_second - 1,
            "one_token_answer_extra_ms": hosted.first_token_median_ms() - inline.first_token_median_ms(),
        }
    if "batch" in wanted:
        results["batch"] = _batch_curve(gguf, sampled, settings)
    if "modes" in wanted:
        safe = dataclasses.replace(settings, cpu_safe=True)
        sides = _compare(
            "modes",
            {
                "default": lambda: HostedBackend("llama_cpp", gguf, settings),
                "cpu-safe": lambda: HostedBackend("llama_cpp", gguf, safe),
            },
            greedy,
        )
        default, cpu_safe = sides
        results["modes"] = {
            "sides": _sides_json(sides),
            "cpu_safe_tokens_per_second_ratio": cpu_safe.tokens_per_second / default.tokens_per_second - 1,
        }
    if "overhead" in wanted:
        harness, raw, tokens = _overhead(gguf, greedy, args.threads)
        results["overhead"] = {"harness_s": harness, "raw_s": raw, "tokens": tokens, "ratio": harness / raw - 1}
        print(f"overhead: harness {harness:.2f} s, raw {raw:.2f} s ({harness / raw - 1:+.1%})", file=sys.stderr)
    for name in ("llama_cpp", "openai", "transformers"):
        if name not in wanted:
            continue
        settings = ModelSettings(backend=name, n_threads=args.threads, device="cpu", request_timeout=600)
        with contextlib.ExitStack() as stack:
            path: Path | None = gguf
            if name == "openai":
                url = stack.enter_context(local_llama_server(gguf, threads=args.threads, n_ctx=4096))
                settings = ModelSettings(backend=name, base_url=url, request_timeout=600)
                path = None
            started = time.perf_counter()
            backend = create_backend(name, path, settings)
            stack.callback(backend.close)
            load = time.perf_counter() - started
            print(f"{backend.describe()}: loaded in {load:.1f} s", file=sys.stderr, flush=True)
            row = _measure(name, backend, greedy, sampled, args.samples)
            row.load_seconds = load
            rows.append(row)
    results["rows"] = [
        {**vars(row), "tokens_per_second": row.tokens_per_second, "samples_per_second": row.samples_per_second}
        for row in rows
    ]
    print(f"| backend | greedy tokens | tok/s | best-of-{args.samples} samples | samples/s | load (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.backend} | {row.tokens} | {row.tokens_per_second:.1f} | {row.samples} | "
            f"{row.samples_per_second:.2f} | {row.load_seconds:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
