"""Part 1's checks: each backward against central differences and against the reference.

For an operation, hypothesis draws float64 inputs (away from kinks and poles)
and a gradient from above g = dL/dout, so that L = Σ g·out. The child runs
``out.backward(g)`` with the student's class as ``ops.<Name>`` and sends back
every gradient; here each one must have its input's shape, match the central
difference of L at gradcheck's tolerances, then the reference's at rtol 1e-6.
A wrong gradient is reported with the first step of the reference's trace
where it goes wrong.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from .. import ops
from ..finite_differences import ATOL, RTOL, central_differences
from ..grad_mode import no_grad
from ..value import Value
from .examples import OPERATIONS, leaves, text
from .runner import Child
from .strategies import Case, Example, arrays, floats, off_zero
from .toolkit import (
    Lazy,
    Question,
    check_slide_values,
    expect_close,
    expect_shape,
    first_wrong_step,
    search,
)

EXAMPLES = 40
BACKWARD_SLIDE = ("backward.w_h_bias", "backward.w_h_weight_0", "backward.w_h_weight_1", "backward.w_z")

UNARY = ((3,), (), (2, 3))
BROADCAST = (((3,), (3,)), ((), ()), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 1), (1, 3)), ((3,), ()), ((), (2,)))
ANY = floats(-3, 3)


def reduction_settings(shapes: tuple) -> st.SearchStrategy:
    ndim = len(shapes[0])
    return st.fixed_dictionaries({"axis": st.one_of(st.none(), st.integers(-ndim, ndim - 1)),
                                  "keepdims": st.booleans()})


def unary(name: str, elements) -> Case:
    return Case(name, ("x",), [(s,) for s in UNARY], (elements,))


CASES: dict[str, Case] = {
    "Mul": Case("Mul", ("a", "b"), BROADCAST, (ANY, ANY)),
    "Div": Case("Div", ("a", "b"), BROADCAST, (ANY, off_zero(0.5, 3))),
    "Pow": Case("Pow", ("a", "b"), BROADCAST, (floats(0.5, 2.5), floats(-2, 3))),
    "Exp": unary("Exp", ANY), "Log": unary("Log", floats(0.2, 5)), "Sigmoid": unary("Sigmoid", floats(-5, 5)),
    "Tanh": unary("Tanh", ANY), "Relu": unary("Relu", off_zero(0.1, 3)),
    "MatMul": Case("MatMul", ("a", "b"), (((2, 3), (3, 2)), ((3,), (3, 2)), ((1, 2), (2, 3)), ((4,), (4, 1))),
                   (ANY, ANY)),
    "Sum": Case("Sum", ("x",), (((3,),), ((2, 3),), ((2, 3, 2),)), (ANY,), reduction_settings),
    "Mean": Case("Mean", ("x",), (((3,),), ((2, 3),), ((2, 3, 2),)), (ANY,), reduction_settings),
}
SLIDE_TASKS = ("Sigmoid", "MatMul")  # the backward slide's numbers depend on these (and on unbroadcast)


def shape_hint(name: str, input_shape: tuple, output_shape: tuple) -> str:
    """Why a gradient's shape can be wrong, for an input broadcast to the output's shape."""
    if input_shape == output_shape:
        return f"dL/d{name} must have {name}'s shape {input_shape}."
    return (f"{name} of shape {input_shape} was broadcast to the output's {output_shape}: sum the gradient back "
            f"over the copies with unbroadcast(g, self.{name}.shape) (Task 1.12), so that it has {name}'s shape.")


def judge_gradients(build: Callable[[list, dict], Value], example: Example, got: dict, traced: bool) -> None:
    """The child's output and gradients (``got``) against the reference's and finite differences.

    ``traced``: the student's graph is the reference's node for node (a plugged-in
    operation), so a wrong gradient can be traced to its first wrong step.
    """
    description = example
    values = leaves(list(example.inputs), list(example.names))
    root = build(values, example.settings)
    expect_close("the output differs from the reference (rtol 1e-6)", description, root.data, got["output"],
                 label="out")
    root.backward(example.seed)

    def loss(arrays: list) -> float:
        with no_grad():
            return float((example.seed * build([Value(a) for a in arrays], example.settings).data).sum())

    arrays = [np.array(a, dtype=np.float64) for a in example.inputs]
    numeric = [central_differences(lambda: loss(arrays), array) for array in arrays]

    def trace() -> list[str]:
        if not traced:
            return []
        fresh = leaves(list(example.inputs), list(example.names))
        fresh_root = build(fresh, example.settings)
        return first_wrong_step(fresh_root, fresh + [fresh_root], example.seed, got["grads"])

    grads = got["grads"]
    for i, (name, value) in enumerate(zip(example.names, values, strict=True)):
        hint = shape_hint(name, value.shape, root.shape)
        expect_shape(f"dL/d{name} has the wrong shape", description, value.grad, grads[i], hint)
        expect_close(f"dL/d{name} disagrees with central finite differences", description, numeric[i], grads[i],
                     RTOL, ATOL, trace, label=f"dL/d{name}")
        expect_close(f"dL/d{name} differs from the reference (rtol 1e-6)", description, value.grad, grads[i],
                     more=trace, label=f"dL/d{name}")


def operation_question(case: Case) -> Question:
    """The child's gradients of ``case``'s operation, judged against the reference's and finite differences."""
    return Question(lambda example: ("operation_gradients", {"name": case.operation, "inputs": list(example.inputs),
                                                             "settings": example.settings, "seed": example.seed}),
                    lambda example, got: judge_gradients(OPERATIONS[case.operation], example, got, traced=True))


