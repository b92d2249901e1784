"""Mutation testing of the graders: mechanical mutants of the solutions must be rejected.

A sample runs in the normal suite; the full run (about 200 mutants, a few
minutes) runs with TINYGRAD_EDU_ALL_MUTANTS=1, or as ``python tests/exercise_mutants.py``.
Every survivor must be listed in docs/exercises.md, with why it survives.
"""

import os
from pathlib import Path

import pytest
from exercise_mutants import grade_mutant, mutants
from support import ROOT

from tinygrad_edu.course import workspace

ALL = mutants()
SAMPLE = ALL[::25]
DOC = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")


def listed_in_docs(mutant) -> bool:
    """docs/exercises.md lists each surviving mutant by its description after the file name."""
    return mutant.description.partition(" ")[2] in DOC


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("mutants") / "solved"
    workspace.start(directory, solutions=True)
    return directory


def test_there_are_mutants_of_every_task_that_computes_something():
    tasks = {mutant.task for mutant in ALL}
    assert {"1.1", "1.12", "2.2", "3.1", "3.3", "4.3", "4.5", "5.1"} <= tasks
    assert len(ALL) > 150


@pytest.mark.parametrize("mutant", SAMPLE, ids=[m.description for m in SAMPLE])
def test_a_sampled_mutant_is_rejected(solved, mutant):
    status = grade_mutant(mutant, solved)
    assert status != "passed" or listed_in_docs(mutant), f"Task {mutant.task} passed with {mutant.description}"


@pytest.mark.skipif(not os.environ.get("TINYGRAD_EDU_ALL_MUTANTS"),
                    reason="the full mutant run takes minutes: set TINYGRAD_EDU_ALL_MUTANTS=1")
def test_at_least_95_percent_of_all_mutants_are_rejected_and_every_survivor_is_listed(solved):
    survivors = [mutant for mutant in ALL if grade_mutant(mutant, solved) == "passed"]
    assert len(survivors) <= 0.05 * len(ALL), [m.description for m in survivors]
    assert [m.description for m in survivors if not listed_in_docs(m)] == []
