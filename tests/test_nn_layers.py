"""Linear, the activation modules, and nn.init."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def test_linear_shapes_and_default_dtype():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad


@pytest.mark.parametrize("in_features", [1, 4, 100])
def test_linear_init_is_uniform_within_one_over_sqrt_in(in_features):
    tg.manual_seed(1)
    layer = nn.Linear(in_features, 500)
    bound = 1 / np.sqrt(in_features)
    for parameter in (layer.weight, layer.bias):
        assert np.all(np.abs(parameter.data) <= bound)
        assert np.abs(parameter.data).max() > 0.9 * bound  # spread over the whole interval
        assert abs(parameter.data.mean()) < 0.1 * bound


def test_linear_init_is_reproducible_under_manual_seed():
    tg.manual_seed(7)
    first = nn.Linear(3, 2).state_dict()
    tg.manual_seed(7)
    second = nn.Linear(3, 2).state_dict()
    assert all(np.array_equal(first[name], second[name]) for name in first)
    assert not np.array_equal(first["weight"], nn.Linear(3, 2).weight.data)


def test_linear_dtype_argument():
    assert nn.Linear(2, 2, dtype=np.float64).bias.dtype == np.float64


@pytest.mark.parametrize("shape", [(3,), (5, 3), (4, 2, 3)])
def test_linear_computes_x_w_transpose_plus_b_on_any_batch_shape(shape):
    tg.manual_seed(0)
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(tg.tensor(x))
    assert out.shape == shape[:-1] + (2,)
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, atol=1e-12)


def test_linear_without_bias():
    layer = nn.Linear(2, 3, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    np.testing.assert_allclose(layer(tg.tensor([1.0, 0.0])).data, layer.weight.data[:, 0])


@pytest.mark.parametrize("shape", [(2,), (4, 5), ()])
def test_linear_wrong_input_size_names_layer_and_both_sizes(shape):
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError) as error:
        layer(tg.tensor(np.ones(shape)))
    message = str(error.value)
    assert "Linear(in_features=3, out_features=2" in message and "expected in_features = 3" in message
    assert (f"last dimension is {shape[-1]}" if shape else "a scalar") in message


def test_linear_gradient_passes_gradcheck():
    tg.manual_seed(0)
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(4, 3))
    assert tg.gradcheck(lambda w, b, x: F.linear(x, w, b), layer.weight, layer.bias, x)


def test_activation_modules_match_functional_and_value_methods():
    x = tg.tensor([-2.0, 0.0, 0.5])
    for module, function in [(nn.Sigmoid(), F.sigmoid), (nn.ReLU(), F.relu), (nn.Tanh(), F.tanh)]:
        np.testing.assert_array_equal(module(x).data, function(x).data)
        assert list(module.parameters()) == []
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x.data)), rtol=1e-6)
    np.testing.assert_array_equal(nn.ReLU()(x).data, [0.0, 0.0, 0.5])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x.data), rtol=1e-6)


def test_init_constant_zeros_uniform_change_values_in_place():
    layer = nn.Linear(4, 3)
    weight = layer.weight
    assert nn.init.constant_(layer.weight, 0.1) is weight
    np.testing.assert_array_equal(weight.data, np.full((3, 4), 0.1, dtype=np.float32))
    nn.init.zeros_(layer.bias)
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))
    nn.init.uniform_(weight, -2.0, -1.0)
    assert np.all((weight.data >= -2.0) & (weight.data < -1.0)) and weight.dtype == np.float32


def test_init_builds_no_graph():
    layer = nn.Linear(2, 2)
    nn.init.constant_(layer.weight, 0.5)
    assert layer.weight.is_leaf and layer.weight.requires_grad
