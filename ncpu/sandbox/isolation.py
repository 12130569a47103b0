"""What isolates candidates on this machine, mechanism by mechanism, and what follows from it.

The worker fills one ``Isolation`` at start-up from what the kernel actually granted (the zygote's
namespaces, and a probe candidate's own view of its seccomp mode, ``no_new_privs`` and capabilities),
and sends it to the caller. ``mode`` says what verification does with it: ``kernel`` (every boundary
is in place), ``refused`` (something is missing and the user has not opted in: every verification
fails with ``refusal``), or ``best-effort`` (missing, but the user opted in with ``--unsafe-sandbox``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Isolation"]

_NAMES = {
    "user_ns": "user namespace",
    "mount_ns": "mount namespace",
    "pid_ns": "PID namespace",
    "net_ns": "network namespace",
    "ipc_ns": "IPC namespace",
    "uts_ns": "UTS namespace",
    "seccomp": "seccomp filter",
    "no_new_privs": "no_new_privs",
    "no_capabilities": "dropped capabilities",
}
OPT_IN = "--unsafe-sandbox (setting ncpu.unsafeSandbox, SandboxLimits.allow_unsafe)"


@dataclass(frozen=True, slots=True)
class Isolation:
    """The kernel mechanisms around every candidate here; one row of ``ncpu doctor``."""

    user_ns: bool = False
    """Candidates run in a user namespace as an unprivileged uid (``nobody`` outside when run as root)."""
    mount_ns: bool = False
    """A root of read-only binds (Python, system libraries) and a private tmpfs; the host's files are absent."""
    pid_ns: bool = False
    """Their own PID namespace: no other process of the host is visible or signallable."""
    net_ns: bool = False
    """Their own network namespace (a loopback interface, down)."""
    ipc_ns: bool = False
    uts_ns: bool = False
    proc: bool = False
    """A fresh ``/proc`` of their PID namespace is mounted (otherwise there is no ``/proc`` at all)."""
    seccomp: bool = False
    """The seccomp filter of ``ncpu.sandbox.seccomp`` is installed in each candidate."""
    no_new_privs: bool = False
    no_capabilities: bool = False
    """No capability in any set, bounding set emptied."""
    network_allowed: bool = False
    """``SandboxLimits.network``: the user let candidates reach the network (no network namespace)."""
    allow_unsafe: bool = False
    """``SandboxLimits.allow_unsafe``: run with what there is when a mechanism is missing."""
    reason: str = ""
    """Why a mechanism is missing, as the OS said it."""

    @property
    def missing(self) -> tuple[str, ...]:
        """The mechanisms that are not in place (the network namespace not counted when the network is allowed)."""
        return tuple(
            name for name in _NAMES if not getattr(self, name) and not (name == "net_ns" and self.network_allowed)
        )

    @property
    def mode(self) -> str:
        """``kernel``, ``refused`` or ``best-effort`` (see the module docstring)."""
        if not self.missing:
            return "kernel"
        return "best-effort" if self.allow_unsafe else "refused"

    @property
    def refusal(self) -> str:
        """The error every verification gets in ``refused`` mode."""
        return (
            f"sandbox refused to run the candidate: {self._lack()}. Candidates would run with best-effort "
            f"isolation only; opt in with {OPT_IN} to run them anyway (see docs/security.md)"
        )

    @property
    def description(self) -> str:
        """One line for logs and ``Sandbox.isolation``; starts with ``none:`` when anything is weaker."""
        present = [_NAMES[name] for name in _NAMES if getattr(self, name)]
        have = f"kernel: {', '.join(present)}" if present else "no kernel isolation"
        if self.mode == "refused":
            return f"none: verification refused ({self._lack()}); opt in with {OPT_IN}"
        if self.mode == "best-effort":
            return f"none: best-effort isolation, opted in ({self._lack()}); {have}"
        if self.network_allowed:
            return f"none: network allowed by the settings; {have}"
        return have

    def _lack(self) -> str:
        text = "missing " + ", ".join(_NAMES[name] for name in self.missing)
        return f"{text}: {self.reason}" if self.reason else text

    def to_wire(self) -> dict[str, Any]:
        """As a plain dict (the worker sends it to the caller)."""
        return asdict(self)

    @classmethod
    def from_wire(cls, item: Any) -> Isolation:
        """Rebuild from ``to_wire``; anything malformed reads as no isolation at all."""
        if not isinstance(item, dict):
            return cls(reason="no description from the sandbox worker")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = item.get(spec.name)
            if spec.name == "reason":
                values[spec.name] = str(value)[:500] if value else ""
            else:
                values[spec.name] = value is True
        return cls(**values)
