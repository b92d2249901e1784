"""``tinygrad_edu.autograd.functional`` against ``torch.autograd.functional``: the same functions on
the same inputs give the same results, nested as PyTorch nests them (a Value, a tuple, a tuple of
tuples), with the same ``create_graph`` and ``strict`` behaviour; PyTorch's ``vectorize=True`` and
forward-mode strategies are refused with an error that says so."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import functional, grad

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")
TF = torch.autograd.functional

TOLERANCE = dict(rtol=1e-10, atol=1e-12)
RNG = np.random.default_rng(24)
X = RNG.uniform(-1, 1, (2, 3))
Y = RNG.uniform(-1, 1, (2, 3))
V = RNG.uniform(-1, 1, (2, 3))
W = RNG.uniform(-1, 1, (2, 3))


def both(*arrays):
    """The arrays as Values and as tensors (float64)."""
    ours = tuple(tg.Value(a) for a in arrays)
    theirs = tuple(torch.tensor(a) for a in arrays)
    return (ours, theirs) if len(arrays) > 1 else (ours[0], theirs[0])


def assert_same(ours, theirs, requires_grad: bool | None = None):
    """The same nesting of tuples, and at the leaves the same numbers (and requires_grad, if given)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for mine, expected in zip(ours, theirs, strict=True):
            assert_same(mine, expected, requires_grad)
        return
    assert isinstance(ours, tg.Value), type(ours)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCE)
    if requires_grad is not None:
        assert ours.requires_grad == requires_grad == theirs.requires_grad


# The functions, each written once for both engines (the APIs agree on them).
def scalar(x):
    return (x.exp() * x.tanh()).sum() + (x ** 3).sum()


def two_inputs_scalar(x, y):
    return (x * y.tanh()).sum() + (x ** 2 * y).sum()


def exp_reducer(x):
    return x.exp().sum(1)


def adder(x, y):
    return 2 * x + 3 * y


def two_outputs(x, y):
    return x * y, x.exp()


# ---------------------------------------------------------------- jacobian and hessian

@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("func, arrays", [(exp_reducer, (X,)), (adder, (X, Y)), (two_outputs, (X, Y)),
                                          (scalar, (X,))], ids=["one-one", "tuple-one", "tuple-tuple", "scalar"])
def test_jacobian_matches_pytorch_nesting_and_numbers(func, arrays, create_graph):
    ours, theirs = both(*arrays)
    result = functional.jacobian(func, ours, create_graph=create_graph)
    expected = TF.jacobian(func, theirs, create_graph=create_graph)
    assert_same(result, expected)


def test_jacobian_of_an_unused_input_is_zeros_or_with_strict_an_error():
    (x, y), (tx, ty) = both(X, Y)
    assert_same(functional.jacobian(lambda a, b: a.exp(), (x, y)), TF.jacobian(lambda a, b: a.exp(), (tx, ty)))
    with pytest.raises(RuntimeError, match="jacobian: output 0 of func does not depend on input 1; not allowed"):
        functional.jacobian(lambda a, b: a.exp(), (x, y), strict=True)


@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_matches_pytorch(create_graph):
    x, tx = both(X)
    result = functional.hessian(scalar, x, create_graph=create_graph)
    expected = TF.hessian(scalar, tx, create_graph=create_graph)
    assert_same(result, expected)
    assert result.shape == (2, 3, 2, 3)


def test_hessian_of_two_inputs_is_a_tuple_of_tuples_as_pytorch():
    (x, y), (tx, ty) = both(X, Y)
    assert_same(functional.hessian(two_inputs_scalar, (x, y)), TF.hessian(two_inputs_scalar, (tx, ty)))


def test_a_hessian_built_with_create_graph_can_be_differentiated_again():
    x_data = np.array([0.3, -0.7])
    x = tg.Value(x_data, requires_grad=True)
    hessian = functional.hessian(lambda a: (a ** 4).sum(), x, create_graph=True)
    assert hessian.requires_grad
    (third,) = grad(hessian.sum(), x)  # d/dx of Σ 12x² on the diagonal
    np.testing.assert_allclose(third.data, 24 * x_data, **TOLERANCE)


