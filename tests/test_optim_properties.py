"""Which update rules are the same, proved on random objectives with hypothesis (float64).

Objectives act elementwise on a parameter of random shape:
a quadratic ½·a·(p − c)² and a quartic a·p⁴ + b·p³ + c·p² + d·p. Learning
rates, momenta and start points are bounded so that every run stays finite
(each test asserts that it did).
"""

import itertools

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import optim

STEPS = 25
SHAPES = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


@st.composite
def problems(draw):
    """(objective, start): a random quadratic or quartic and a start point of random shape."""
    shape = draw(SHAPES)
    start = draw(arrays(np.float64, shape, elements=floats(-1.0, 1.0)))
    if draw(st.booleans()):
        a = draw(arrays(np.float64, shape, elements=floats(0.5, 2.0)))
        c = draw(arrays(np.float64, shape, elements=floats(-1.0, 1.0)))
        return (lambda p: (0.5 * a * (p - c) ** 2).sum()), start
    a, b, c, d = (draw(floats(low, 1.0)) for low in (0.1, -1.0, -1.0, -1.0))
    return (lambda p: (a * p**4 + b * p**3 + c * p**2 + d * p).sum()), start


def iterates(make, objective, start, record=lambda p, opt: p.data.copy()):
    """``record(p, opt)`` (the parameter, unless told) after each of STEPS steps, the gradient taken by autograd."""
    p = tg.Value(start, dtype=np.float64, requires_grad=True)
    opt = make([p])

    def closure():
        opt.zero_grad()
        loss = objective(p)
        loss.backward()
        return loss

    path = []
    for _ in range(STEPS):
        opt.step(closure)
        path.append(record(p, opt))
    path = np.array(path)
    assert np.all(np.isfinite(path)), "the bounds on lr, momentum and start should keep the run finite"
    return path


lrs = floats(1e-3, 0.05)
momenta = floats(0.0, 0.9)


@given(problems(), lrs)
def test_gd_momentum_zero_and_sgd_give_the_same_iterates(problem, lr):
    objective, start = problem
    gd = iterates(lambda ps: optim.GD(ps, lr), objective, start)
    heavy = iterates(lambda ps: optim.Momentum(ps, lr, momentum=0.0), objective, start)
    sgd = iterates(lambda ps: optim.SGD(ps, lr, momentum=0.0), objective, start)
    np.testing.assert_array_equal(heavy, gd)
    np.testing.assert_array_equal(sgd, gd)


# The two forms round differently (η·(γb + g) against γ·ηb + η·g), so they agree to
# rtol 1e-6; atol covers iterates that pass through 0, where relative error means nothing.


@given(problems(), lrs, momenta)
def test_slides_momentum_equals_torch_sgd_with_momentum(problem, lr, gamma):
    objective, start = problem
    slides = iterates(lambda ps: optim.Momentum(ps, lr, momentum=gamma), objective, start)
    torch_form = iterates(lambda ps: optim.SGD(ps, lr, momentum=gamma), objective, start)
    np.testing.assert_allclose(slides, torch_form, rtol=1e-6, atol=1e-12)


@given(problems(), lrs, floats(0.01, 0.9))
def test_slides_nesterov_look_ahead_point_equals_sgd_nesterov_iterate(problem, lr, gamma):
    objective, start = problem
    look_ahead = iterates(lambda ps: optim.Nesterov(ps, lr, momentum=gamma), objective, start,
                          record=lambda p, opt: p.data + gamma * opt.state[p]["velocity"])
    torch_form = iterates(lambda ps: optim.SGD(ps, lr, momentum=gamma, nesterov=True), objective, start)
    np.testing.assert_allclose(look_ahead, torch_form, rtol=1e-6, atol=1e-12)


# ---------------------------------------------------------------- convergence on a convex quadratic


@st.composite
def convex_quadratics(draw):
    """f(p) = ½ Σ λ (p − c)², its curvature L = max λ, the minimiser c and a start p₀ ≠ c."""
    shape = draw(SHAPES)
    curvature = draw(arrays(np.float64, shape, elements=floats(0.5, 2.0)))
    minimiser = draw(arrays(np.float64, shape, elements=floats(-2.0, 2.0)))
    start = draw(arrays(np.float64, shape, elements=floats(-2.0, 2.0)))
    assume(np.max(np.abs(start - minimiser)) > 1e-3)
    return curvature, minimiser, start


def quadratic(curvature, minimiser, p):
    return 0.5 * float(np.sum(curvature * (p - minimiser) ** 2))


def run_by_hand(make, curvature, minimiser, start, steps):
    """Iterates with ∇f = λ(p − c) set by hand: thousands of steps stay fast."""
    p = tg.Value(start, dtype=np.float64, requires_grad=True)
    opt = make([p])

    def closure():
        p.grad = curvature * (p.data - minimiser)

    path = [p.data.copy()]
    for _ in range(steps):
        opt.step(closure)
        path.append(p.data.copy())
    return path


@given(convex_quadratics(), floats(0.05, 0.95))
def test_gd_below_one_over_l_decreases_f_at_every_step(problem, fraction):
    curvature, minimiser, start = problem
    lr = fraction / curvature.max()
    path = run_by_hand(lambda ps: optim.GD(ps, lr), curvature, minimiser, start, 40)
    values = [quadratic(curvature, minimiser, p) for p in path]
    floor = 1e-20 * values[0]  # below this f is rounding noise around the minimum
    for before, after in itertools.pairwise(values):
        assert after < before or before < floor


@given(convex_quadratics(), floats(0.1, 0.95), floats(0.0, 0.9),
       st.sampled_from(["gd", "momentum", "nesterov", "sgd", "sgd_nesterov"]))
def test_every_rule_ends_below_the_start_and_converges_to_the_minimum(problem, fraction, gamma, rule):
    curvature, minimiser, start = problem
    lr = fraction / curvature.max()
    make = {
        "gd": lambda ps: optim.GD(ps, lr),
        "momentum": lambda ps: optim.Momentum(ps, lr, momentum=gamma),
        "nesterov": lambda ps: optim.Nesterov(ps, lr, momentum=gamma),
        "sgd": lambda ps: optim.SGD(ps, lr, momentum=gamma),
        "sgd_nesterov": lambda ps: optim.SGD(ps, lr, momentum=max(gamma, 0.01), nesterov=True),
    }[rule]
    path = run_by_hand(make, curvature, minimiser, start, 1500)
    assert quadratic(curvature, minimiser, path[-1]) < quadratic(curvature, minimiser, start)
    np.testing.assert_allclose(path[-1], minimiser, atol=1e-8)
