"""Command-line options shared by the subcommands, and how they become ``Settings``."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ncpu.backends.tiers import parse_tier
from ncpu.cascade.solution import LAYERS
from ncpu.config import Budget, ModelSettings, SandboxLimits, Settings, check_value


class UsageError(Exception):
    """A mistake on the command line or in the environment; exit code 2, one line."""


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Options every solving command takes."""
    group = parser.add_argument_group("model and budget")
    group.add_argument(
        "--model",
        type=Path,
        metavar="PATH",
        help="a GGUF file, or a model directory for transformers (default: embedded)",
    )
    group.add_argument(
        "--backend", default="llama_cpp", help="llama_cpp (default), transformers, openai, or a plugin's name"
    )
    group.add_argument(
        "--model-name",
        metavar="NAME",
        help="openai: the served model (default: its first); transformers: a cached repo id",
    )
    group.add_argument("--device", help="transformers: auto (default), cpu, cuda, cuda:1...")
    group.add_argument("--base-url", metavar="URL", help="openai: the server (default: http://127.0.0.1:8000/v1)")
    group.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="openai: environment variable holding the API key (default: NCPU_OPENAI_API_KEY)",
    )
    group.add_argument(
        "--request-timeout", type=float, metavar="SECONDS", help="openai: seconds per request (default: 120)"
    )
    group.add_argument(
        "--concurrency", type=int, metavar="N", help="stubs solved at once (default: 1; raise it for a remote server)"
    )
    group.add_argument(
        "--escalation-tier",
        dest="escalation_tiers",
        action="append",
        metavar="TIER",
        help="larger model to escalate to: a GGUF file, or BACKEND:TARGET (openai:MODEL, transformers:DIR); "
        "repeat for a ladder of several tiers, cheapest first (default: the packaged 1.5B)",
    )
    # The option's earlier name, kept working (commands recorded in benchmarks/RESULTS.md use it), not shown.
    group.add_argument("--escalate-to", dest="escalation_tiers", action="append", help=argparse.SUPPRESS)
    group.add_argument("--no-escalate", action="store_true", help="never escalate to a larger model")
    group.add_argument(
        "--greedy-in-batch",
        action=argparse.BooleanOptionalAction,
        help="llama_cpp: decode greedy answers in the batch context, so the samples after them reuse the prompt "
        "(default on; --no-greedy-in-batch: through Llama.create_completion)",
    )
    group.add_argument(
        "--agreement-passes",
        type=int,
        metavar="N",
        help="passing bodies to find and compare on generated inputs before choosing (default 3; 1: the first wins)",
    )
    group.add_argument(
        "--proposed-inputs",
        type=int,
        metavar="N",
        help="calls the model is asked to propose for comparing the passing bodies (default 0: mutated inputs only; try 6)",
    )
    group.add_argument(
        "--unconfirmed-after",
        type=int,
        metavar="N",
        help="a template's or sample's body that passes alone after N of the model's bodies failed is "
        "unconfirmed, not verified (default 3; 0: never)",
    )
    group.add_argument(
        "--budget",
        metavar="SPEC",
        help="per-stub budget in one option, e.g. samples=24,tokens=12000,seconds=300 "
        "(the --max-* options below override its parts)",
    )
    group.add_argument("--max-samples", type=int, help="model generations per stub")
    group.add_argument("--max-seconds", type=float, help="wall-clock seconds per stub")
    group.add_argument("--max-tokens", type=int, help="generated tokens per stub")
    group.add_argument("--layers", help=f"comma-separated cascade layers to run (default: all of {','.join(LAYERS)})")
    group.add_argument("--store", type=Path, metavar="DIR", help="store directory (default: user cache)")
    group.add_argument("--no-store", action="store_true", help="neither read nor write the store")
    group.add_argument("--threads", type=int, help="CPU threads for the model")
    group.add_argument(
        "--gpu-layers",
        type=_gpu_layers,
        metavar="N|all",
        help="llama_cpp: layers offloaded to the GPU (default: all when llama.cpp was built with GPU support)",
    )
    group.add_argument(
        "--cpu-safe",
        action="store_true",
        help="llama_cpp: no repacked weight layouts or AMX kernels: slower, runs on every CPU",
    )
    group.add_argument(
        "--model-host",
        choices=("auto", "process", "inline"),
        help="where the model runs: a process of its own (auto for llama_cpp and transformers) or inline",
    )
    group.add_argument(
        "--offer-unverified", action="store_true", help="give an unverified greedy body to stubs without examples"
    )
    group.add_argument(
        "--python",
        metavar="PATH",
        help="the project's interpreter (or virtual environment) candidates run on; default: the workspace's "
        ".venv or venv, then $VIRTUAL_ENV, then ncpu's own",
    )
    group.add_argument(
        "--unsafe-sandbox",
        action="store_true",
        help="verify even where the OS refuses the sandbox's kernel boundary (best-effort isolation only)",
    )


