"""Every operation in ``ops.OPS`` and every loss is twice differentiable: ``gradgradcheck`` on
hypothesis-drawn float64 inputs, away from kinks and poles (the strategies of
tests/test_ops_gradcheck.py and tests/test_backward_trace.py: relu and max off their kinks and
ties, logarithms of positives, divisors off 0, probabilities inside (0.05, 0.95); each
reduction, class weights, ignored targets). And ``gradgradcheck`` itself rejects a wrong second
derivative, naming the element.

A case costs a few hundred small backward passes, so the examples per operation are few; the
PyTorch oracle (tests/test_higher_order_torch.py) and the differential test cover more ground.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_backward_trace import loss_case
from test_ops_gradcheck import STRATEGIES

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.value import Value, apply


def off_the_second_derivatives_kinks(op_class, case) -> bool:
    """pow's first derivative takes PyTorch's limit 0 where the exponent is 0 (a^0 = 1): the derivative
    of that with respect to the exponent jumps there (g·a^(b−1) on either side, 0 at b = 0)."""
    if op_class is ops.Pow and isinstance(case.inputs[1], np.ndarray):
        return bool(np.all(np.abs(case.inputs[1]) > 1e-3))
    return True


@pytest.mark.parametrize("op_class", ops.OPS, ids=lambda op: op.__name__)
@settings(max_examples=15)
@given(data=st.data())
def test_every_op_passes_gradgradcheck(op_class, data):
    case = data.draw(STRATEGIES[op_class], label="case")
    assume(off_the_second_derivatives_kinks(op_class, case))
    assert tg.gradgradcheck(case.fn, case.inputs)


def inside_the_domain(case):
    """BCE's target, differentiated too, kept off 0 and 1 by more than the finite differences' step
    (BCELoss refuses a target outside [0, 1])."""
    if case.description.startswith("bce "):
        x, y = case.inputs
        case = dataclasses.replace(case, inputs=(x, np.clip(y, 1e-3, 1 - 1e-3)))
    return case


@settings(max_examples=30)
@given(case=loss_case().map(inside_the_domain))
def test_every_loss_passes_gradgradcheck_with_each_reduction_class_weights_and_ignored_targets(case):
    assert tg.gradgradcheck(case.fn, case.inputs)


class HalfConstantCube(ops.Function):
    """out = x³ with a backward that computes 3x² as 3·x·(x's numbers): its first derivative is right,
    its second misses the half that the numbers would have given."""

    __slots__ = ("x",)
    name = "half_constant_cube"
    keeps = {"x": 0}

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return (grad * 3 * self.x * np.asarray(self.x),)


def test_gradgradcheck_rejects_a_wrong_second_derivative_naming_the_element():
    x = np.array([0.5, 1.2, -0.3])
    cube = lambda a: apply(HalfConstantCube(), a)  # noqa: E731
    assert tg.gradcheck(cube, x)  # the first derivative is right
    with pytest.raises(tg.GradcheckError, match=r"gradgradcheck: d\(dL/d\(input 0\)\[0\]\)/d\(input 0\[0\]\): "
                                                r"analytic 0\.41.*, numeric 0\.82"):
        tg.gradgradcheck(cube, x)
    assert tg.gradgradcheck(cube, x, raise_exception=False) is False


def test_gradgradcheck_also_checks_the_derivative_with_respect_to_grad_outputs():
    class ScaledUpstream(ops.Function):  # dL/dx = 2·grad·x: the factor 2 is wrong, but only in the upstream part
        __slots__ = ("x",)
        name = "scaled_upstream"
        keeps = {"x": 0}

        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return (grad * 2 * self.x,)

    assert tg.gradgradcheck(lambda a: apply(ScaledUpstream(), a), np.array([0.5, -1.0]))


def test_gradgradcheck_takes_grad_outputs_and_inputs_held_constant():
    x, y = np.array([0.5, -1.0]), Value(np.array([2.0, 3.0]))  # a Value without requires_grad: a constant
    assert tg.gradgradcheck(lambda a, b: a.exp() * b, (x, y), grad_outputs=np.array([1.0, -2.0]))


def test_gradgradcheck_of_an_array_only_operation_names_it():
    class NumpySquare(ops.Function):
        __slots__ = ("x",)
        name = "numpy_square"

        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return (2 * grad * np.asarray(self.x),)

    with pytest.raises(RuntimeError, match="create_graph: the operation NumpySquare"):
        tg.gradgradcheck(lambda a: apply(NumpySquare(), a), np.array([0.5]))


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.gradgradcheck(lambda a: a * 2, Value([1.0])), ValueError,
     "gradgradcheck: no input requires grad"),
    (lambda: tg.gradgradcheck(lambda a: 3.0, np.array([1.0])), TypeError,
     "gradgradcheck: func must return a floating Value"),
    (lambda: tg.gradgradcheck(lambda a: a * a, np.array([1.0, 2.0]), grad_outputs=np.ones(3)), ValueError,
     r"gradgradcheck: grad_outputs of shape \(3,\) does not match the shape \(2,\) of func's output"),
])
def test_gradgradcheck_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
