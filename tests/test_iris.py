"""The Iris MLP of part 1's last slide: accuracy over ten seeds, and the example script."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.lecture.iris import format_confusion, train_iris

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "iris_mlp.py"


@pytest.fixture(scope="module")
def ten_seeds():
    return [train_iris(seed=seed) for seed in range(10)]


def test_mean_test_accuracy_over_seeds_0_to_9_is_at_least_95_percent(ten_seeds):
    assert np.mean([result.test_accuracy for result in ten_seeds]) >= 0.95


def test_every_seed_gets_at_least_27_of_30_test_flowers_right(ten_seeds):
    assert [result.correct for result in ten_seeds if result.correct < 27] == []
    assert all(len(result.test_labels) == 30 for result in ten_seeds)


def test_training_lowers_the_loss(ten_seeds):
    assert all(result.losses[-1] < 0.2 * result.losses[0] for result in ten_seeds)


def test_confusion_matrix_counts_every_test_flower_once_with_the_right_ones_on_the_diagonal(ten_seeds):
    for result in ten_seeds:
        matrix = result.confusion_matrix()
        assert matrix.sum() == 30 and np.trace(matrix) == result.correct
        assert matrix.sum(axis=1).tolist() == [10, 10, 10]  # ten test flowers of each species


def test_same_seed_trains_the_same_model():
    first, again = train_iris(seed=3, epochs=20), train_iris(seed=3, epochs=20)
    assert first.losses == again.losses


def test_confusion_table_names_the_species():
    table = format_confusion(train_iris(epochs=5))
    assert [line.split()[0] for line in table.splitlines()] == ["true", "setosa", "versicolor", "virginica"]


def test_the_example_trains_and_prints_the_packages_result():
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    trained = train_iris(seed=0)
    assert f"test accuracy (seed 0): {trained.correct}/30 = {trained.test_accuracy:.4f}" in result.stdout
    assert "(1): Tanh()" in result.stdout and "Linear(in_features=16, out_features=3" in result.stdout
    assert format_confusion(trained) in result.stdout


def test_the_example_refuses_a_bad_seed_in_one_line():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--seed", "abc"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith("argument --seed: not a whole number: 'abc'")
