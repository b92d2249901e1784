"""Every operation has its local derivative's formula (``viz.formulas``), and the formula's numbers are
the local derivative the trace computes; the backward page's panel prints it. An operation without a
formula (a learner's own) shows its numbers only."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.value import apply
from tinygrad_edu.viz.formulas import FORMULAS, Formula
from tinygrad_edu.viz.page import PANEL_ELEMENTS, backward_walk, write_backward_page
from tinygrad_edu.viz.trace import local_formula, trace_backward

RNG = np.random.default_rng(16)


def leaf(*shape, low=0.2, high=0.9, name=None):
    return tg.Value(RNG.uniform(low, high, shape), requires_grad=True, name=name)


def constant(*shape):
    return tg.Value(RNG.uniform(0.2, 0.9, shape))


# One small graph per operation, its inputs named, each input requiring grad where the op differentiates it.
EXAMPLES = {
    ops.Add: lambda: apply(ops.Add(), leaf(2, 3, name="a"), leaf(3, name="b")),  # b is broadcast
    ops.Sub: lambda: apply(ops.Sub(), leaf(3, name="a"), leaf(3, name="b")),
    ops.Mul: lambda: apply(ops.Mul(), leaf(2, 3, name="a"), leaf(1, 3, name="b")),
    ops.Div: lambda: apply(ops.Div(), leaf(3, name="a"), leaf(3, name="b")),
    ops.Neg: lambda: apply(ops.Neg(), leaf(3, name="a")),
    ops.Pow: lambda: apply(ops.Pow(), leaf(3, name="a"), leaf(3, name="b")),
    ops.MatMul: lambda: apply(ops.MatMul(), leaf(2, 3, name="a"), leaf(3, 2, name="b")),
    ops.Exp: lambda: apply(ops.Exp(), leaf(3, name="x")),
    ops.Log: lambda: apply(ops.Log(), leaf(3, name="x")),
    ops.Relu: lambda: apply(ops.Relu(), leaf(4, low=-1, high=1, name="x")),
    ops.Sigmoid: lambda: apply(ops.Sigmoid(), leaf(3, low=-2, high=2, name="z")),
    ops.Tanh: lambda: apply(ops.Tanh(), leaf(3, low=-2, high=2, name="x")),
    ops.Cast: lambda: apply(ops.Cast(np.float32), leaf(3, name="x")),
    ops.Where: lambda: apply(ops.Where(np.array([[True, False, True], [False, False, True]])), leaf(3, name="x"),
                             leaf(2, 1, name="y")),
    ops.Sum: lambda: apply(ops.Sum(axis=1), leaf(2, 3, name="x")),
    ops.Mean: lambda: apply(ops.Mean(axis=0), leaf(4, 2, name="x")),
    ops.Max: lambda: apply(ops.Max(axis=1), leaf(2, 3, name="x")),
    ops.Reshape: lambda: apply(ops.Reshape((3, 2)), leaf(2, 3, name="x")),
    ops.Transpose: lambda: apply(ops.Transpose(), leaf(2, 3, name="W")),
    ops.Expand: lambda: apply(ops.Expand((2, 3)), leaf(1, 3, name="x")),
    ops.Index: lambda: apply(ops.Index((slice(None), 1)), leaf(2, 3, name="x")),
    ops.IndexPut: lambda: apply(ops.IndexPut((np.array([1, 0, 1]),), accumulate=True), leaf(2, 3, name="x"),
                                leaf(3, name="v")),
    ops.LogSoftmax: lambda: apply(ops.LogSoftmax(axis=-1), leaf(2, 3, low=-1, high=1, name="x")),
    ops.Softmax: lambda: apply(ops.Softmax(axis=0), leaf(3, 2, low=-1, high=1, name="x")),
    ops.BinaryCrossEntropy: lambda: apply(ops.BinaryCrossEntropy(), leaf(3, name="ŷ"), leaf(3, name="y")),
    ops.BinaryCrossEntropyWithLogits: lambda: apply(ops.BinaryCrossEntropyWithLogits(reduction="sum"),
                                                    leaf(2, 3, low=-2, high=2, name="x"), leaf(3, name="y")),
    ops.NllLoss: lambda: apply(ops.NllLoss(np.array([2, 0])), leaf(2, 3, low=-2, high=0, name="logp")),
}


def loss_of(op_class):
    """The example's output, weighted by a constant and summed: upstream gradients that are not all 1."""
    out = EXAMPLES[op_class]()
    out.name = "out"
    loss = (out * constant(*out.shape)).sum() if out.shape else out
    loss.name = "L"
    return loss


