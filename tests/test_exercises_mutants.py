"""Mutation testing of the graders: mechanical mutants of the solutions must be rejected.

A sample runs in the normal suite (test_exercises_hostile.py grades every cheat); the full run
(about 200 mutants and 50 cheats) is ``python tests/exercise_mutants.py``, which CI's full stage
runs: it fails when more than 5% survive, a survivor is not listed, with why it survives, in
docs/exercises.md, or a cheat passes.
"""

from pathlib import Path

import pytest
from exercise_mutants import grade_mutant, listed_in_docs, mutants

from tinygrad_edu.course import runner, workspace

ALL = mutants()
SAMPLE = ALL[::25]


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("mutants") / "solved"
    workspace.start(directory, solutions=True)
    return directory


@pytest.fixture(scope="module")
def start_with():
    server = runner.launcher()
    yield server
    server.close()


def test_there_are_mutants_of_every_task_that_computes_something():
    tasks = {mutant.task for mutant in ALL}
    assert {"1.1", "1.12", "2.2", "3.1", "3.3", "4.3", "4.5", "5.1"} <= tasks
    assert len(ALL) > 150


@pytest.mark.parametrize("mutant", SAMPLE, ids=[m.description for m in SAMPLE])
def test_a_sampled_mutant_is_rejected(solved, mutant, start_with):
    status = grade_mutant(mutant, solved, start_with)
    assert status != "passed" or listed_in_docs(mutant), f"Task {mutant.task} passed with {mutant.description}"