def check_backward_slide(child: Child, yours: str) -> None:
    """One step of the slides' network, with the student's part plugged in, prints the slide's W_h and W_z."""
    values = child.call("slide", which="backward")["values"]
    check_slide_values(BACKWARD_SLIDE, values, f"the backward slide (one SGD step of the 2-2-1 network) with {yours}")


def operation_check(name: str) -> Callable[[Child], None]:
    case = CASES[name]

    def check(child: Child) -> None:
        search(child, case.examples(), operation_question(case), str, EXAMPLES)
        if name in SLIDE_TASKS:
            check_backward_slide(child, f"your {name}")
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


MUL_BROADCAST = Case("Mul", ("a", "b"), (((3,), (2, 3)), ((2, 1), (2, 3)), ((1, 3), (2, 1)), ((), (2,))), (ANY, ANY))


def judge_unbroadcast(example: tuple, got: dict) -> None:
    shape, grad = example
    expect_close("unbroadcast's result differs from the reference", Lazy(lambda: describe_broadcast(example)),
                 ops.unbroadcast(grad.copy(), shape), got["output"],
                 hint=f"It must return an array of exactly shape {shape}.", label="result")


UNBROADCAST = Question(lambda example: ("unbroadcast", {"grad": example[1], "shape": list(example[0])}),
                       judge_unbroadcast)


def check_unbroadcast(child: Child) -> None:
    search(child, broadcasts(), UNBROADCAST, describe_broadcast, EXAMPLES)
    search(child, MUL_BROADCAST.examples(), operation_question(MUL_BROADCAST), str, EXAMPLES)
    check_backward_slide(child, "your unbroadcast")


CHECKS = {
    **{task_id: operation_check(name) for task_id, name in (
        ("1.1", "Mul"), ("1.2", "Div"), ("1.3", "Pow"), ("1.4", "Exp"), ("1.5", "Log"), ("1.6", "Sigmoid"),
        ("1.7", "Tanh"), ("1.8", "Relu"), ("1.9", "MatMul"), ("1.10", "Sum"), ("1.11", "Mean"))},
    "1.12": check_unbroadcast,
}
