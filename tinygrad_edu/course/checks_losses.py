"""Part 3's checks: the losses' values (at the clamp and at logits of ±1000 too) and gradients.

Binary cross-entropy is checked at predictions of exactly 0 and 1 (where only
the clamp at −100 keeps the loss finite) for its value, and at 0 < x < 1 for
its gradient. log_softmax and cross-entropy get logits shifted by up to ±1000,
where e^x overflows unless the largest logit is subtracted first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import ops
from ..autograd import no_grad
from ..lecture import computed
from ..nn import functional
from ..value import Value
from . import plugin
from .checks_derivatives import EXAMPLES, Case, arrays, check_backward_slide, check_gradients, floats
from .grading import check_slide_values, expect_close, search, text

SHAPES = (((3,),), ((),), ((2, 2),))


def targets(shapes: tuple) -> st.SearchStrategy:
    return st.fixed_dictionaries({"y": arrays(shapes[0], floats(0, 1))})


def bce(values: list, settings: dict) -> Value:
    return functional.binary_cross_entropy(values[0], settings["y"])


BCE_AT_EDGES = Case(("x",), SHAPES, (st.one_of(st.sampled_from((0.0, 1.0)), floats(0.05, 0.95)),), bce, targets)
BCE_INSIDE = Case(("x",), SHAPES, (floats(0.05, 0.95),), bce, targets)


def check_binary_cross_entropy(student: type, directory: Any) -> None:
    plugs = [(ops, "BinaryCrossEntropy", student)]

    def value(example) -> None:
        with plugin.plugged(plugs):
            got = bce([Value(example.inputs[0])], example.settings).data
        with no_grad():
            expected = bce([Value(example.inputs[0])], example.settings).data
        expect_close("the loss differs from the reference (rtol 1e-6); is each ln clamped at −100?",
                     f"x = {text(example.inputs[0])}, y = {text(example.settings['y'])}", expected, got)

    search(BCE_AT_EDGES.examples(), value, str, EXAMPLES)
    search(BCE_INSIDE.examples(), lambda example: check_gradients(BCE_INSIDE, example, plugs), str, EXAMPLES)
    with plugin.plugged(plugs):
        values = computed.activation_and_loss_values()
    check_slide_values(("loss.bce",), values, "the loss slide's BCELoss(y_pred, 0) with your BinaryCrossEntropy")
    check_backward_slide(plugs, "your BinaryCrossEntropy")


# ---------------------------------------------------------------- log_softmax and cross_entropy

@st.composite
def logits(draw, shape: tuple) -> np.ndarray:
    """Logits, all shifted by 0 or by a few hundred to a thousand (either sign)."""
    shift = draw(st.sampled_from((0.0, 1000.0, -1000.0, 300.0)))
    return draw(arrays(shape, floats(-5, 5))) + shift


LOGIT_SHAPES = (((3,),), ((2, 3),), ((1, 2),))


def softmax_case(student: Callable) -> Case:
    def axes(shapes: tuple) -> st.SearchStrategy:
        return st.fixed_dictionaries({"axis": st.sampled_from((-1, 0) if len(shapes[0]) == 2 else (-1,))})
    return Case(("x",), LOGIT_SHAPES, (st.just(0.0),), lambda v, s: student(v[0], s["axis"]), axes)


def with_logits(case: Case) -> st.SearchStrategy:
    """The case's examples with the input replaced by shifted logits of the same shape."""
    @st.composite
    def draw_example(draw):
        example = draw(case.examples())
        example.inputs = (draw(logits(example.inputs[0].shape)),)
        return example
    return draw_example()


def check_log_softmax(student: Callable, directory: Any) -> None:
    case = softmax_case(student)
    search(with_logits(case), lambda example: check_gradients(
        case, example, [], reference=lambda v, s: v[0].log_softmax(s["axis"])), str, EXAMPLES)


def cross_entropy_case(student: Callable) -> Case:
    def classes(shapes: tuple) -> st.SearchStrategy:
        shape = shapes[0]
        target = st.integers(0, shape[-1] - 1)
        if len(shape) == 1:
            return st.fixed_dictionaries({"target": target.map(np.array)})
        return st.fixed_dictionaries({"target": st.lists(target, min_size=shape[0], max_size=shape[0]).map(np.array)})
    return Case(("logits",), LOGIT_SHAPES, (st.just(0.0),), lambda v, s: student(v[0], s["target"]), classes)


def check_cross_entropy(student: Callable, directory: Any) -> None:
    case = cross_entropy_case(student)
    reference = plugin.REFERENCE["cross_entropy"]
    search(with_logits(case), lambda example: check_gradients(
        case, example, [], reference=lambda v, s: reference(v[0], s["target"])), str, EXAMPLES)
    with plugin.plugged([(functional, "cross_entropy", plugin.cross_entropy_adapter(student))]):
        values = computed.activation_and_loss_values()
    check_slide_values(("loss.cross_entropy",), values, "the loss slide's CrossEntropyLoss with your cross_entropy")


CHECKS = {"3.1": check_binary_cross_entropy, "3.2": check_log_softmax, "3.3": check_cross_entropy}
