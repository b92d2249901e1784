"""optim.Newton: one step of (H + λI)⁻¹g over every parameter at once, against PyTorch's Hessian and the
closed forms; its bad input changes nothing."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.lecture import descent

try:
    import torch
except ImportError:  # only the comparison with PyTorch's Hessian needs it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle for the Hessian: pip install '.[oracle]'")


@st.composite
def spd_matrices(draw, n: int):
    """A symmetric positive definite n × n matrix with eigenvalues from 0.1 to 100."""
    curvatures = draw(arrays(np.float64, n, elements=floats(0.1, 100.0)))
    rotation, _ = np.linalg.qr(draw(arrays(np.float64, (n, n), elements=floats(-1.0, 1.0))) + 3 * np.eye(n))
    matrix = rotation @ np.diag(curvatures) @ rotation.T
    return (matrix + matrix.T) / 2


def split_parameters(start: np.ndarray) -> list:
    """A vector of 3 numbers as two parameters of different shapes, (2,) and (1, 1): H couples them."""
    return [tg.Value(start[:2].copy(), requires_grad=True), tg.Value(start[2:].reshape(1, 1).copy(),
                                                                    requires_grad=True)]


def joined(params) -> np.ndarray:
    return np.concatenate([p.data.reshape(-1) for p in params])


@given(spd_matrices(3), arrays(np.float64, 3, elements=floats(-2.0, 2.0)),
       arrays(np.float64, 3, elements=floats(-2.0, 2.0)))
def test_one_step_lands_on_the_minimum_of_a_quadratic_across_parameters(a, b, start):
    params = split_parameters(start)
    optimizer = optim.Newton(params)

    first, second = params
    a11, a12, a22 = tg.Value(a[:2, :2]), tg.Value(a[:2, 2:]), tg.Value(a[2:, 2:])

    def closure():  # ½·xᵀAx − bᵀx with x = (first, second) flattened
        quadratic = 0.5 * (first @ (a11 @ first)) + (first @ (a12 @ second)).sum() + 0.5 * (second * a22 * second).sum()
        return quadratic - (tg.Value(b[:2]) * first).sum() - (tg.Value(b[2:]) * second.reshape(-1)).sum()

    optimizer.step(closure)
    np.testing.assert_allclose(joined(params), np.linalg.solve(a, b), rtol=1e-8, atol=1e-10)


def smooth(x, w):
    """A non-quadratic loss of two parameters, the same formula in tinygrad_edu and in torch."""
    return (x.exp() * w).sum() + (x * x).sum() * (w * w).sum() + (x[0] * w[1]).tanh()


@needs_torch
@given(arrays(np.float64, 2, elements=floats(-1.0, 1.0)), arrays(np.float64, 2, elements=floats(-1.0, 1.0)),
       floats(0.0, 3.0), floats(0.1, 1.0))
def test_the_step_is_pytorchs_hessian_solved_against_pytorchs_gradient(x0, w0, damping, lr):
    x, w = (tg.Value(v.copy(), requires_grad=True) for v in (x0, w0))
    tx, tw = (torch.tensor(v, requires_grad=True) for v in (x0, w0))
    flat = torch.cat([tx, tw]).detach()
    h = torch.autograd.functional.hessian(lambda v: smooth(v[:2], v[2:]), flat).numpy()
    g = torch.autograd.grad(smooth(tx, tw), [tx, tw])
    g = torch.cat(g).numpy()
    system = h + damping * np.eye(4)
    if np.linalg.cond(system) > 1e8:
        return  # nearly singular: the step is ill-defined in both
    optimizer = optim.Newton([x, w], lr=lr, damping=damping)
    loss = optimizer.step(lambda: smooth(x, w))
    assert loss.item() == pytest.approx(smooth(tx, tw).item(), rel=1e-12)
    np.testing.assert_allclose(joined([x, w]), np.concatenate([x0, w0]) - lr * np.linalg.solve(system, g),
                               rtol=1e-9, atol=1e-12)


def test_from_the_decks_start_the_quartics_digits_double():
    x = tg.Value(descent.START, dtype=np.float64, requires_grad=True)
    optimizer = optim.Newton([x])
    roots = np.roots([4.0, 3.0, -4.0, -2.0])
    minimum = float(min(roots.real, key=lambda root: abs(root + 1.2)))
    errors = []
    for _ in range(6):
        optimizer.step(lambda: descent.quartic(x))
        errors.append(abs(x.item() - minimum))
    digits = [-math.log10(error) for error in errors]
    assert errors[-1] < 1e-12
    assert all(1.7 < later / earlier < 2.3 for earlier, later in zip(digits[2:4], digits[3:5], strict=False))


def test_a_closure_that_calls_backward_works_as_for_lbfgs():
    x = tg.Value([3.0, -1.0], dtype=np.float64, requires_grad=True)
    optimizer = optim.Newton([x])

    def closure():
        optimizer.zero_grad()
        loss = (x * x).sum() * 2.0
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 20.0
    np.testing.assert_array_equal(x.data, [0.0, 0.0])


def test_damping_turns_a_step_towards_a_maximum_into_one_downhill():
    for damping, direction in ((0.0, -1), (8.0, 1)):  # f″(0) = -4: f″ + 8 = 4 > 0
        x = tg.Value(0.0, dtype=np.float64, requires_grad=True)
        optim.Newton([x], damping=damping).step(lambda: descent.quartic(x))  # noqa: B023 -- run at once
        assert np.sign(x.item()) == direction
        assert (descent.quartic(x.item()) < descent.quartic(0.0)) == (damping > 0)


def test_the_state_dict_holds_lr_and_damping_and_loads_back():
    x = tg.Value([1.0], dtype=np.float64, requires_grad=True)
    optimizer = optim.Newton([x], lr=0.5, damping=0.25)
    saved = optimizer.state_dict()
    assert saved == {"state": {}, "param_groups": [{"lr": 0.5, "damping": 0.25, "params": [0]}]}
    other = optim.Newton([x])
    other.load_state_dict(saved)
    assert other.param_groups[0]["damping"] == 0.25


# ---------------------------------------------------------------- bad input changes nothing

def untouched(params, call, error, words):
    before = [(p.data.copy(), p._version) for p in params]
    with pytest.raises(error, match=words):
        call()
    for p, (data, version) in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.data, data)
        assert p._version == version


def test_a_singular_hessian_is_an_error_that_names_damping_and_damping_solves_it():
    x = tg.Value([1.0, 2.0], dtype=np.float64, requires_grad=True)
    flat = lambda: (x[0] + x[1]) ** 2  # noqa: E731 -- the loss is flat along (1, -1)
    untouched([x], lambda: optim.Newton([x]).step(flat), ValueError,
              r"Newton.step: the Hessian is singular .* give damping > 0, Newton\(params, damping=1e-3\)")
    optim.Newton([x], damping=1.0).step(flat)
    assert x.data[0] + x.data[1] == pytest.approx(3.0 / 5.0)  # (H + I)⁻¹g with H = 2·[[1, 1], [1, 1]]


def test_damping_that_cancels_an_eigenvalue_is_named():
    x = tg.Value([1.0], dtype=np.float64, requires_grad=True)
    untouched([x], lambda: optim.Newton([x], damping=2.0).step(lambda: -(x * x).sum()), ValueError,
              r"H \+ damping·I is singular with damping = 2 .* choose another damping")


@pytest.mark.parametrize("closure, error, words", [
    (None, RuntimeError, r"Newton.step: .* pass a closure that recomputes the loss and returns it"),
    (lambda x: (lambda: x * 2.0), ValueError, r"the closure must return the loss, a Value with one element, got a "
                                              r"Value of shape \(2,\)"),
    (lambda x: (lambda: None), ValueError, r"the closure must return the loss, .* got NoneType"),
    (lambda x: (lambda: (x.log()).sum()), ValueError, r"the loss \(nan\), its gradient or its Hessian is not finite"),
    (lambda x: (lambda: ((x + 1.0) ** 0.5).sum()), ValueError, r"its Hessian is not finite"),
])
def test_a_closure_without_a_usable_loss_is_refused(closure, error, words):
    x = tg.Value([1.0, -1.0], dtype=np.float64, requires_grad=True)
    optimizer = optim.Newton([x])
    untouched([x], lambda: optimizer.step(None if closure is None else closure(x)), error, words)


def test_parameter_groups_and_bad_options_are_refused():
    x, y = (tg.Value([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="Newton doesn't support per-parameter options"):
        optim.Newton([{"params": [x]}, {"params": [y], "damping": 1.0}])
    with pytest.raises(ValueError, match=r"Newton: invalid damping=-1"):
        optim.Newton([x], damping=-1)
    with pytest.raises(ValueError, match=r"Newton: invalid lr=nan"):
        optim.Newton([x], lr=math.nan)
