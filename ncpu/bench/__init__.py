"""``ncpu bench``: HumanEval and HumanEval+ through the same cascade the editor uses."""