def _gpu_layers(text: str) -> int:
    """``all`` or a count of layers (``-1`` also means all)."""
    if text.strip().lower() == "all":
        return -1
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of layers or 'all', got {text!r}") from None
    if value < -1:
        raise argparse.ArgumentTypeError(f"expected a number of layers or 'all', got {text!r}")
    return value


_CHECKED_OPTIONS = {
    "max_samples": (Budget, "max_samples"),
    "max_seconds": (Budget, "max_seconds"),
    "max_tokens": (Budget, "max_tokens"),
    "agreement_passes": (Budget, "agreement_passes"),
    "proposed_inputs": (Budget, "proposed_inputs"),
    "unconfirmed_after": (Budget, "unconfirmed_after"),
    "threads": (ModelSettings, "n_threads"),
    "request_timeout": (ModelSettings, "request_timeout"),
    "concurrency": (Settings, "concurrency"),
}
"""Options whose values the settings bound (``ncpu.config.check_value``), and the field each sets."""


def _check(option: str, owner: type, name: str, value: object) -> None:
    problem = check_value(owner, name, value)
    if problem is not None:
        raise UsageError(f"{option} {problem}")


_BUDGET_KEYS = {"samples": ("max_samples", int), "tokens": ("max_tokens", int), "seconds": ("max_seconds", float)}


def _budget_spec(text: str) -> dict[str, float]:
    """``samples=24,tokens=12000,seconds=300`` (any of them) → Budget fields; one clear error otherwise."""
    values: dict[str, float] = {}
    for part in text.split(","):
        key, equals, raw = (piece.strip() for piece in part.partition("="))
        if not equals or key not in _BUDGET_KEYS:
            raise UsageError(f"--budget: expected samples=N, tokens=N or seconds=S separated by commas, got {part!r}")
        field, kind = _BUDGET_KEYS[key]
        try:
            value = kind(raw)
        except ValueError:
            raise UsageError(f"--budget: {key} must be a number, got {raw!r}") from None
        _check(f"--budget {key}", Budget, field, value)
        values[field] = value
    return values


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Build typed settings from parsed options, rejecting bad values with one clear line."""
    if args.model is not None and not args.model.exists():
        raise UsageError(f"model file not found: {args.model}")
    for tier in args.escalation_tiers or ():
        try:
            parse_tier(tier, args.backend)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    budget_spec = _budget_spec(args.budget) if args.budget else {}
    for name, (owner, field) in _CHECKED_OPTIONS.items():
        _check("--" + name.replace("_", "-"), owner, field, getattr(args, name))
    layers = LAYERS
    if args.layers:
        layers = tuple(part.strip() for part in args.layers.split(",") if part.strip())
        unknown = [layer for layer in layers if layer not in LAYERS]
        if unknown:
            raise UsageError(f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(LAYERS)}")
    budget = Budget()
    changes = {
        **budget_spec,
        **{
            name: value
            for name, value in (
                ("max_samples", args.max_samples),
                ("max_seconds", args.max_seconds),
                ("max_tokens", args.max_tokens),
                ("agreement_passes", args.agreement_passes),
                ("proposed_inputs", args.proposed_inputs),
                ("unconfirmed_after", args.unconfirmed_after),
            )
            if value is not None
        },
    }
    budget = dataclasses.replace(budget, **{k: v for k, v in changes.items() if v is not None})
    given = {  # left to ModelSettings' defaults where the option was not given
        "greedy_in_batch": args.greedy_in_batch,
        "model_name": args.model_name,
        "device": args.device,
        "base_url": args.base_url,
        "api_key_env": args.api_key_env,
        "request_timeout": args.request_timeout,
    }
    model = ModelSettings(
        backend=args.backend,
        model_path=args.model,
        escalation_tiers=tuple(args.escalation_tiers or ()),
        escalate=not args.no_escalate,
        n_threads=args.threads,
        gpu_layers=args.gpu_layers,
        cpu_safe=args.cpu_safe,
        host=args.model_host or "auto",
        **{k: v for k, v in given.items() if v is not None},
    )
    return Settings(
        model=model,
        budget=budget,
        sandbox=SandboxLimits(allow_unsafe=args.unsafe_sandbox),
        store_path=args.store,
        use_store=not args.no_store,
        layers=layers,
        offer_unverified=args.offer_unverified,
        concurrency=args.concurrency or 1,
        python=args.python,
    )
