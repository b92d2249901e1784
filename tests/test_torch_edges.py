"""Edge numbers where a second round against PyTorch 2.13 found the engine different (issue 23):
relu at NaN and −0.0, pow's exponent gradient under a NaN upstream, sigmoid of integers, and
cross-entropy's ignored rows and zero-sum class weights. Each case runs the same code on a Value
and on a torch tensor and compares bits: the sign of a zero and NaN included."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

FLOATS = [np.float64, np.float32]
TORCH_DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32,
                np.dtype(np.float16): torch.float16}


def both(data, dtype):
    """The same leaf, requiring grad, as a Value and as a tensor."""
    array = np.asarray(data, dtype=dtype)
    return tg.Value(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_same_bits(ours, theirs, rtol: float = 0.0):
    """Arrays of one dtype, NaN where PyTorch has NaN, each zero and infinity of PyTorch's sign,
    and the other numbers equal (or within ``rtol``, where the two libraries round differently)."""
    ours, theirs = np.asarray(ours), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg="NaN in different places")
    numbers = ~np.isnan(theirs)  # a NaN's sign bit means nothing
    np.testing.assert_array_equal(np.signbit(ours[numbers]), np.signbit(theirs[numbers]), err_msg="signs differ")
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)  # NaN equals NaN here


# ---------------------------------------------------------------- relu

EDGES = [np.nan, -0.0, 0.0, 1.5, -1.5, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
@pytest.mark.parametrize("size", [1, 7, 40])  # numpy's vector loops and their remainders
def test_relu_keeps_nan_and_minus_zero_as_torch(dtype, size):
    data = np.resize(np.array(EDGES), size * len(EDGES))
    x, t = both(data, dtype)
    assert_same_bits(x.relu().data, torch.relu(t))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("value", EDGES)
def test_scalar_relu_of_an_edge_number_is_torchs_forward_and_backward(dtype, value):
    x, t = both(value, dtype)
    out, expected = x.relu(), torch.relu(t)
    assert_same_bits(out.data, expected)
    out.backward(np.array(-2.0, dtype=dtype))
    expected.backward(torch.tensor(-2.0, dtype=TORCH_DTYPES[np.dtype(dtype)]))
    assert_same_bits(x.grad, t.grad)


UPSTREAMS = {"finite": [-2.0, 3.0, -1.0, 0.5, -4.0, 2.0, -0.5], "infinite": [np.inf] * 7,
             "nan": [np.nan] * 7, "minus infinity": [-np.inf, 1.0, -np.inf, 2.0, -np.inf, 1.0, 1.0]}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_relu_passes_the_upstream_gradient_at_nan_and_gives_plus_zero_where_flat(dtype, upstream):
    x, t = both(EDGES, dtype)
    x.relu().backward(np.array(UPSTREAMS[upstream], dtype=dtype))
    torch.relu(t).backward(torch.tensor(UPSTREAMS[upstream], dtype=TORCH_DTYPES[np.dtype(dtype)]))
    assert_same_bits(x.grad, t.grad)


# ---------------------------------------------------------------- pow

BASES = [0.0, -0.0, 2.0, -2.0, 0.5, np.nan, np.inf, -np.inf]
EXPONENTS = [0.0, -0.0, 2.0, 3.0, 0.5, -1.0, -2.0, np.nan, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("upstream", [1.0, -1.0, np.nan, np.inf, 0.0, -0.0])
def test_pow_gradients_over_every_edge_base_and_exponent_are_torchs(dtype, upstream):
    """Among them ``0.0 ** x`` under a NaN upstream: dout/dx is 0 there, and NaN·0 is NaN."""
    base, exponent = np.meshgrid(BASES, EXPONENTS)
    (a, ta), (b, tb) = both(base.ravel(), dtype), both(exponent.ravel(), dtype)
    seed = np.full(a.shape, upstream, dtype=dtype)
    with np.errstate(all="ignore"):  # 0 ** -1 = inf and the like, which numpy reports
        (a ** b).backward(seed)
    (ta ** tb).backward(torch.tensor(seed))
    assert_same_bits(a.grad, ta.grad, rtol=1e-6)
    assert_same_bits(b.grad, tb.grad, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("data", [2.0, 0.0, [1.0, 2.0, 0.0]])
def test_zero_to_the_x_under_a_nan_upstream_gives_nan_as_torch(dtype, data):
    x, t = both(data, dtype)
    seed = np.full(x.shape, np.nan, dtype=dtype)
    (0.0 ** x).backward(seed)
    (0.0 ** t).backward(torch.tensor(seed))
    assert_same_bits(x.grad, t.grad)


# ---------------------------------------------------------------- sigmoid of integers

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("data", [1, [0, 1, 2, 127], [[1, 0], [0, 1]]])
def test_sigmoid_of_integers_and_bools_is_torchs_float32(dtype, data):
    array = np.asarray(data).astype(dtype)
    assert_same_bits(tg.Value(array).sigmoid().data, torch.from_numpy(array.copy()).sigmoid(), rtol=1e-6)


def test_sigmoid_of_uint8_one_is_0_7311():
    assert tg.Value(np.array([1], dtype=np.uint8)).sigmoid().data.tolist() == pytest.approx([0.7311], abs=5e-5)


# ---------------------------------------------------------------- cross-entropy: ignored rows, zero-sum weights

LOGITS = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [3.0, 1.0, 0.0], [-np.inf, 0.0, 1.0]])


def losses(dtype, function, reduction, target, weight=None, ignore_index=-100):
    """The same loss of LOGITS as a Value and as a tensor."""
    (x, t) = both(LOGITS, dtype)
    w = None if weight is None else np.asarray(weight, dtype=dtype)
    ours = getattr(nn.functional, function)(x, np.asarray(target), weight=w, ignore_index=ignore_index,
                                            reduction=reduction)
    theirs = getattr(torch.nn.functional, function)(
        t, torch.tensor(target), weight=None if w is None else torch.tensor(w), ignore_index=ignore_index,
        reduction=reduction)
    return (x, ours), (t, theirs)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("function", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("upstream", [1.0, -1.0, np.inf, -np.inf, np.nan])
def test_ignored_rows_give_plus_zero_loss_and_gradient_under_any_upstream(dtype, function, reduction, upstream):
    (x, ours), (t, theirs) = losses(dtype, function, reduction, [0, -100, 2, -100])
    assert_same_bits(ours.data, theirs, rtol=1e-6)
    with np.errstate(invalid="ignore"):  # ∞ − ∞ in log_softmax's backward of a kept row, as PyTorch computes it
        ours.backward(np.full(ours.shape, upstream, dtype=dtype))
    theirs.backward(torch.full(theirs.shape, upstream, dtype=TORCH_DTYPES[np.dtype(dtype)]))
    assert_same_bits(x.grad, t.grad, rtol=1e-6)
    assert not np.isnan(x.grad[[1, 3]]).any() and not np.signbit(x.grad[[1, 3]]).any()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("function", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weight, target", [
    ([1.0, -1.0, 0.0], [0, 1, 2, 2]),  # Σ wᵢ over the samples = 1 − 1 + 0 + 0 = 0: ∓∞
    ([1.0, -1.0, 2.0], [0, 1, -100, -100]),  # the same with ignored rows
    ([0.0, 0.0, 0.0], [0, 1, 2, 1]),  # every weight 0: 0/0 = NaN
    ([1.0, 1.0, 1.0], [-100, -100, -100, -100]),  # every row ignored: 0/0 = NaN
], ids=["zero-sum", "zero-sum-with-ignored", "all-zero", "all-ignored"])
def test_class_weights_summing_to_zero_give_torchs_infinities(dtype, function, weight, target):
    (x, ours), (t, theirs) = losses(dtype, function, "mean", target, weight)
    with np.errstate(invalid="ignore"):  # ∞ − ∞ in log_softmax's backward, as PyTorch computes it
        assert_same_bits(ours.data, theirs, rtol=1e-6)
        ours.backward()
    theirs.backward()
    assert_same_bits(x.grad, t.grad, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("x0", [1.5, -1.5, 0.0])
def test_a_zero_loss_of_one_sample_has_torchs_sign(dtype, reduction, x0):
    """A zero-weighted class: −w·x is −0.0 for x > 0 where PyTorch's sum from 0 gives +0.0."""
    x, t = both([x0, -2.0, 0.5], dtype)
    weight = np.array([0.0, 1.0, 1.0], dtype=dtype)
    ours = nn.functional.nll_loss(x, np.array(0), weight=weight, reduction=reduction)
    theirs = torch.nn.functional.nll_loss(t, torch.tensor(0), weight=torch.tensor(weight), reduction=reduction)
    with np.errstate(invalid="ignore"):  # 'mean': 0/0
        assert_same_bits(ours.data, theirs)


# ---------------------------------------------------------------- a 0-d leaf's grad (item 3)

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_0d_leafs_grad_stays_an_array_through_backward_twice_and_zero_grad_in_place(dtype, optimizer):
    (w, t) = both(1.5, dtype)
    ours, theirs = getattr(tg.optim, optimizer)([w], lr=0.1), getattr(torch.optim, optimizer)([t], lr=0.1)
    for step in ("backward", "backward", "zero_grad", "backward", "zero_grad"):
        if step == "backward":
            (w * w * 3).backward()
            (t * t * 3).backward()
        else:
            ours.zero_grad(set_to_none=False)
            theirs.zero_grad(set_to_none=False)
        assert type(w.grad) is np.ndarray and w.grad.shape == () and w.grad.dtype == dtype
        assert_same_bits(w.grad, t.grad)
