"""CPU feature detection and the llama.cpp load mode it decides (no model loaded)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ncpu.backends import amx_guard, cpu_features, llama_cpp
from ncpu.config import ModelSettings

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse sse2 avx avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8
"""
EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu sse sse2 avx avx2 avx512f avx512_vnni avx512_bf16
"""
GRAVITON = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid sve
CPU implementer\t: 0x41
"""


def test_intel_with_amx() -> None:
    cpu = cpu_features.parse_cpuinfo(SAPPHIRE_RAPIDS, "x86_64")
    assert (cpu.avx2, cpu.avx512, cpu.amx) == (True, True, True)
    assert cpu.summary() == "x86_64, AVX2, AVX-512, AMX (Intel(R) Xeon(R) Platinum 8480+)"


def test_amd_without_amx() -> None:
    cpu = cpu_features.parse_cpuinfo(EPYC, "x86_64")
    assert (cpu.avx2, cpu.avx512, cpu.amx) == (True, True, False)


def test_arm_features_line() -> None:
    cpu = cpu_features.parse_cpuinfo(GRAVITON, "aarch64")
    assert not cpu.amx and not cpu.avx2
    assert cpu.summary() == "aarch64, NEON"


def test_unreadable_cpuinfo_means_no_features() -> None:
    cpu = cpu_features.parse_cpuinfo("", "riscv64")
    assert cpu.flags == frozenset() and cpu.summary() == "riscv64"


@pytest.fixture
def cpu(monkeypatch: pytest.MonkeyPatch):
    def use(text: str, refused: bool = False) -> None:
        monkeypatch.setattr(cpu_features, "cpu_features", lambda: cpu_features.parse_cpuinfo(text, "x86_64"))
        monkeypatch.setattr(amx_guard, "refused", lambda: refused)

    return use


def test_load_mode_without_amx_keeps_every_layout(cpu) -> None:
    cpu(EPYC)
    assert llama_cpp.load_mode(ModelSettings()) == llama_cpp.LoadMode(extra_buffers=True, summary="default")


def test_load_mode_on_amx_in_a_model_host_turns_only_amx_off(cpu) -> None:
    cpu(SAPPHIRE_RAPIDS, refused=True)
    assert llama_cpp.load_mode(ModelSettings()) == llama_cpp.LoadMode(extra_buffers=True, summary="AMX off")


def test_load_mode_on_amx_in_process_drops_the_extra_buffers(cpu) -> None:
    cpu(SAPPHIRE_RAPIDS, refused=False)
    assert llama_cpp.load_mode(ModelSettings()).extra_buffers is False


@pytest.mark.parametrize("text", [EPYC, SAPPHIRE_RAPIDS])
def test_cpu_safe_forces_the_safe_path_anywhere(cpu, text: str) -> None:
    cpu(text, refused=True)
    assert llama_cpp.load_mode(ModelSettings(cpu_safe=True)) == llama_cpp.LoadMode(False, "CPU-safe")


def test_gpu_layers_default_follows_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpp, "gpu_offload_supported", lambda: True)
    assert llama_cpp.gpu_layers(None) == -1
    assert llama_cpp.gpu_layers(12) == 12
    monkeypatch.setattr(llama_cpp, "gpu_offload_supported", lambda: False)
    assert llama_cpp.gpu_layers(None) == 0
    assert llama_cpp.gpu_layers(0) == 0


def test_gpu_layers_and_safe_mode_reach_llama_model_params(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The parameter path without a GPU: what ``Llama()`` is given, and the model params it builds."""
    seen: dict[str, object] = {}

    class FakeLlama:
        def __init__(self, **kwargs: object) -> None:
            import llama_cpp.llama_cpp as raw

            seen.update(kwargs)
            seen["use_extra_bufts"] = raw.llama_model_default_params().use_extra_bufts
            raise ValueError("stop here")

    import llama_cpp as package

    monkeypatch.setattr(package, "Llama", FakeLlama)
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(llama_cpp.BackendError, match="stop here"):
        llama_cpp.LlamaCppBackend(model, ModelSettings(gpu_layers=7, cpu_safe=True))
    assert seen["n_gpu_layers"] == 7 and seen["use_extra_bufts"] is False
    import llama_cpp.llama_cpp as raw

    assert raw.llama_model_default_params().use_extra_bufts is True  # restored after the load


@pytest.mark.skipif(not amx_guard.supported(), reason="Linux on x86-64 only")
def test_refusing_amx_fails_only_that_call() -> None:
    """In a process of its own (a seccomp filter cannot be removed): AMX is refused, the rest still works."""
    script = textwrap.dedent(
        """
        import subprocess, threading
        from ncpu.backends import amx_guard
        assert amx_guard.refuse_amx() is None
        assert amx_guard.refused()
        assert not amx_guard.amx_permitted()
        results = []
        thread = threading.Thread(target=lambda: results.append(not amx_guard.amx_permitted()))
        thread.start(); thread.join()
        assert results == [True]
        assert subprocess.run([__import__("sys").executable, "-c", "pass"]).returncode == 0
        print("ok")
        """
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert answer.stdout.strip() == "ok", answer.stderr
