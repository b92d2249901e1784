"""Part 5's checks: the student's training code, run on the student's own parts.

Every task of Parts 1–4 in the workspace is plugged in at once (see
plugin.plugs_for), and the Part 5 file is imported again inside the plug, so
that even ``from tinygrad_edu.optim import SGD`` gets the student's SGD.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import iris_split
from ..lecture import iris, mlp
from . import plugin, workspace
from .grading import Mismatch, check_slide_values, one_line, text
from .tasks import TASKS

TOUR_SEED = 0  # train-iris's default seed, which the tour's figures use


def student_parts(directory: Path) -> dict[str, Any]:
    """Workspace symbol → the student's object, for every task of Parts 1–4."""
    symbols, modules = {}, {}
    for task in TASKS:
        if task.part < 5:
            if task.filename not in modules:
                try:
                    modules[task.filename] = workspace.load_student_module(directory / task.filename)
                except Exception as error:
                    raise workspace.WorkspaceError(f"uses {task.filename}, which does not import: "
                                                   f"{one_line(error)}") from None
            symbols[task.symbol] = getattr(modules[task.filename], task.symbol)
    return symbols


def run_on_student_parts(directory: Path, symbol: str, *arguments: Any) -> Any:
    """Call the student's Part 5 ``symbol`` with every Part 1–4 task of theirs plugged in."""
    with plugin.plugged(plugin.plugs_for(student_parts(directory))):
        module = workspace.load_student_module(directory / TASKS[-1].filename)
        return getattr(module, symbol)(*arguments)


def check_slide_sgd_step(student: Any, directory: Path) -> None:
    with plugin.plugged(plugin.plugs_for(student_parts(directory))):
        module = workspace.load_student_module(directory / TASKS[-1].filename)
        network = mlp.slide_network()
        loss = module.slide_sgd_step(network.model, network.x, network.target, mlp.LEARNING_RATE)
    values = {"loss.bce": (float(np.asarray(loss.data if hasattr(loss, "data") else loss)),)}
    for name, array in network.model.state_dict().items():
        if array.ndim == 2:
            values.update({f"sgd.{name}.{i}": tuple(row.tolist()) for i, row in enumerate(array)})
        else:
            values[f"sgd.{name}"] = tuple(array.tolist())
    keys = ("loss.bce", "sgd.0.weight.0", "sgd.0.weight.1", "sgd.0.bias", "sgd.1.weight.0", "sgd.1.bias")
    check_slide_values(keys, values, "slide_sgd_step on the slides' 2-2-1 network, x = [1, 2], y = [0], lr 0.1, "
                                     "on your parts")


def check_train_iris(student: Any, directory: Path) -> None:
    reference = iris.train_iris(seed=TOUR_SEED)
    y_test = iris_split(seed=TOUR_SEED)[3]
    predictions = np.asarray(run_on_student_parts(directory, "train_iris", TOUR_SEED))
    where = (f"train_iris({TOUR_SEED}) on your parts; the reference's test predictions: "
             f"{text(reference.test_predictions)}")
    if predictions.shape != y_test.shape:
        raise Mismatch(f"the predictions have shape {predictions.shape}, not one per test flower {y_test.shape}",
                       where, f"shape {y_test.shape}", text(predictions))
    correct = int((predictions == y_test).sum())
    if abs(correct - reference.correct) > 1:
        raise Mismatch("test accuracy is more than one flower away from the reference's", where,
                       f"{reference.correct}/{len(y_test)} correct (±1)", f"{correct}/{len(y_test)} correct")


CHECKS = {"5.1": check_slide_sgd_step, "5.2": check_train_iris}
