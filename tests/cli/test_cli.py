from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ncpu.cli.main import main
from ncpu.cli.user import stub_source

STUB = '''def mul(a, b):
    """Multiply.

    >>> mul(2, 3)
    6
    """
    pass


def nothing(x):
    """No examples here."""
'''


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"mul": ["def mul(a, b):\n    return a * b\n"], "*": ["def f():\n    return 1\n"]}))
    return path


def _args(script: Path, store: Path) -> list[str]:
    return ["--backend", "fake", "--model", str(script), "--store", str(store), "--layers", "store,greedy"]


def test_solve_prints_a_diff_and_exits_1_when_some_stub_is_unsolved(
    tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mod.py"
    target.write_text(STUB)
    code = main(["solve", str(target), *_args(script, tmp_path / "store"), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "+    # ncpu: verified (greedy, 1/1 checks passed; 3 of 3 passing candidates agree on" in out
        and "+    return a * b" in out
    )
    assert target.read_text() == STUB
    report = json.loads((tmp_path / "r.json").read_text())
    assert {s["function"]: s["status"] for s in report["stubs"]} == {"mul": "verified", "nothing": "no_checks"}


def test_write_replaces_the_file_and_a_second_run_uses_the_store(tmp_path: Path, script: Path) -> None:
    target = tmp_path / "mod.py"
    target.write_text(STUB.split("\n\n\n")[0] + "\n")
    assert main(["solve", str(target), "--write", *_args(script, tmp_path / "store")]) == 0
    assert "return a * b" in target.read_text()
    target.write_text(STUB.split("\n\n\n")[0] + "\n")
    report = tmp_path / "r.json"
    assert main(["solve", str(target), *_args(script, tmp_path / "store"), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["stubs"][0]["layer"] == "store"


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(tmp_path / "missing.py")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["solve", str(tmp_path), "--model", str(tmp_path / "none.gguf")]) == 2
    assert "model file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["solve"])
    assert exit_info.value.code == 2
    assert main(["solve", str(tmp_path), "--layers", "greedy,magic"]) == 2
    assert "unknown layer" in capsys.readouterr().err


def test_binary_file_is_reported_and_skipped(tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blob.py").write_bytes(b"\x00\xff\xfe binary")
    (tmp_path / "ok.py").write_text(STUB.split("\n\n\n")[0] + "\n")
    code = main(["solve", str(tmp_path), *_args(script, tmp_path / "store")])
    captured = capsys.readouterr()
    assert code == 1 and "blob.py" in captured.err and "Traceback" not in captured.err
    assert "return a * b" in captured.out


def test_user_prompt_on_one_line_becomes_a_stub() -> None:
    source = stub_source('def add(a, b): """Return the sum.""" add(1, 2) -> 3')
    assert source.startswith("def add(a, b):\n")
    assert "Return the sum." in source and "add(1, 2) -> 3" in source
    compile(source, "<prompt>", "exec")


def test_user_command_end_to_end(tmp_path: Path, script: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ncpu", "user", *_args(script, tmp_path / "store")],
        input='def mul(a, b): """Multiply.""" mul(2, 3) -> 6',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "return a * b" in result.stdout and "verified by greedy" in result.stderr


def test_store_stats_and_rebuild(tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "mod.py"
    target.write_text(STUB)
    main(["solve", str(target), *_args(script, tmp_path / "store")])
    capsys.readouterr()
    assert main(["store", "stats", "--store", str(tmp_path / "store")]) == 0
    assert "greedy" in capsys.readouterr().out
    assert main(["store", "rebuild", "--store", str(tmp_path / "store")]) == 0
    assert "1 verified" in capsys.readouterr().err


def test_escalate_to_repeated_builds_a_ladder_in_the_given_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ncpu.cli.main import build_parser
    from ncpu.cli.options import settings_from_args

    middle, large = tmp_path / "middle.gguf", tmp_path / "large.gguf"
    middle.write_bytes(b"GGUF")
    large.write_bytes(b"GGUF")
    args = build_parser().parse_args(
        ["solve", str(tmp_path), "--escalation-tier", str(middle), "--escalate-to", str(large)]
    )
    assert settings_from_args(args).model.escalation_tiers == (str(middle), str(large))
    assert main(["solve", str(tmp_path), "--escalate-to", str(middle), "--escalate-to", str(tmp_path / "no.gguf")]) == 2
    assert "escalation model file not found" in capsys.readouterr().err


def test_server_settings_take_a_ladder_or_one_tier() -> None:
    from server.config import parse_config

    config, problems = parse_config({"escalationTiers": ["~/m/middle.gguf", "/m/large.gguf"]})
    assert problems == []
    assert config.to_settings().model.escalation_tiers == ("~/m/middle.gguf", "/m/large.gguf")
    config, _ = parse_config({"escalationTiers": "openai:qwen2.5-coder-32b"})
    assert config.to_settings().model.escalation_tiers == ("openai:qwen2.5-coder-32b",)
    config, problems = parse_config({"escalationTiers": ["/m/large.gguf", 3]})
    assert config.to_settings().model.escalation_tiers == ()
    assert problems == [
        "setting ncpu.escalationTiers expected a string or a list of strings, got ['/m/large.gguf', 3]; using the default"
    ]
    _, problems = parse_config({"escalationPath": "/m/large.gguf"})
    assert problems == ["unknown setting ncpu.escalationPath ignored"]


def test_budget_in_one_option_with_the_max_options_overriding_its_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ncpu.cli.main import build_parser
    from ncpu.cli.options import settings_from_args

    args = build_parser().parse_args(
        ["solve", str(tmp_path), "--budget", "samples=8, seconds=30", "--max-seconds", "9"]
    )
    budget = settings_from_args(args).budget
    assert (budget.max_samples, budget.max_seconds) == (8, 9.0)
    for bad in ("samples=many", "coins=3", "samples=0", "samples"):
        assert main(["solve", str(tmp_path), "--budget", bad]) == 2
        err = capsys.readouterr().err
        assert "--budget" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--max-samples", "0"], "--max-samples must be positive, got 0"),
        (["--max-seconds", "-1"], "--max-seconds must be positive, got -1.0"),
        (["--threads", "0"], "--threads must be positive, got 0"),
        (["--concurrency", "0"], "--concurrency must be positive, got 0"),
        (["--budget", "tokens=0"], "--budget tokens must be positive, got 0"),
    ],
)
def test_bounds_come_from_the_settings_and_say_which_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    assert main(["solve", str(tmp_path), *option]) == 2
    assert capsys.readouterr().err.strip() == f"ncpu: {message}"


def test_an_unconfirmed_body_is_written_only_when_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # best-of-N's fourth sample is the first to pass, and agreement's samples (the last body, again) fail.
    wrong = [f"def mul(a, b):\n    return a * b + {n}\n" for n in range(1, 5)]
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"mul": [*wrong[:3], "def mul(a, b):\n    return a * b\n", wrong[3]]}))
    target = tmp_path / "mod.py"
    stub = STUB.split("\n\n\n")[0] + "\n"
    target.write_text(stub)
    options = ["--backend", "fake", "--model", str(script), "--layers", "store,best_of_n", "--write"]
    report = tmp_path / "r.json"
    code = main(["solve", str(target), *options, "--store", str(tmp_path / "s1"), "--json", str(report)])
    assert code == 1 and target.read_text() == stub
    said = capsys.readouterr().err
    assert "unconfirmed (best_of_n): 1 of 1 checks passed, but none of the" in said and "--accept-unconfirmed" in said
    assert json.loads(report.read_text())["stubs"][0]["status"] == "unconfirmed"
    code = main(["solve", str(target), *options, "--store", str(tmp_path / "s2"), "--accept-unconfirmed"])
    written = target.read_text()
    assert code == 1 and "# ncpu: UNCONFIRMED (best_of_n, 1/1 checks passed; " in written
    assert "return a * b\n" in written
