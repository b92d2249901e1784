"""``autograd.chain_rule``: backward and the trace take the same steps, also when an input's
``requires_grad`` changed after the operation was recorded (PyTorch's rule: the graph recorded
then decides, and a leaf that no longer requires grad receives nothing)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import backward_steps

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")


def graphs(module, change):
    """c = (a·b + a).sum() with a requiring grad, then ``change(a, b)`` applied after recording."""
    a = module.tensor([1.5, -2.0], requires_grad=True) if module is torch else tg.Value([1.5, -2.0], requires_grad=True)
    b = module.tensor([3.0, 0.5]) if module is torch else tg.Value([3.0, 0.5])
    c = (a * b + a).sum()
    change(a, b)
    return a, b, c


CHANGES = {
    "b given requires_grad later": lambda a, b: b.requires_grad_(),
    "a stops requiring grad later": lambda a, b: a.requires_grad_(False),
}


@pytest.mark.parametrize("name", CHANGES)
def test_backward_after_a_changed_flag_gives_what_torch_gives(name):
    a, b, c = graphs(tg, CHANGES[name])
    ta, tb, tc = graphs(torch, CHANGES[name])
    c.backward()
    tc.backward()
    for value, tensor in ((a, ta), (b, tb)):
        if tensor.grad is None:
            assert value.grad is None
        else:
            np.testing.assert_allclose(value.grad, tensor.grad.numpy())


@pytest.mark.parametrize("name", CHANGES)
def test_the_trace_after_a_changed_flag_sums_to_what_backward_stores(name):
    a, b, c = graphs(tg, CHANGES[name])
    steps = tg.trace_backward(c)
    c.backward()
    for leaf in (a, b):
        products = [step.product for step in steps if step.node is leaf]
        if leaf.grad is None:
            assert products == []
        else:
            np.testing.assert_allclose(np.sum(products, axis=0), leaf.grad)


def test_backward_steps_stores_nothing_and_visits_every_node_once():
    a, b, c = graphs(tg, lambda a, b: None)
    steps = backward_steps(c, np.asarray(1.0, dtype=c.dtype))
    assert a.grad is None and all(node.grad is None for node, _, _ in steps)
    assert [node for node, _, _ in steps][0] is c and len({id(node) for node, _, _ in steps}) == len(steps) == 4
    leaf_steps = [(node, grads) for node, _, grads in steps if node._op is None]
    assert leaf_steps == [(a, None)]