def formula_disagreements(steps) -> list[str]:
    """The steps whose formula's value is not the trace's local derivative (a re-layout, with no value,
    must hold the upstream's numbers); the checker the tests below run on every op."""
    wrong = []
    for step in steps:
        formula = local_formula(step)
        if formula is None:
            wrong.append(f"{step.op}: no formula")
        elif formula.value is None:
            if not isinstance(step.grad_fn, (ops.Index, ops.IndexPut)) and not np.array_equal(
                    np.sort(step.product, axis=None), np.sort(step.upstream, axis=None)):
                wrong.append(f"{step.op}: a re-layout changed the numbers")
        elif not np.allclose(np.broadcast_to(formula.value, step.local_derivative.shape), step.local_derivative,
                             rtol=1e-6, atol=1e-12):
            wrong.append(f"{step.op} (input {step.argument}): formula {formula.value} != local "
                         f"{step.local_derivative}")
    return wrong


def numbers_in(text: str) -> np.ndarray:
    return np.array([float(n) for n in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", text)])


def test_every_op_in_OPS_has_its_formula_and_an_example_here():
    assert [cls.__name__ for cls in ops.OPS if cls not in FORMULAS] == []
    assert [cls.__name__ for cls in ops.OPS if cls not in EXAMPLES] == []


def test_the_formula_table_holds_only_the_derivatives_of_OPS():
    assert set(FORMULAS) == set(ops.OPS)


def test_an_op_of_a_learners_own_has_no_formula_and_a_subclass_finds_its_bases():
    x = leaf(3, name="x")
    assert local_formula(trace_backward(apply(Cube(), x).sum())[-1]) is None
    student = [step for step in trace_backward(apply(StudentSigmoid(), x).sum()) if step.op == "sigmoid"]
    assert local_formula(student[0]).formula == "v1·(1 − v1)"


@pytest.mark.parametrize("op_class", ops.OPS, ids=lambda cls: cls.__name__)
def test_the_formulas_numbers_are_the_local_derivative_the_trace_computes(op_class):
    steps = [step for step in trace_backward(loss_of(op_class)) if type(step.grad_fn) is op_class]
    assert steps, "the example must reach the op"
    assert formula_disagreements(steps) == []


@pytest.mark.parametrize("op_class", ops.OPS, ids=lambda cls: cls.__name__)
def test_the_panel_holds_the_formula_and_prints_its_numbers(op_class):
    steps = trace_backward(loss_of(op_class))
    for step, shown in zip(steps, backward_walk(steps), strict=True):
        if type(step.grad_fn) is not op_class:
            continue
        formula, text = local_formula(step), "\n".join(shown["lines"])
        assert formula.formula in text
        local = shown["lines"][2]
        if formula.value is None:
            assert local.startswith("re-layout")
        elif step.local_derivative.size <= PANEL_ELEMENTS:  # printed whole: the numbers after the last "="
            np.testing.assert_allclose(numbers_in(local.rsplit(" = ", 1)[1]), step.local_derivative.reshape(-1),
                                       atol=5e-5, rtol=0)


class WrongSigmoid(ops.Sigmoid):
    """Sigmoid, with a formula (registered in the test below) that forgets the (1 − out) factor."""

    __slots__ = ()


class StudentSigmoid(ops.Sigmoid):
    """A student's subclass, as the course's workspaces write them: it finds Sigmoid's formula."""

    __slots__ = ()


class Cube(ops.Function):
    """A learner's own operation, with no formula: out = x³, dout/dx = 3x²."""

    __slots__ = ("x",)
    name = "cube"

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return (grad * 3 * self.x ** 2,)


def test_the_checker_rejects_a_wrong_formula(monkeypatch):
    monkeypatch.setitem(FORMULAS, WrongSigmoid, lambda op, argument, out, inputs: Formula(out, "", np.asarray(op.out)))
    loss = apply(WrongSigmoid(), leaf(3, name="z")).sum()
    assert len(formula_disagreements(trace_backward(loss))) == 1


def test_an_op_without_a_formula_shows_its_numbers_only(tmp_path):
    x = leaf(2, name="x")
    loss = apply(Cube(), x).sum()
    steps = trace_backward(loss)
    cube = next(shown for step, shown in zip(steps, backward_walk(steps), strict=True) if step.op == "cube")
    assert cube["lines"][2].startswith("local      ∂")
    np.testing.assert_allclose(numbers_in(cube["lines"][2]), 3 * x.data ** 2, atol=5e-5)
    assert write_backward_page(loss, tmp_path / "cube.html").exists()  # the page is written all the same


def test_the_broadcast_note_appears_only_where_a_sum_over_broadcast_axes_happened():
    steps = trace_backward(loss_of(ops.Add))
    lines = {shown["node_name"]: shown["lines"] for step, shown in zip(steps, backward_walk(steps), strict=True)
             if step.op == "add"}
    assert lines["b"][-1] == "(summed over the axes b was broadcast along)"
    assert not any("broadcast" in line for line in lines["a"])
    walk = backward_walk(trace_backward(loss_of(ops.BinaryCrossEntropy)))
    assert not any("broadcast" in line for step in walk for line in step["lines"])  # a reduction is no broadcast
