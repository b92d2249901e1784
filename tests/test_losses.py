"""Losses: values from their formulas, reductions, gradients (hypothesis + gradcheck), and bad arguments."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import nn

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
LOSSES = [nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.MSELoss]


def reduce(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](values)


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches_its_formula(reduction):
    x, y = np.array([0.1, 0.5, 0.9, 0.3]), np.array([0.0, 1.0, 1.0, 0.25])
    expected = reduce(-(y * np.log(x) + (1 - y) * np.log(1 - x)), reduction)
    np.testing.assert_allclose(nn.BCELoss(reduction=reduction)(tg.tensor(x), y).data, expected, rtol=1e-12)


@pytest.mark.parametrize("x, y", [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.0, 0.3)])
def test_bce_at_exactly_0_and_1_is_finite_with_log_clamped_at_minus_100(x, y):
    input = tg.tensor([x], dtype=np.float64, requires_grad=True)
    loss = nn.BCELoss()(input, [y])
    loss.backward()
    clamped = -(y * max(np.log(x) if x else -np.inf, -100) + (1 - y) * max(np.log(1 - x) if x < 1 else -np.inf, -100))
    np.testing.assert_allclose(loss.item(), clamped, atol=1e-12)
    np.testing.assert_allclose(input.grad, [(x - y) / max(x * (1 - x), 1e-12)])
    assert np.isfinite(input.grad).all()


def test_bce_with_logits_matches_bce_of_sigmoid():
    logits, y = np.array([-3.0, -0.2, 0.0, 1.5]), np.array([0.0, 1.0, 0.5, 1.0])
    with_logits = nn.BCEWithLogitsLoss(reduction="none")(tg.tensor(logits), y)
    plain = nn.BCELoss(reduction="none")(tg.tensor(logits).sigmoid(), y)
    np.testing.assert_allclose(with_logits.data, plain.data, rtol=1e-12)


def test_bce_with_logits_is_exact_and_has_finite_gradient_for_logits_of_1000():
    logits = tg.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction="none")(logits, [1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_array_equal(logits.grad, [0.0, 0.0, 1.0, -1.0])  # σ(x) − y


def test_cross_entropy_with_index_target_is_minus_log_softmax_of_the_class():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    loss = nn.CrossEntropyLoss(reduction="none")(tg.tensor(logits), [2, 0])
    np.testing.assert_allclose(loss.data, [-log_p[0, 2], -log_p[1, 0]], rtol=1e-12)


@pytest.mark.parametrize("target", [0, [0], np.int64(0), np.array(0), tg.tensor(0)])
def test_cross_entropy_accepts_an_int_target_of_shape_empty_in_any_form(target):
    if isinstance(target, list):
        target = np.array(target[0])
    loss = nn.CrossEntropyLoss()(tg.tensor([0.0580, 0.4275], dtype=np.float64), target)
    np.testing.assert_allclose(loss.item(), np.log(1 + np.exp(0.4275 - 0.0580)), rtol=1e-12)


def test_cross_entropy_with_one_hot_probabilities_equals_index_target():
    logits = tg.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    by_index = nn.CrossEntropyLoss()(logits, [1, 2])
    by_probability = nn.CrossEntropyLoss()(logits, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(by_index.data, by_probability.data, rtol=1e-6)


def test_cross_entropy_is_stable_for_logits_of_1000():
    logits = tg.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction="sum")(logits, [1, 1])
    np.testing.assert_array_equal(loss.data, 2000.0)
    loss.backward()
    np.testing.assert_array_equal(logits.grad, [[1.0, -1.0], [0.0, 0.0]])


def test_cross_entropy_keeps_the_batch_shape_with_reduction_none():
    logits = tg.randn(2, 3, 4)  # classes on axis 1, as in PyTorch: 2 samples × 4 positions, 3 classes
    assert nn.CrossEntropyLoss(reduction="none")(logits, np.zeros((2, 4), dtype=np.int64)).shape == (2, 4)


def test_mse_is_mean_of_squared_differences():
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, 2.0], [1.0, 5.0]])
    np.testing.assert_allclose(nn.MSELoss()(tg.tensor(x), y).item(), np.mean((x - y) ** 2))
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(tg.tensor(x), tg.tensor(y)).item(), np.sum((x - y) ** 2))


def test_float32_input_gives_float32_loss():
    x = tg.tensor([0.2, 0.7])
    for loss in (nn.BCELoss()(x, [0.0, 1.0]), nn.BCEWithLogitsLoss()(x, [0.0, 1.0]),
                 nn.CrossEntropyLoss()(x, 1), nn.MSELoss()(x, [0.0, 1.0])):
        assert loss.dtype == np.float32


# ---------------------------------------------------------------- gradients, by hypothesis

@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=floats(0.05, 0.95)),
       st.data(), REDUCTIONS)
def test_bce_gradient_with_respect_to_input_and_target(x, data, reduction):
    # targets away from 0 and 1: finite differences step past them, and BCE rejects targets outside [0, 1]
    y = data.draw(arrays(np.float64, x.shape, elements=floats(0.01, 0.99)))
    loss_fn = nn.BCELoss(reduction=reduction)
    assert tg.gradcheck(loss_fn, tg.Value(x, requires_grad=True), tg.Value(y, requires_grad=True))


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=floats(-20, 20)),
       st.data(), REDUCTIONS)
def test_bce_with_logits_gradient(x, data, reduction):
    y = data.draw(arrays(np.float64, x.shape, elements=floats(0, 1)))
    loss_fn = nn.BCEWithLogitsLoss(reduction=reduction)
    assert tg.gradcheck(loss_fn, tg.Value(x, requires_grad=True), tg.Value(y, requires_grad=True))


@given(st.lists(st.integers(1, 4), max_size=2), st.integers(1, 5), st.data(), REDUCTIONS)
def test_cross_entropy_gradient_with_index_targets(batch, classes, data, reduction):
    logits = data.draw(arrays(np.float64, (*batch[:1], classes, *batch[1:]), elements=floats(-10, 10)))
    target = data.draw(arrays(np.int64, tuple(batch), elements=st.integers(0, classes - 1)))
    loss_fn = nn.CrossEntropyLoss(reduction=reduction)
    assert tg.gradcheck(lambda z: loss_fn(z, target), tg.Value(logits, requires_grad=True))


@given(st.lists(st.integers(1, 4), max_size=2), st.integers(1, 5), st.data(), REDUCTIONS)
def test_cross_entropy_gradient_with_probability_targets(batch, classes, data, reduction):
    shape = (*batch[:1], classes, *batch[1:])  # classes on axis 1 (axis 0 for a single sample)
    logits = data.draw(arrays(np.float64, shape, elements=floats(-10, 10)))
    weights = data.draw(arrays(np.float64, shape, elements=floats(0.01, 1)))
    target = weights / weights.sum(min(1, len(batch)), keepdims=True)
    loss_fn = nn.CrossEntropyLoss(reduction=reduction)
    assert tg.gradcheck(loss_fn, tg.Value(logits, requires_grad=True), tg.Value(target, requires_grad=True))


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=floats(-10, 10)),
       st.data(), REDUCTIONS)
def test_mse_gradient(x, data, reduction):
    y = data.draw(arrays(np.float64, x.shape, elements=floats(-10, 10)))
    loss_fn = nn.MSELoss(reduction=reduction)
    assert tg.gradcheck(loss_fn, tg.Value(x, requires_grad=True), tg.Value(y, requires_grad=True))


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("loss", LOSSES)
def test_unknown_reduction_is_a_value_error(loss):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        loss(reduction="avg")


@pytest.mark.parametrize("x, y, what", [([0.5, 1.5], [0.0, 1.0], "input"), ([-0.1, 0.5], [0.0, 1.0], "input"),
                                        ([0.5, np.nan], [0.0, 1.0], "input"), ([0.5, 0.5], [0.0, 2.0], "target")])
def test_bce_outside_0_1_is_a_value_error_naming_the_argument(x, y, what):
    input = tg.tensor(x, requires_grad=True)
    with pytest.raises(ValueError, match=f"BCELoss: every {what} element must be in \\[0, 1\\]"):
        nn.BCELoss()(input, y)
    assert input.grad is None


@pytest.mark.parametrize("loss", [nn.BCELoss, nn.BCEWithLogitsLoss, nn.MSELoss])
def test_shape_mismatch_is_a_value_error_naming_both_shapes(loss):
    with pytest.raises(ValueError, match=r"target shape \(2, 1\) differs from input shape \(2,\)"):
        loss()(tg.tensor([0.5, 0.5]), [[0.0], [1.0]])


@pytest.mark.parametrize("loss", LOSSES)
def test_non_floating_input_is_a_type_error(loss):
    with pytest.raises(TypeError, match="input must be a floating-point Value"):
        loss()(tg.tensor([0, 1]), [0, 1])


@pytest.mark.parametrize("target", [5, -1, [0, 2]])
def test_cross_entropy_class_index_out_of_range_is_an_index_error_naming_it(target):
    logits = tg.tensor([[0.1, 0.2], [0.3, 0.4]]) if isinstance(target, list) else tg.tensor([0.1, 0.2])
    with pytest.raises(IndexError, match=r"target class index (5|-1|2) is out of range for 2 classes"):
        nn.CrossEntropyLoss()(logits, target)


@pytest.mark.parametrize("target, shape, dtype", [
    ([0, 1, 1], "(3,)", "int64"),              # index target, wrong batch size
    ([[0, 1]], "(1, 2)", "int64"),             # integers of the logits' shape
    ([0.0, 1.0], "(2,)", "float64"),           # probabilities of the wrong shape
    ([True, False], "(2,)", "bool"),           # neither integers nor floats
])
def test_cross_entropy_wrong_target_is_a_value_error_naming_shapes_and_dtypes(target, shape, dtype):
    with pytest.raises(ValueError) as error:
        nn.CrossEntropyLoss()(tg.tensor([[0.1, 0.2]]), target)
    message = str(error.value)
    assert f"target of shape {shape} and dtype {dtype}" in message
    assert "logits of shape (1, 2) and dtype float32" in message


def test_cross_entropy_of_a_scalar_is_a_value_error():
    with pytest.raises(ValueError, match="got a scalar"):
        nn.CrossEntropyLoss()(tg.tensor(1.0), 0)


# ---------------------------------------------------------------- the unweighted path

@given(classes=st.integers(1, 4), batch=st.sampled_from([(), (5,), (3, 2)]), reduction=REDUCTIONS,
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_without_weights_or_ignored_targets_cross_entropy_is_the_weighted_path_with_unit_weights(
        classes, batch, reduction, dtype, seed):
    # No weight and no ignored target skips the weight arrays (ops.NllLoss); it must give what
    # weights of 1 give, which take the general path, bit for bit, in the loss and its gradient.
    rng = np.random.default_rng(seed)
    shape = (classes,) if batch == () else (batch[0], classes) + batch[1:]
    logits, target = rng.standard_normal(shape).astype(dtype), rng.integers(0, classes, batch)
    results = []
    for weight in (None, np.ones(classes)):
        x = tg.Value(logits, requires_grad=True)
        loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction)(x, target)
        loss.backward(np.ones(loss.shape))
        results.append((loss.data, x.grad))
    (loss, grad), (expected_loss, expected_grad) = results
    assert loss.dtype == expected_loss.dtype == dtype and grad.dtype == dtype
    np.testing.assert_array_equal(loss, expected_loss)
    np.testing.assert_array_equal(grad, expected_grad)
