"""The part-1 example scripts print exactly their golden files.

Each script runs as a teacher would run it, in a fresh interpreter. The golden
files were written by running the scripts (``UPDATE_GOLDEN=1 pytest
tests/test_mlp_examples.py``) and then checked by hand against the slides;
their numbers are also asserted from the code in test_mlp_slides.py.
"""

import os

import pytest
from support import ROOT, golden, run_example

EXAMPLES = ["mlp_summary", "mlp_forward", "mlp_activations", "mlp_losses", "mlp_sgd_step"]


def example_output(name: str) -> str:
    completed = run_example(name, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_prints_its_golden_file(name):
    output = example_output(name)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        (ROOT / "tests" / "golden" / f"{name}.txt").write_text(output, encoding="utf-8")
    assert output == golden(name)


def test_sgd_step_example_prints_the_slides_numbers_after_the_step():
    after = example_output("mlp_sgd_step").split("\n\n")[1]
    for number in ["0.0946", "0.0891", "0.0782", "0.0455"]:
        assert number in after
