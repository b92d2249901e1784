"""The part-1 example scripts print exactly their golden files.

Each script runs as a teacher would run it, in a fresh interpreter. The golden
files were written by running the scripts (``UPDATE_GOLDEN=1 pytest
tests/test_mlp_examples.py``) and then checked by hand against the slides;
their numbers are also asserted from the code in test_mlp_slides.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["mlp_summary", "mlp_forward", "mlp_activations", "mlp_losses", "mlp_sgd_step"]


def run_example(name: str) -> str:
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py")],
                               capture_output=True, text=True, check=True, cwd=ROOT)
    return completed.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_prints_its_golden_file(name):
    golden = ROOT / "tests" / "golden" / f"{name}.txt"
    output = run_example(name)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(output)
    assert output == golden.read_text()


def test_sgd_step_example_prints_the_slides_numbers_after_the_step():
    after = run_example("mlp_sgd_step").split("\n\n")[1]
    for number in ["0.0946", "0.0891", "0.0782", "0.0455"]:
        assert number in after
