"""Making sure the model a command needs is there before any stub is attempted."""

from __future__ import annotations

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from ncpu.backends.base import BackendError
from ncpu.cli.console import err
from ncpu.cli.options import UsageError
from ncpu.config import Settings
from ncpu.models import EMBEDDED_DEFAULT, PackagedModel, ensure_model, models_dir


def _assemble(model: PackagedModel) -> None:
    target = models_dir() / model.filename
    if target.with_suffix(".sha256").exists() and target.exists():
        ensure_model(model)
        return
    columns = (TextColumn(f"assembling {model.name}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("assemble", total=model.size)
        ensure_model(model, lambda done, total: progress.update(task, completed=done))


def prepare_models(settings: Settings) -> None:
    """Assemble and verify the packaged model the settings point at; raise ``UsageError`` if it is missing."""
    needs_model = any(layer in settings.layers for layer in ("greedy", "retry", "best_of_n", "escalate"))
    if not needs_model or settings.model.backend != "llama_cpp" or settings.model.model_path is not None:
        return
    try:
        _assemble(EMBEDDED_DEFAULT)
    except BackendError as exc:
        raise UsageError(str(exc)) from exc
