"""Part 3's checks: the losses' values (at the clamp and at logits of ±1000 too) and gradients.

Binary cross-entropy is checked at predictions of exactly 0 and 1 (where only
the clamp at −100 keeps the loss finite) for its value, and at 0 < x < 1 for
its gradient. log_softmax and cross-entropy get logits shifted by up to ±1000,
where e^x overflows unless the largest logit is subtracted first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from ..grad_mode import no_grad
from ..nn import functional
from ..value import Value
from .checks_derivatives import EXAMPLES, check_backward_slide, judge_gradients, operation_question
from .examples import OPERATIONS
from .runner import Child
from .strategies import Case, Example, arrays, floats, logits
from .toolkit import Question, check_slide_values, expect_close, search

SHAPES = (((3,),), ((),), ((2, 2),))


def targets(shapes: tuple) -> st.SearchStrategy:
    return st.fixed_dictionaries({"y": arrays(shapes[0], floats(0, 1))})


BCE_AT_EDGES = Case("BinaryCrossEntropy", ("x",), SHAPES, (st.one_of(st.sampled_from((0.0, 1.0)), floats(0.05, 0.95)),),
                    targets)
BCE_INSIDE = Case("BinaryCrossEntropy", ("x",), SHAPES, (floats(0.05, 0.95),), targets)


def judge_loss_value(example: Example, got: dict) -> None:
    with no_grad():
        expected = OPERATIONS["BinaryCrossEntropy"]([Value(example.inputs[0])], example.settings).data
    expect_close("the loss differs from the reference (rtol 1e-6); is each ln clamped at −100?", example, expected,
                 got["output"], label="loss")


LOSS_VALUE = Question(lambda example: ("operation_value", {"name": "BinaryCrossEntropy", "inputs": list(example.inputs),
                                                          "settings": example.settings}), judge_loss_value)


def check_binary_cross_entropy(child: Child) -> None:
    search(child, BCE_AT_EDGES.examples(), LOSS_VALUE, str, EXAMPLES)
    search(child, BCE_INSIDE.examples(), operation_question(BCE_INSIDE), str, EXAMPLES)
    values = child.call("slide", which="losses")["values"]
    check_slide_values(("loss.bce",), values, "the loss slide's BCELoss(y_pred, 0) with your BinaryCrossEntropy")
    check_backward_slide(child, "your BinaryCrossEntropy")


# ---------------------------------------------------------------- log_softmax and cross_entropy

LOGIT_SHAPES = (((3,),), ((2, 3),), ((1, 2),))


def axes(shapes: tuple) -> st.SearchStrategy:
    return st.fixed_dictionaries({"axis": st.sampled_from((-1, 0) if len(shapes[0]) == 2 else (-1,))})


def classes(shapes: tuple) -> st.SearchStrategy:
    shape = shapes[0]
    target = st.integers(0, shape[-1] - 1)
    if len(shape) == 1:
        return st.fixed_dictionaries({"target": target.map(np.array)})
    return st.fixed_dictionaries({"target": st.lists(target, min_size=shape[0], max_size=shape[0]).map(np.array)})


def reference_log_softmax(values: list, settings: dict) -> Value:
    return values[0].log_softmax(settings["axis"])


def reference_cross_entropy(values: list, settings: dict) -> Value:
    return functional.cross_entropy(values[0], np.asarray(settings["target"]))


def output_shape(reference: Callable) -> Callable:
    def shape(inputs: tuple, settings: dict) -> tuple:
        with no_grad():
            return reference([Value(a) for a in inputs], settings).shape
    return shape


def with_logits(case: Case, reference: Callable) -> st.SearchStrategy:
    """The case's examples with the input replaced by shifted logits of the same shape."""
    @st.composite
    def draw_example(draw):
        example = draw(case.examples(output_shape(reference)))
        example.inputs = (draw(logits(example.inputs[0].shape)),)
        return example
    return draw_example()


def function_check(case: Case, reference: Callable) -> Callable[[Child], None]:
    question = Question(lambda example: ("function_gradients", {"inputs": list(example.inputs),
                                                                "settings": example.settings, "seed": example.seed}),
                        lambda example, got: judge_gradients(reference, example, got, traced=False))

    def check(child: Child) -> None:
        search(child, with_logits(case, reference), question, str, EXAMPLES)
    return check


LOG_SOFTMAX = Case("log_softmax", ("x",), LOGIT_SHAPES, (st.just(0.0),), axes)
CROSS_ENTROPY = Case("cross_entropy", ("logits",), LOGIT_SHAPES, (st.just(0.0),), classes)
check_log_softmax = function_check(LOG_SOFTMAX, reference_log_softmax)
check_cross_entropy_gradients = function_check(CROSS_ENTROPY, reference_cross_entropy)


def check_cross_entropy(child: Child) -> None:
    check_cross_entropy_gradients(child)
    values = child.call("slide", which="losses")["values"]
    check_slide_values(("loss.cross_entropy",), values, "the loss slide's CrossEntropyLoss with your cross_entropy")


CHECKS = {"3.1": check_binary_cross_entropy, "3.2": check_log_softmax, "3.3": check_cross_entropy}
