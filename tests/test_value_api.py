"""The Value class as a user meets it: construction and dtypes, grad, printing,
conversions, comparisons, and the factory functions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value

# ---------------------------------------------------------------- dtype rules of the constructor


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_data_sent_through_pickle_holds_numpys_own_dtype(dtype):
    # An unpickled array (multiprocessing sends arrays so) carries an equal copy of its dtype,
    # which ufuncs pass on; value._forward compares dtypes by identity, so a Value holds numpy's.
    array = pickle.loads(pickle.dumps(np.arange(6).reshape(2, 3).astype(dtype)))
    assert array.dtype is not np.dtype(dtype)
    x = tg.tensor(array)
    assert x.data.dtype is np.dtype(dtype)
    np.testing.assert_array_equal(x.data, array)


def test_a_classifier_on_unpickled_data_takes_no_dtype_detour(monkeypatch):
    # Without numpy's own dtype, the loss (a numpy scalar of numpy's float32 after log-probabilities
    # of the copied one) was recomputed in "PyTorch's dtype" on every step.
    from tinygrad_edu import nn, value
    calls = []
    redo = value.forward_in_torch_dtype
    monkeypatch.setattr(value, "forward_in_torch_dtype", lambda *args: calls.append(args) or redo(*args))
    x = tg.tensor(pickle.loads(pickle.dumps(np.ones((5, 4), np.float32))))
    target = tg.tensor(pickle.loads(pickle.dumps(np.array([0, 1, 2, 1, 0]))))
    loss = nn.CrossEntropyLoss()(nn.Linear(4, 3)(x), target)
    assert loss.dtype == np.float32 and calls == []


def test_big_endian_data_becomes_native_with_the_same_numbers():
    array = np.array([1.5, -2.0, 3.25], dtype=">f8")
    x = tg.tensor(array)
    assert x.data.dtype is np.dtype(np.float64)
    np.testing.assert_array_equal(x.data, array)
    np.testing.assert_array_equal((x * 2).data, [3.0, -4.0, 6.5])



@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.5], np.float32), ([[1, 2.5]], np.float32),
    (3, np.int64), ([1, 2], np.int64),
    (True, np.bool_), ([True, False], np.bool_),
])
def test_python_data_gets_torch_default_dtype(data, dtype):
    assert Value(data).dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_numpy_data_keeps_its_dtype(dtype):
    assert Value(np.zeros(3, dtype=dtype)).dtype == np.dtype(dtype)


def test_numpy_scalar_keeps_its_dtype():
    assert Value(np.float64(0.5)).dtype == np.float64


@pytest.mark.parametrize("spelling", ["float64", np.float64, float, "f8", np.dtype("float64")])
def test_dtype_accepts_anything_np_dtype_accepts(spelling):
    assert Value([1, 2], dtype=spelling).dtype == np.dtype(spelling)


def test_dtype_property_is_an_np_dtype():
    assert isinstance(Value(1.0).dtype, np.dtype)


def test_constructor_copies_numpy_data():
    array = np.array([1.0, 2.0])
    v = Value(array)
    array[0] = 99.0
    assert v.data[0] == 1.0


def test_value_of_a_value_copies_data_and_dtype():
    v = Value(np.array([1.0, 2.0]))
    w = Value(v)
    assert w.dtype == np.float64
    assert not np.shares_memory(v.data, w.data)


def test_scalar_data_is_a_0d_array():
    v = Value(2.0)
    assert isinstance(v.data, np.ndarray)
    assert v.shape == () and v.ndim == 0


def test_tensor_factory_makes_a_leaf_like_the_constructor():
    v = tg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    assert v.dtype == np.float64 and v.requires_grad and v.is_leaf


# ---------------------------------------------------------------- grad


def test_grad_is_none_before_backward():
    assert Value([1.0], requires_grad=True).grad is None


def test_grad_setter_casts_to_the_data_dtype():
    v = Value([1.0, 2.0], requires_grad=True)
    v.grad = np.array([0.5, 0.25], dtype=np.float64)
    assert v.grad.dtype == np.float32
    np.testing.assert_array_equal(v.grad, [0.5, 0.25])


def test_grad_setter_accepts_a_list():
    v = Value([1.0, 2.0], requires_grad=True)
    v.grad = [3, 4]
    assert v.grad.dtype == np.float32


def test_grad_setter_rejects_a_wrong_shape_with_value_error_naming_both_shapes():
    v = Value([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        v.grad = np.zeros(3)
    assert v.grad is None  # nothing modified


def test_zeroing_grad_sets_none():
    x = Value([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad = None
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # fresh, not accumulated


def test_hand_written_grad_feeds_backward_of_the_next_layer():
    # As the slides do: set dL/dy by hand, then push it back through y = 2x.
    x = Value([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.backward(np.array([0.5, -1.0]))
    np.testing.assert_array_equal(x.grad, [1.0, -2.0])


# ---------------------------------------------------------------- repr


def test_repr_of_sigmoid_output_matches_the_slide():
    x = Value([0.18, -0.18], requires_grad=True)
    assert repr(x.sigmoid()) == "Value([0.5449, 0.4551], grad_fn=<SigmoidBackward0>)"


def test_repr_of_leaf_requiring_grad_says_so():
    assert repr(Value([1.0, 2.0], requires_grad=True)) == "Value([1., 2.], requires_grad=True)"


def test_repr_shows_a_non_default_float_dtype():
    assert repr(Value([0.5], dtype=np.float64)) == "Value([0.5000], dtype=float64)"


def test_repr_hides_the_default_int_dtype_and_shows_others():
    assert repr(Value([1, 2])) == "Value([1, 2])"
    assert repr(Value([1, 2], dtype=np.int32)) == "Value([1, 2], dtype=int32)"


def test_repr_of_a_scalar_has_no_brackets():
    assert repr(Value(0.25)) == "Value(0.2500)"


def test_repr_lines_up_the_rows_of_a_matrix():
    assert repr(Value([[1.5, -0.25], [3.0, 4.0]])) == "Value([[ 1.5000, -0.2500],\n       [ 3.0000,  4.0000]])"


# ---------------------------------------------------------------- conversions


def test_item_returns_a_python_number():
    item = Value([2.5]).item()
    assert item == 2.5 and type(item) is float


def test_item_of_several_elements_raises_value_error():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        Value([1.0, 2.0]).item()


def test_numpy_shares_memory_with_the_value():
    v = Value([1.0, 2.0])
    assert np.shares_memory(v.numpy(), v.data)


def test_detach_is_a_leaf_without_grad_sharing_the_data():
    x = Value([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    assert (y * 3).sum().grad_fn is None  # no graph back to x
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_to_an_integer_dtype_gives_a_value_without_grad():
    y = Value([1.5, 2.5], requires_grad=True).to(np.int64)
    assert y.dtype == np.int64 and not y.requires_grad


# ---------------------------------------------------------------- comparisons and hashing


@pytest.mark.parametrize("compare, expected", [
    (lambda a, b: a == b, [False, True, False]), (lambda a, b: a != b, [True, False, True]),
    (lambda a, b: a < b, [True, False, False]), (lambda a, b: a <= b, [True, True, False]),
    (lambda a, b: a > b, [False, False, True]), (lambda a, b: a >= b, [False, True, True]),
])
def test_comparisons_are_elementwise_bool_values_without_grad(compare, expected):
    a = Value([1.0, 2.0, 3.0], requires_grad=True)
    result = compare(a, Value([2.0, 2.0, 2.0]))
    assert isinstance(result, Value)
    assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal(result.data, expected)


def test_comparison_with_a_python_number_broadcasts():
    np.testing.assert_array_equal((Value([1.0, 3.0]) > 2).data, [False, True])


def test_value_hashes_by_identity():
    a, b = Value(1.0), Value(1.0)
    table = {a: "a", b: "b"}
    assert len(table) == 2 and table[a] == "a"
    assert hash(a) == object.__hash__(a)


# ---------------------------------------------------------------- factories


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.rand, tg.randn])
def test_factories_default_to_float32_and_take_a_shape_either_way(factory):
    assert factory(2, 3).shape == (2, 3) == factory((2, 3)).shape
    assert factory(2).dtype == np.float32


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.rand, tg.randn])
def test_factories_take_dtype_and_requires_grad(factory):
    v = factory(3, dtype=np.float64, requires_grad=True)
    assert v.dtype == np.float64 and v.requires_grad


def test_zeros_and_ones_are_filled():
    np.testing.assert_array_equal(tg.zeros(2).data, [0, 0])
    np.testing.assert_array_equal(tg.ones(2).data, [1, 1])


def test_rand_is_in_the_unit_interval():
    data = tg.rand(1000).data
    assert data.min() >= 0 and data.max() < 1


@pytest.mark.parametrize("factory", [tg.rand, tg.randn])
def test_manual_seed_makes_random_draws_repeatable(factory):
    tg.manual_seed(1234)
    first = factory(5).data
    tg.manual_seed(1234)
    np.testing.assert_array_equal(factory(5).data, first)


def test_different_seeds_give_different_draws():
    tg.manual_seed(1)
    first = tg.randn(5).data
    tg.manual_seed(2)
    assert not np.array_equal(tg.randn(5).data, first)


def test_arange_of_ints_is_int64_and_of_floats_float32():
    assert tg.arange(5).dtype == np.int64
    np.testing.assert_array_equal(tg.arange(5).data, [0, 1, 2, 3, 4])
    assert tg.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(tg.arange(0, 1, 0.25).data, [0, 0.25, 0.5, 0.75])


def test_argmax_gives_the_index_of_the_largest_element_along_an_axis():
    v = Value([[1.0, 9.0, 3.0], [7.0, 0.0, 8.0]])
    np.testing.assert_array_equal(tg.argmax(v, axis=1).data, [1, 2])
    assert tg.argmax(v).item() == 1
