"""What the CPU can do, read from the OS: the features that decide which llama.cpp kernels are safe here.

On Linux the kernel's own list (``/proc/cpuinfo`` ``flags`` on x86, ``Features`` on ARM) is read; on
macOS ``sysctl``. Nothing here executes a CPU instruction to probe for it.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

_AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16"})


@dataclass(frozen=True, slots=True)
class CpuFeatures:
    """The features ncpu cares about, and the CPU's name."""

    machine: str
    """``x86_64``, ``aarch64``, ``arm64``..."""
    model: str
    """The CPU's marketing name, or ``""`` when the OS does not say."""
    flags: frozenset[str]

    @property
    def avx2(self) -> bool:
        """AVX2 (x86)."""
        return "avx2" in self.flags

    @property
    def avx512(self) -> bool:
        """AVX-512 Foundation (x86)."""
        return "avx512f" in self.flags

    @property
    def amx(self) -> bool:
        """Intel AMX tiles (Sapphire Rapids and later): llama.cpp's AMX buffer type crashes on Q4_K_M."""
        return bool(self.flags & _AMX_FLAGS)

    def summary(self) -> str:
        """One line: ``x86_64, AVX2, AVX-512, AMX (Intel(R) Xeon(R) ...)``."""
        named = [
            name for name, present in (("AVX2", self.avx2), ("AVX-512", self.avx512), ("AMX", self.amx)) if present
        ]
        if "neon" in self.flags or "asimd" in self.flags:
            named.append("NEON")
        text = ", ".join([self.machine, *named])
        return f"{text} ({self.model})" if self.model else text


def parse_cpuinfo(text: str, machine: str) -> CpuFeatures:
    """Features from the text of ``/proc/cpuinfo`` (the first processor's entry is enough)."""
    flags: frozenset[str] = frozenset()
    model = ""
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            continue
        key = key.strip().lower()
        if key in ("flags", "features") and not flags:
            flags = frozenset(value.split())
        elif key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
    return CpuFeatures(machine=machine, model=model, flags=flags)


def _darwin(machine: str) -> CpuFeatures:
    def sysctl(name: str) -> str:
        try:
            return subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    flags = set(sysctl("machdep.cpu.features").lower().split()) | set(
        sysctl("machdep.cpu.leaf7_features").lower().split()
    )
    if machine == "arm64":
        flags.add("neon")
    return CpuFeatures(machine=machine, model=sysctl("machdep.cpu.brand_string"), flags=frozenset(flags))


@functools.cache
def cpu_features() -> CpuFeatures:
    """The CPU of this machine (cached: it does not change while we run)."""
    machine = platform.machine() or "unknown"
    if platform.system() == "Darwin":
        return _darwin(machine)
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuFeatures(machine=machine, model="", flags=frozenset())
    return parse_cpuinfo(text, machine)
