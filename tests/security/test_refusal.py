"""Where the kernel refuses the boundary: verification refuses too, unless the user opted in, and says so."""

from __future__ import annotations

import argparse

import pytest

from extraction.check import Check
from ncpu.cli.options import add_engine_options, settings_from_args
from ncpu.config import SandboxLimits
from ncpu.sandbox import Isolation, Sandbox, probe_isolation
from server.config import parse_config

CHECKS = [Check("doctest", "f(2)", "4")]
GOOD = "def f(x):\n    return 2 * x\n"


@pytest.mark.parametrize(
    ("refused", "missing"),
    [
        ("user_ns", "user namespace"),
        ("seccomp", "seccomp filter"),
        ("user_ns,seccomp", "mount namespace"),
    ],
)
def test_verification_refuses_without_the_boundary(monkeypatch: pytest.MonkeyPatch, refused: str, missing: str) -> None:
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", refused)
    with Sandbox(SandboxLimits(wall_seconds=2.0)) as box:
        details = box.isolation_details
        assert details.mode == "refused" and missing in box.isolation, box.isolation
        assert box.isolation.startswith("none: verification refused")
        verdict = box.verify(GOOD, CHECKS)
        assert not verdict.ok
        assert missing in (verdict.error or "") and "--unsafe-sandbox" in (verdict.error or ""), verdict
        assert box.first_passing([GOOD], CHECKS) is None


def test_best_effort_runs_only_when_opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    with Sandbox(SandboxLimits(wall_seconds=2.0, allow_unsafe=True)) as box:
        details = box.isolation_details
        assert details.mode == "best-effort" and not details.user_ns and not details.mount_ns
        assert details.seccomp and details.no_new_privs  # what there is still applies
        assert box.isolation.startswith("none: best-effort")
        assert box.verify(GOOD, CHECKS).ok
        verdict = box.verify("import os\ndef f(x):\n    return os.fork()\n", CHECKS)
        assert not verdict.ok  # the audit hook and seccomp still refuse a fork


def test_the_kernel_mode_is_described_mechanism_by_mechanism() -> None:
    details = probe_isolation()
    assert isinstance(details, Isolation)
    if details.mode == "kernel":
        assert details.missing == ()
        assert all((details.user_ns, details.mount_ns, details.pid_ns, details.net_ns, details.seccomp))
        assert details.description.startswith("kernel: user namespace, mount namespace")
    else:
        assert details.description.startswith("none:")
    assert Isolation.from_wire(details.to_wire()) == details
    assert Isolation.from_wire("garbage").mode == "refused"


def test_the_opt_in_flows_from_the_cli_and_the_editor_settings() -> None:
    parser = argparse.ArgumentParser()
    add_engine_options(parser)
    assert settings_from_args(parser.parse_args(["--unsafe-sandbox"])).sandbox.allow_unsafe
    assert not settings_from_args(parser.parse_args([])).sandbox.allow_unsafe
    config, problems = parse_config({"unsafeSandbox": True})
    assert problems == [] and config.to_settings().sandbox.allow_unsafe
    assert not parse_config({})[0].to_settings().sandbox.allow_unsafe
    _, problems = parse_config({"unsafeSandbox": "yes"})
    assert problems and "unsafeSandbox" in problems[0]


def test_a_kernel_that_takes_no_filter_steps_down_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidates that cannot install the filter are never run unfiltered: the worker drops it and refuses."""
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "filter")
    with Sandbox(SandboxLimits(wall_seconds=2.0)) as box:
        details = box.isolation_details
        assert details.mode == "refused" and not details.seccomp, details
        assert "could not be sealed (seccomp filter)" in details.reason, details
        assert not box.verify(GOOD, CHECKS).ok
    with Sandbox(SandboxLimits(wall_seconds=2.0, allow_unsafe=True)) as box:
        assert box.isolation_details.mode == "best-effort"
        assert box.isolation_details.user_ns  # the namespaces are kept
        assert box.verify(GOOD, CHECKS).ok


def test_best_effort_still_filters_signals_to_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a PID namespace, kill(-1) would reach every process of the user: the filter refuses it.

    Signal 0 only asks whether the processes exist, so this test harms nothing even if it fails.
    """
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    monkeypatch.setenv("NCPU_SANDBOX_TEST_NO_HOOK", "1")
    program = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def f(x):\n    return [libc.kill(-1, 0), ctypes.get_errno(), libc.kill(-2, 0), ctypes.get_errno()]\n"
    )
    with Sandbox(SandboxLimits(wall_seconds=2.0, allow_unsafe=True)) as box:
        assert box.isolation_details.seccomp
        verdict = box.verify(program, [Check("doctest", "f(0)", "[-1, 1, -1, 1]")])
        assert verdict.ok, verdict  # EPERM from the filter, not 0 (sent) nor ESRCH (no such group)
