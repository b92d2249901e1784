"""Part 1's checks: each backward against central differences and against the reference.

For an operation, hypothesis draws float64 inputs (away from kinks and poles:
relu off 0, log and powers of positive numbers only, divisors off 0) and an
upstream gradient g = dL/dout, so that L = Σ g·out. The student's class is
plugged in as ``ops.<Name>``, ``out.backward(g)`` runs, and each input's
gradient must match the central difference of L at gradcheck's tolerances,
then the reference's at rtol 1e-6. A wrong gradient is reported with the
first step of the reference's trace where it goes wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import ops
from ..autograd import no_grad
from ..lecture import computed
from ..value import Value
from . import plugin
from .grading import (
    FD_ATOL,
    FD_RTOL,
    check_slide_values,
    expect_close,
    first_wrong_step,
    numeric_gradients,
    search,
    text,
)

EXAMPLES = 40
BACKWARD_SLIDE = ("backward.w_h_bias", "backward.w_h_weight_0", "backward.w_h_weight_1", "backward.w_z")


def floats(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def off_zero(low: float, high: float) -> st.SearchStrategy:
    """Numbers with low ≤ |x| ≤ high, of either sign."""
    return st.tuples(st.sampled_from((1.0, -1.0)), floats(low, high)).map(lambda pair: pair[0] * pair[1])


def arrays(shape: tuple, elements: st.SearchStrategy) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


@dataclass
class Example:
    """Inputs (named), the operation's settings, and the upstream gradient."""

    names: tuple[str, ...]
    inputs: tuple[np.ndarray, ...]
    settings: dict
    seed: np.ndarray

    def __str__(self) -> str:
        parts = [f"{name} = {text(array)}" for name, array in zip(self.names, self.inputs, strict=True)]
        parts += [f"{key} = {text(value) if isinstance(value, np.ndarray) else repr(value)}"
                  for key, value in self.settings.items()]
        return ", ".join(parts + [f"upstream dL/dout = {text(self.seed)}"])


@dataclass
class Case:
    """How to draw one operation's examples and build it from Values."""

    names: tuple[str, ...]
    shapes: tuple  # choices of one shape per input, simplest first
    elements: tuple  # one element strategy per input
    build: Callable[..., Value]  # (values, settings) → output
    settings: st.SearchStrategy = st.just({})

    def examples(self) -> st.SearchStrategy:
        @st.composite
        def draw_example(draw):
            shapes = draw(st.sampled_from(self.shapes))
            inputs = tuple(draw(arrays(shape, elements)) for shape, elements in zip(shapes, self.elements,
                                                                                      strict=True))
            settings = draw(self.settings(shapes) if callable(self.settings) else self.settings)
            with no_grad():
                out_shape = self.build([Value(a) for a in inputs], settings).shape
            return Example(self.names, inputs, settings, draw(arrays(out_shape, floats(-2, 2))))
        return draw_example()


def leaves(example: Example) -> list[Value]:
    return [Value(array.copy(), requires_grad=True, name=name)
            for name, array in zip(example.names, example.inputs, strict=True)]


def check_gradients(case: Case, example: Example, plugs: list, reference: Callable[..., Value] | None = None) -> None:
    """The student's output and gradients (``plugs`` in) against the reference's, and against finite differences.

    ``reference`` builds the reference's graph when the student's code is not a
    plugged-in operation but a function of Values (then there is no trace:
    the two graphs differ).
    """
    description = str(example)
    build = case.build if reference is None else reference
    with plugin.plugged(plugs):
        student_inputs = leaves(example)
        student_root = case.build(student_inputs, example.settings)
        student_output = np.array(student_root.data)
        student_root.backward(example.seed)
    reference_inputs = leaves(example)
    reference_root = build(reference_inputs, example.settings)
    expect_close("the output differs from the reference (rtol 1e-6)", description, reference_root.data,
                 student_output)
    reference_root.backward(example.seed)

    def loss(arrays: list) -> float:
        with no_grad():
            return float((example.seed * build([Value(a) for a in arrays], example.settings).data).sum())

    numeric = numeric_gradients(loss, [array.copy() for array in example.inputs])

    def trace() -> list[str]:
        if reference is not None:
            return []
        return first_wrong_step(lambda: case.build(leaves(example), example.settings), example.seed, student_root)

    for name, value, expected in zip(example.names, student_inputs, numeric, strict=True):
        expect_close(f"dL/d{name} disagrees with central finite differences", description, expected, value.grad,
                     FD_RTOL, FD_ATOL, trace)
    for name, value, expected in zip(example.names, student_inputs, reference_inputs, strict=True):
        expect_close(f"dL/d{name} differs from the reference (rtol 1e-6)", description, expected.grad, value.grad,
                     more=trace)


def reduction_settings(shapes: tuple) -> st.SearchStrategy:
    ndim = len(shapes[0])
    return st.fixed_dictionaries({"axis": st.one_of(st.none(), st.integers(-ndim, ndim - 1)),
                                  "keepdims": st.booleans()})