def test_hessian_of_a_linear_function_is_zeros_or_with_strict_an_error():
    x, tx = both(X)
    assert_same(functional.hessian(lambda a: (2 * a).sum(), x), TF.hessian(lambda a: (2 * a).sum(), tx))
    with pytest.raises(RuntimeError, match="hessian: the gradient of func does not depend on an input"):
        functional.hessian(lambda a: (2 * a).sum(), x, strict=True)


def test_hessian_of_a_relu_function_is_zeros_as_pytorch():
    x, tx = both(X)
    assert_same(functional.hessian(lambda a: a.relu().sum(), x), TF.hessian(lambda a: a.relu().sum(), tx))


# ---------------------------------------------------------------- the four products

@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_matches_pytorch(create_graph):
    x, tx = both(X)
    v, tv = both(np.array([1.0, -2.0]))
    assert_same(functional.vjp(exp_reducer, x, v, create_graph=create_graph),
                TF.vjp(exp_reducer, tx, tv, create_graph=create_graph), requires_grad=create_graph)


def test_vjp_of_a_tuple_of_inputs_and_a_scalar_without_v():
    (x, y), (tx, ty) = both(X, Y)
    assert_same(functional.vjp(two_inputs_scalar, (x, y)), TF.vjp(two_inputs_scalar, (tx, ty)))


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp_matches_pytorch(create_graph):
    (x, y), (tx, ty) = both(X, Y)
    (v, w), (tv, tw) = both(V, W)
    assert_same(functional.jvp(adder, (x, y), (v, w), create_graph=create_graph),
                TF.jvp(adder, (tx, ty), (tv, tw), create_graph=create_graph))
    assert_same(functional.jvp(exp_reducer, x, v, create_graph=create_graph),
                TF.jvp(exp_reducer, tx, tv, create_graph=create_graph))


@pytest.mark.parametrize("product", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hvp_and_vhp_match_pytorch(product, create_graph):
    (x, y), (tx, ty) = both(X, Y)
    (v, w), (tv, tw) = both(V, W)
    ours = getattr(functional, product)(two_inputs_scalar, (x, y), (v, w), create_graph=create_graph)
    theirs = getattr(TF, product)(two_inputs_scalar, (tx, ty), (tv, tw), create_graph=create_graph)
    assert_same(ours, theirs, requires_grad=create_graph)
    single = getattr(functional, product)(scalar, x, v, create_graph=create_graph)
    assert_same(single, getattr(TF, product)(scalar, tx, tv, create_graph=create_graph))


def test_hvp_with_create_graph_can_be_differentiated_with_respect_to_the_inputs():
    x = tg.Value(np.array([0.5, -1.0]), requires_grad=True)
    tx = torch.tensor([0.5, -1.0], requires_grad=True)
    v = np.array([1.0, 2.0])
    _, product = functional.hvp(lambda a: (a ** 4).sum(), x, tg.Value(v), create_graph=True)
    _, expected = TF.hvp(lambda a: (a ** 4).sum(), tx, torch.tensor(v), create_graph=True)
    (ours,) = grad(product.sum(), x)
    (theirs,) = torch.autograd.grad(expected.sum(), tx)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCE)


def test_products_of_a_function_that_ignores_an_input_are_zeros_or_with_strict_an_error():
    (x, y), (tx, ty) = both(X, Y)
    (v, w), (tv, tw) = both(V, W)
    func = lambda a, b: (a ** 3).sum()  # noqa: E731
    for name in ("hvp", "vhp"):
        assert_same(getattr(functional, name)(func, (x, y), (v, w)), getattr(TF, name)(func, (tx, ty), (tv, tw)))
        with pytest.raises(RuntimeError, match=f"{name}: .*not allowed with strict=True"):
            getattr(functional, name)(func, (x, y), (v, w), strict=True)
    assert_same(functional.vjp(func, (x, y)), TF.vjp(func, (tx, ty)))
    with pytest.raises(RuntimeError, match="vjp: the outputs of func do not depend on input 1; not allowed"):
        functional.vjp(func, (x, y), strict=True)


