"""Part 5's checks: the student's training code, run in the child on the student's own parts.

Every task of Parts 1–4 of the workspace is plugged in for the whole child
before the Part 5 file is imported (child.py), so that even
``from tinygrad_edu.optim import SGD`` gets the student's SGD. Task 5.1 must
print the slides' numbers. Task 5.2 must train the model its docstring asks
for, as the reference trains it: the same parameter shapes, one step an epoch,
and after 200 epochs the same parameters (the same seed makes the same
initial weights); then the test predictions within one flower.

When a Part 5 task fails on the student's parts, ``grading.py`` finds the
earlier task that makes it fail by running it again with the reference's
parts, then with one of the student's parts at a time.
"""

from __future__ import annotations

import functools

import numpy as np

from ..datasets import iris_split
from ..lecture import iris
from .examples import text
from .runner import Child
from .toolkit import Mismatch, check_slide_values, close

SEED = 0  # train-iris's default seed, which the tour's figures use
PARAMETER_RTOL, PARAMETER_ATOL = 1e-3, 1e-4  # 200 float32 epochs of equivalent formulas stay well inside
SLIDE_STEP = ("loss.bce", "sgd.0.weight.0", "sgd.0.weight.1", "sgd.0.bias", "sgd.1.weight.0", "sgd.1.bias")
ASKED = ("Linear(4, hidden) → Tanh → Linear(hidden, 3) made right after manual_seed(seed), nn.CrossEntropyLoss, "
         "optim.SGD(lr, momentum), one full-batch step an epoch")


def check_slide_sgd_step(child: Child) -> None:
    got = child.call("slide_sgd_step")
    values = {"loss.bce": [float(np.asarray(got["loss"]).reshape(-1)[0])] if np.size(got["loss"]) else []}
    for name, array in got["state"].items():
        array = np.asarray(array)
        if array.ndim == 2:
            values.update({f"sgd.{name}.{i}": row.tolist() for i, row in enumerate(array)})
        else:
            values[f"sgd.{name}"] = array.reshape(-1).tolist()
    check_slide_values(SLIDE_STEP, values, "slide_sgd_step on the slides' 2-2-1 network, x = [1, 2], y = [0], "
                                           "lr 0.1, on your parts")


@functools.cache
def reference_training() -> tuple[list[np.ndarray], np.ndarray, int]:
    result = iris.train_iris(seed=SEED)
    return [p.data.copy() for p in result.model.parameters()], result.test_predictions, result.correct


def check_train_iris(child: Child) -> None:
    got = child.call("train_iris", seed=SEED)
    parameters, predictions, correct = reference_training()
    where = f"train_iris({SEED}) on your parts"
    if not got["optimizers"]:
        raise Mismatch("train_iris made no optim.SGD", where, ASKED, "no optim.SGD")
    shapes, expected_shapes = [np.shape(p) for p in got["parameters"]], [p.shape for p in parameters]
    if shapes != expected_shapes:
        raise Mismatch("the model's parameters are not those of the MLP the docstring asks for", where,
                       f"parameter shapes {expected_shapes} ({ASKED})", f"parameter shapes {shapes}")
    if got["steps"] != iris.EPOCHS:
        raise Mismatch("train_iris does not take one optimizer step an epoch", where, f"{iris.EPOCHS} steps",
                       f"{got['steps']} steps")
    for number, (want, have) in enumerate(zip(parameters, got["parameters"], strict=True)):
        if not close(want, have, PARAMETER_RTOL, PARAMETER_ATOL):
            raise Mismatch(f"after training, parameter {number} (in model.parameters() order) differs from the "
                           f"reference's (rtol {PARAMETER_RTOL:g}): same seed, same data, so the same model, loss "
                           f"and optimizer must end in the same place", where, ASKED,
                           f"largest difference {float(np.max(np.abs(np.asarray(have) - want))):.3g}")
    y_test = iris_split(seed=SEED)[3]
    got_predictions = np.asarray(got["predictions"])
    if got_predictions.shape != y_test.shape:
        raise Mismatch(f"the predictions have shape {got_predictions.shape}, not one per test flower {y_test.shape}",
                       where, f"shape {y_test.shape}", text(got_predictions))
    right = int((got_predictions == y_test).sum())
    if abs(right - correct) > 1:
        raise Mismatch("test accuracy is more than one flower away from the reference's", where,
                       f"{correct}/{len(y_test)} correct (±1); the reference predicts {text(predictions)}",
                       f"{right}/{len(y_test)} correct")


CHECKS = {"5.1": check_slide_sgd_step, "5.2": check_train_iris}
