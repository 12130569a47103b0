"""The server's settings: the engine's typed config (``ncpu.config``), under camelCase keys on the wire.

Each key the editors may set is declared once in ``SETTINGS``, as the engine field it sets; its type, its
default and its bounds are that field's. Values are structured by a strict cattrs converter (``"5"`` is
not a number, ``1`` is not ``true``). A bad value is reported naming its key and that key keeps its
default; the server never dies of it. The editors' manifests are tested against ``SETTINGS``
(``tests/editors/``).
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import cattrs

from ncpu.config import NOT_NEGATIVE, Settings, check_value

SECTION = "ncpu"
"""The settings section (``initializationOptions``, ``workspace/configuration``, ``didChangeConfiguration``)."""


@dataclass(frozen=True)
class ServerConfig:
    """The engine's settings, and the few that only the server has."""

    settings: Settings = field(default_factory=Settings)
    idle_unload_seconds: float = field(default=600.0, metadata=NOT_NEGATIVE)
    """Free the model after this long without a solve (0 keeps it loaded)."""
    show_first_pass: bool = True
    """Insert the first body that passes every check at once, marked ``# ncpu: checking``, while more
    candidates are compared with it; the answer that follows confirms it, replaces it, or takes it back."""

    def to_settings(self) -> Settings:
        """The engine's settings."""
        return self.settings


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the ``ncpu`` section and the config field it sets."""

    key: str
    """The camelCase key on the wire."""
    path: str
    """The field, dotted from ``ServerConfig``: ``settings.budget.max_samples``."""
    user_path: bool = False
    """A path the user writes: ``~`` is expanded."""

    @property
    def owner(self) -> type:
        """The dataclass that has the field."""
        owner: type = ServerConfig
        for name in self.path.split(".")[:-1]:
            owner = _field_types(owner)[name]
        return owner

    @property
    def name(self) -> str:
        """The field's name in its owner."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def type(self) -> Any:
        """The field's type."""
        return _field_types(self.owner)[self.name]

    @property
    def default(self) -> Any:
        """The field's default (an engine default, never repeated here)."""
        spec = next(f for f in dataclasses.fields(self.owner) if f.name == self.name)
        if spec.default is not dataclasses.MISSING:
            return spec.default
        assert spec.default_factory is not dataclasses.MISSING
        return spec.default_factory()

    def get(self, config: ServerConfig) -> Any:
        """The value in ``config``."""
        value: Any = config
        for name in self.path.split("."):
            value = getattr(value, name)
        return value


SETTINGS: tuple[Setting, ...] = (
    Setting("backend", "settings.model.backend"),
    Setting("modelPath", "settings.model.model_path", user_path=True),
    Setting("modelName", "settings.model.model_name"),
    Setting("device", "settings.model.device"),
    Setting("baseUrl", "settings.model.base_url"),
    Setting("apiKeyEnv", "settings.model.api_key_env"),
    Setting("requestTimeout", "settings.model.request_timeout"),
    Setting("escalationTiers", "settings.model.escalation_tiers"),
    Setting("escalate", "settings.model.escalate"),
    Setting("gpuLayers", "settings.model.gpu_layers"),
    Setting("cpuSafe", "settings.model.cpu_safe"),
    Setting("modelHost", "settings.model.host"),
    Setting("maxSamples", "settings.budget.max_samples"),
    Setting("maxTokens", "settings.budget.max_tokens"),
    Setting("maxSeconds", "settings.budget.max_seconds"),
    Setting("wallSeconds", "settings.sandbox.wall_seconds"),
    Setting("memoryMb", "settings.sandbox.memory_mb"),
    Setting("unsafeSandbox", "settings.sandbox.allow_unsafe"),
    Setting("projectPython", "settings.python", user_path=True),
    Setting("storePath", "settings.store_path", user_path=True),
    Setting("offerUnverified", "settings.offer_unverified"),
    Setting("idleUnloadSeconds", "idle_unload_seconds"),
    Setting("showFirstPass", "show_first_pass"),
)
"""Every key the server reads, in the order the editors list them."""

BY_KEY = {setting.key: setting for setting in SETTINGS}


@cache
def _field_types(owner: type) -> dict[str, Any]:
    return typing.get_type_hints(owner)


# -- structuring ------------------------------------------------------------------------------------


class SettingError(ValueError):
    """A value that does not fit its setting; the message completes "setting ncpu.KEY ..."."""


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise SettingError(f"expected true or false, got {value!r}")
    return value


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError(f"expected an integer, got {value!r}")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"expected a number, got {value!r}")
    return float(value)


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise SettingError(f"expected a string, got {value!r}")
    return value.strip()


def _path(value: Any, _: type) -> Path:
    return Path(_strict_str(value, str))


def _strings(value: Any, _: type) -> tuple[str, ...]:
    """A list of strings; one string is a list of one."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
        raise SettingError(f"expected a string or a list of strings, got {value!r}")
    return tuple(item.strip() for item in items)


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(Path, _path)
    converter.register_structure_hook_func(lambda kind: kind == tuple[str, ...], _strings)
    return converter


CONVERTER = _converter()


def _optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)


def structure_value(setting: Setting, value: Any) -> Any:
    """The typed value of one key; raises ``SettingError`` saying what is wrong with it."""
    kind = setting.type
    if value is None or (isinstance(value, str) and not value.strip()):
        if _optional(kind):
            return None
        if kind == tuple[str, ...]:
            return ()
        raise SettingError("must not be empty")
    try:
        typed = CONVERTER.structure(value, kind)
    except cattrs.errors.BaseValidationError as exc:  # a union: the innermost reason is the one to show
        reasons = [str(error) for error in exc.exceptions if isinstance(error, SettingError)]
        raise SettingError(reasons[0] if reasons else str(exc)) from None
    if setting.user_path and typed is not None:
        typed = type(typed)(Path(str(typed)).expanduser())
    problem = check_value(setting.owner, setting.name, typed)
    if problem is not None:
        raise SettingError(problem)
    return typed


def _with(obj: Any, path: list[str], value: Any) -> Any:
    head, *rest = path
    return dataclasses.replace(obj, **{head: _with(getattr(obj, head), rest, value) if rest else value})


def section_of(raw: Any) -> Any:
    """The ``ncpu`` section of what a client sent: the section itself, or an object holding it."""
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        return raw[SECTION]
    return raw


def parse_config(raw: Any) -> tuple[ServerConfig, list[str]]:
    """The config for client settings (the ``ncpu`` section, or an object holding it) and one message per bad key.

    A section is the whole of the user's settings: keys left out take their defaults.
    """
    config = ServerConfig()
    raw = section_of(raw)
    if raw is None:
        return config, []
    if not isinstance(raw, dict):
        return config, [f"ncpu settings must be an object, got {type(raw).__name__}; using defaults"]
    problems: list[str] = []
    for key, value in raw.items():
        setting = BY_KEY.get(key)
        if setting is None:
            problems.append(f"unknown setting ncpu.{key} ignored")
            continue
        try:
            typed = structure_value(setting, value)
        except SettingError as exc:
            problems.append(f"setting ncpu.{key} {exc}; using the default")
            continue
        config = _with(config, setting.path.split("."), typed)
    return config, problems


__all__ = [
    "BY_KEY",
    "SECTION",
    "SETTINGS",
    "ServerConfig",
    "Setting",
    "SettingError",
    "parse_config",
    "section_of",
    "structure_value",
]