def test_the_inputs_given_are_not_changed_and_keep_no_gradient():
    x = tg.Value(X.copy(), requires_grad=True)
    functional.hvp(scalar, x, tg.Value(V))
    functional.hessian(scalar, x)
    assert x.grad is None
    np.testing.assert_array_equal(x.data, X)


# ---------------------------------------------------------------- what is refused

def test_vectorize_and_forward_mode_are_refused_with_an_error_that_says_so():
    x = tg.Value(X)
    with pytest.raises(NotImplementedError, match="jacobian: vectorize=True .* not implemented"):
        functional.jacobian(exp_reducer, x, vectorize=True)
    with pytest.raises(NotImplementedError, match="jacobian: strategy='forward-mode' is not implemented"):
        functional.jacobian(exp_reducer, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="hessian: outer_jacobian_strategy='forward-mode'"):
        functional.hessian(scalar, x, outer_jacobian_strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="hessian: vectorize=True"):
        functional.hessian(scalar, x, vectorize=True)
    with pytest.raises(ValueError, match="jacobian: strategy must be 'reverse-mode'"):
        functional.jacobian(exp_reducer, x, strategy="sideways")


BAD = [
    ("inputs not Values", lambda: functional.jacobian(exp_reducer, X), TypeError,
     "jacobian: inputs must be a Value or a tuple of Values; got ndarray"),
    ("an input that is not a Value in a tuple", lambda: functional.vjp(adder, (tg.Value(X), 3.0)), TypeError,
     "vjp: inputs must be a Value or a tuple of Values; the value at index 1 is float"),
    ("integer inputs", lambda: functional.hessian(scalar, tg.Value([1, 2])), TypeError,
     "hessian: inputs must be floating-point Values"),
    ("func returns no Value", lambda: functional.vjp(lambda x: 3.0, tg.Value(X)), TypeError,
     "vjp: the outputs of func must be a Value or a tuple of Values"),
    ("hessian of a non-scalar", lambda: functional.hessian(exp_reducer, tg.Value(X)), RuntimeError,
     r"hessian: func must return a Value with a single element, got shape \(2,\)"),
    ("hvp of a tuple", lambda: functional.hvp(two_outputs, (tg.Value(X), tg.Value(Y)), (tg.Value(V),) * 2),
     RuntimeError, "hvp: func must return a single Value, got tuple"),
    ("v left out for a non-scalar output", lambda: functional.vjp(exp_reducer, tg.Value(X)), RuntimeError,
     "vjp: v can be left out only when the outputs of func are a single Value with a single element"),
    ("v of the wrong shape", lambda: functional.hvp(scalar, tg.Value(X), tg.Value(np.ones(3))), RuntimeError,
     r"hvp: v has shape \(3,\), but it must have the shape \(2, 3\) of the inputs"),
    ("v of the wrong length", lambda: functional.jvp(adder, (tg.Value(X), tg.Value(Y)), (tg.Value(V),)),
     RuntimeError, "jvp: v must hold one Value per input: 2, got 1"),
    ("strict with an output that requires no grad", lambda: functional.jacobian(lambda x: tg.Value(X), tg.Value(X),
     strict=True), RuntimeError, "jacobian: output 0 of func does not require grad"),
    ("create_graph not a flag", lambda: functional.hvp(scalar, tg.Value(X), tg.Value(V), create_graph="yes"),
     TypeError, "hvp: create_graph must be True or False"),
]


@pytest.mark.parametrize("call, error, message", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_gets_a_clear_error_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
