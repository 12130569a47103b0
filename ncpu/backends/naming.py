"""A model's display name, the one rule for the ladder's labels and the backends' names."""

from __future__ import annotations

from pathlib import Path


def model_label(path: Path | None = None, model_name: str | None = None, default: str = "") -> str:
    """The name to show for a model: the file's stem, else the model name's last part, else ``default``.

    A model name may be a repo id (``Qwen/Qwen2.5-Coder-7B``) or a path a server reports
    (``/models/qwen.gguf``): only its last part counts, without ``.gguf``; a name with no such part is
    shown as it is.
    """
    if path is not None:
        return path.stem
    if model_name:
        return model_name.rstrip("/").rsplit("/", 1)[-1].removesuffix(".gguf") or model_name
    return default