UNARY = ((3,), (), (2, 3))
BROADCAST = (((3,), (3,)), ((), ()), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 1), (1, 3)), ((3,), ()), ((), (2,)))
ANY = floats(-3, 3)

CASES: dict[str, Case] = {
    "Mul": Case(("a", "b"), BROADCAST, (ANY, ANY), lambda v, s: v[0] * v[1]),
    "Div": Case(("a", "b"), BROADCAST, (ANY, off_zero(0.5, 3)), lambda v, s: v[0] / v[1]),
    "Pow": Case(("a", "b"), BROADCAST, (floats(0.5, 2.5), floats(-2, 3)), lambda v, s: v[0] ** v[1]),
    "Exp": Case(("x",), [(s,) for s in UNARY], (ANY,), lambda v, s: v[0].exp()),
    "Log": Case(("x",), [(s,) for s in UNARY], (floats(0.2, 5),), lambda v, s: v[0].log()),
    "Sigmoid": Case(("x",), [(s,) for s in UNARY], (floats(-5, 5),), lambda v, s: v[0].sigmoid()),
    "Tanh": Case(("x",), [(s,) for s in UNARY], (ANY,), lambda v, s: v[0].tanh()),
    "Relu": Case(("x",), [(s,) for s in UNARY], (off_zero(0.1, 3),), lambda v, s: v[0].relu()),
    "MatMul": Case(("a", "b"), (((2, 3), (3, 2)), ((3,), (3, 2)), ((1, 2), (2, 3)), ((4,), (4, 1))), (ANY, ANY),
                   lambda v, s: v[0] @ v[1]),
    "Sum": Case(("x",), (((3,),), ((2, 3),), ((2, 3, 2),)), (ANY,), lambda v, s: v[0].sum(**s), reduction_settings),
    "Mean": Case(("x",), (((3,),), ((2, 3),), ((2, 3, 2),)), (ANY,), lambda v, s: v[0].mean(**s),
                 reduction_settings),
}
SLIDE_TASKS = ("Sigmoid", "MatMul")  # the backward slide's numbers depend on these (and on unbroadcast)


def check_backward_slide(plugs: list, yours: str) -> None:
    """One step of the slides' network, with the student's part plugged in, prints the slide's W_h and W_z."""
    with plugin.plugged(plugs):
        values = computed.forward_backward_values()
    check_slide_values(BACKWARD_SLIDE, values, f"the backward slide (one SGD step of the 2-2-1 network) with {yours}")


def operation_check(name: str) -> Callable[[Any, Any], None]:
    case = CASES[name]

    def check(student: type, directory: Any) -> None:
        if not (isinstance(student, type) and issubclass(student, ops.Function)):
            raise TypeError(f"{name} must be a class derived from ops.{name}, got {type(student).__name__}")
        plugs = [(ops, name, student)]
        search(case.examples(), lambda example: check_gradients(case, example, plugs), str, EXAMPLES)
        if name in SLIDE_TASKS:
            check_backward_slide(plugs, f"your {name}")
    return check


# ---------------------------------------------------------------- unbroadcast

@st.composite
def broadcasts(draw) -> tuple[tuple, np.ndarray]:
    """A shape, and a gradient of a shape it broadcasts to (axes added on the left, 1s stretched)."""
    shape = tuple(draw(st.lists(st.sampled_from((1, 2, 3)), max_size=3)))
    added = tuple(draw(st.lists(st.sampled_from((2, 3)), max_size=2)))
    stretched = tuple(draw(st.sampled_from((1, 2, 3))) if n == 1 else n for n in shape)
    return shape, draw(arrays(added + stretched, floats(-2, 2)))


def describe_broadcast(example: tuple) -> str:
    shape, grad = example
    return f"unbroadcast(grad of shape {grad.shape} = {text(grad)}, shape={shape})"


MUL_BROADCAST = Case(("a", "b"), (((3,), (2, 3)), ((2, 1), (2, 3)), ((1, 3), (2, 1)), ((), (2,))), (ANY, ANY),
                     lambda v, s: v[0] * v[1])


def check_unbroadcast(student: Callable, directory: Any) -> None:
    reference = plugin.REFERENCE["unbroadcast"]

    def direct(example: tuple) -> None:
        shape, grad = example
        expect_close("unbroadcast's result differs from the reference", describe_broadcast(example),
                     reference(grad.copy(), shape), student(grad.copy(), shape))

    search(broadcasts(), direct, describe_broadcast, EXAMPLES)
    plugs = [(ops, "unbroadcast", student)]
    search(MUL_BROADCAST.examples(), lambda example: check_gradients(MUL_BROADCAST, example, plugs), str, EXAMPLES)
    check_backward_slide(plugs, "your unbroadcast")


CHECKS = {
    **{task_id: operation_check(name) for task_id, name in (
        ("1.1", "Mul"), ("1.2", "Div"), ("1.3", "Pow"), ("1.4", "Exp"), ("1.5", "Log"), ("1.6", "Sigmoid"),
        ("1.7", "Tanh"), ("1.8", "Relu"), ("1.9", "MatMul"), ("1.10", "Sum"), ("1.11", "Mean"))},
    "1.12": check_unbroadcast,
}
