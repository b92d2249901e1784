"""benchmarks/compare_trees.py runs (its figures are for benchmarks/README.md, not asserted here)."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT

SCRIPT = ROOT / "benchmarks" / "compare_trees.py"


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=300)


def test_two_copies_of_this_tree_are_timed_in_turn_and_paired():
    result = run(str(ROOT), str(ROOT), "--rounds", "2", "--steps", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "iris_scale, 2 rounds of 2 steps, alternated in one process"
    assert lines[1].lstrip().startswith("before median") and lines[2].lstrip().startswith("after  median")
    assert lines[3].startswith("  after / before, paired: ")


def test_a_folder_without_the_package_is_a_usage_error(tmp_path):
    result = run(str(tmp_path), str(ROOT))
    assert result.returncode == 2 and "holds no tinygrad_edu package" in result.stderr
    assert "Traceback" not in result.stderr
