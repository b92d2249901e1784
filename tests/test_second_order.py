"""The example's second derivatives (lecture/second_order.py, examples/hessian_newton.py) against PyTorch:
the slide network's Hessian with respect to each weight matrix and its eigenvalues, and Newton's
iterates on the deck's quartic, each to 1e-9; and what the example says of them holds."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu.lecture import descent, mlp
from tinygrad_edu.lecture.second_order import newton, slide_hessian

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")
TOLERANCE = dict(rtol=1e-9, atol=1e-12)
LAYERS = ["0.weight", "1.weight"]


def torch_slide_loss(layer: str):
    """The slide network in PyTorch, float64, as a function of one weight matrix."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(mlp.SLIDE_WEIGHT)
    x = torch.tensor(mlp.SLIDE_X, dtype=torch.float64)
    y = torch.tensor(mlp.SLIDE_TARGET, dtype=torch.float64)
    first, second = model[0], model[1]

    def loss(weight):
        h = torch.nn.functional.linear(x, weight, first.bias) if layer == "0.weight" else first(x)
        z = torch.nn.functional.linear(h, weight, second.bias) if layer == "1.weight" else second(h)
        return torch.nn.functional.binary_cross_entropy(model[2](z), y)

    return loss, dict(model.named_parameters())[layer].detach().clone()


@pytest.mark.parametrize("layer", LAYERS)
def test_the_slide_networks_hessian_and_its_eigenvalues_match_pytorch(layer):
    ours = slide_hessian(layer)
    loss, weight = torch_slide_loss(layer)
    hessian = torch.autograd.functional.hessian(loss, weight).reshape(weight.numel(), weight.numel()).numpy()
    point = weight.clone().requires_grad_()
    value = loss(point)
    (gradient,) = torch.autograd.grad(value, point)
    np.testing.assert_allclose(ours.loss, value.item(), **TOLERANCE)
    np.testing.assert_allclose(ours.gradient, gradient.numpy(), **TOLERANCE)
    np.testing.assert_allclose(ours.hessian, hessian, **TOLERANCE)
    np.testing.assert_allclose(ours.eigenvalues, np.linalg.eigvalsh(hessian), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("layer", LAYERS)
def test_the_hessian_has_one_direction_of_curvature_as_the_example_says(layer):
    ours = slide_hessian(layer)
    *zeros, largest = ours.eigenvalues
    np.testing.assert_allclose(zeros, 0, atol=1e-15)
    np.testing.assert_allclose(largest, ours.curvature_along_z, rtol=1e-12)
    assert largest > 0


def test_the_slide_gradient_is_the_backward_slides():
    net = mlp.slide_network(np.float64)
    net.loss.backward()
    np.testing.assert_allclose(slide_hessian("0.weight").gradient, net.model[0].weight.grad, rtol=1e-12)


def test_newtons_iterates_on_the_quartic_match_pytorch():
    steps = newton(descent.quartic, descent.START, 6)
    x = descent.START
    for step in steps:
        point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        value = descent.quartic(point)
        (slope,) = torch.autograd.grad(value, point, create_graph=True)
        (curvature,) = torch.autograd.grad(slope, point)
        np.testing.assert_allclose([step.x, step.value, step.slope, step.curvature],
                                   [x, value.item(), slope.item(), curvature.item()], rtol=1e-9, atol=1e-12)
        x = x - slope.item() / curvature.item()
    np.testing.assert_allclose(steps[-1].next_x, x, rtol=1e-12)


def test_newton_lands_on_a_stationary_point_of_the_quartic():
    steps = newton(descent.quartic, descent.START, 6)
    stationary = descent.stationary_points(descent.autograd_derivative(descent.quartic))
    assert min(abs(steps[-1].next_x - point) for point in stationary) < 1e-12
    assert abs(steps[-1].slope) < 1e-5 and steps[-1].curvature > 0  # a minimum
