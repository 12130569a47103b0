"""Make the end-to-end test's workspace: doctested stubs, a fake-backend script and VS Code settings.

The settings start on the real embedded model (``llama_cpp`` with no model path); the UI test later
switches them to the fake backend to check that a settings change reaches the running server.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

STUB = '''def add(a, b):
    """Add two numbers.

    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    """
    pass
'''
# Two stubs for "Solve all stubs in file".
MORE = '''def mul(a, b):
    """Multiply two numbers.

    >>> mul(2, 3)
    6
    """
    pass


def greet(name):
    """Greet someone.

    >>> greet("Ann")
    'Hello, Ann!'
    """
    pass
'''
# Bodies the real model would hardly write, so the test knows the fake backend produced them. The first
# completion for mul fails the doctests and the second passes: the cascade must verify, not trust.
FAKE_MUL = ["def mul(a, b):\n    return a + b\n", "def mul(a, b):\n    return b * a\n"]
FAKE_GREET = ["def greet(name):\n    return 'Hello, %s!' % name\n"]


def main() -> None:
    """Write the workspace folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--python", required=True, help="interpreter that runs the server (ncpu.python)")
    parser.add_argument("--store", type=Path, required=True, help="a fresh store directory")
    parser.add_argument("--script", type=Path, required=True, help="where to write the fake backend's script")
    args = parser.parse_args()

    root: Path = args.workspace
    (root / ".vscode").mkdir(parents=True, exist_ok=True)
    (root / "stubs.py").write_text(STUB, encoding="utf-8")
    (root / "more.py").write_text(MORE, encoding="utf-8")
    # A short delay per generation keeps the "solving" state on screen long enough to be seen.
    args.script.write_text(json.dumps({"mul": FAKE_MUL, "greet": FAKE_GREET, "__delay__": 0.5}), encoding="utf-8")
    settings = {
        "ncpu.python": args.python,
        "ncpu.backend": "llama_cpp",
        "ncpu.storePath": str(args.store),
        # One model tier: the escalation model is an optional extra and would only slow a failure down.
        "ncpu.escalate": False,
        "ncpu.trace.server": "messages",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "extensions.ignoreRecommendations": True,
        "security.workspace.trust.enabled": False,
        "files.autoSave": "off",
        "editor.formatOnSave": False,
        "telemetry.telemetryLevel": "off",
        "chat.disableAIFeatures": True,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    (root / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
