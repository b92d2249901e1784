"""Module: registration, names, state dicts, load_state_dict's all-or-nothing rule, modes, dtypes, repr."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import Parameter


def mlp() -> nn.Sequential:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())


class TwoBranches(nn.Module):
    """Registers ``scale`` before its children and ``offset`` after them."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.ones(2))
        self.left = nn.Linear(2, 2)
        self.right = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
        self.offset = Parameter(np.zeros(2))

    def forward(self, x):
        return self.right(self.left(x * self.scale)) + self.offset


def test_named_parameters_use_torch_names_in_registration_order():
    names = [name for name, _ in mlp().named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_own_parameters_come_before_childrens_as_in_torch():
    names = [name for name, _ in TwoBranches().named_parameters()]
    assert names == ["scale", "offset", "left.weight", "left.bias", "right.0.weight", "right.0.bias"]


def test_parameters_are_named_by_their_state_dict_name():
    model = TwoBranches()
    assert [p.name for p in model.parameters()] == list(model.state_dict())


def test_plain_values_and_numbers_are_not_registered():
    model = nn.Module()
    model.mask = tg.tensor([1.0, 0.0], requires_grad=True)
    model.size = 3
    assert list(model.parameters()) == [] and list(model.children()) == []


def test_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3


def test_children_and_modules():
    model = TwoBranches()
    assert [type(m).__name__ for m in model.children()] == ["Linear", "Sequential"]
    assert [name for name, _ in model.named_modules()] == ["", "left", "right", "right.0", "right.1"]
    assert next(iter(model.modules())) is model


def test_reassigning_a_parameter_with_a_plain_value_is_a_type_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Value as parameter 'weight'"):
        layer.weight = tg.tensor(np.zeros((2, 2)))
    assert isinstance(layer.weight, Parameter)


def test_assigning_none_removes_a_parameter_from_the_list():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]


def test_assigning_before_init_is_an_attribute_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()


def test_state_dict_holds_copies():
    model = mlp()
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    state["0.weight"][...] = 42.0
    assert not np.any(model[0].weight.data == 42.0)


def test_load_state_dict_round_trip_copies_values():
    source, target = mlp(), nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target[0].weight.data is not source[0].weight.data


def test_load_state_dict_keeps_parameter_dtype():
    model = mlp()
    model.load_state_dict({name: array.astype(np.float64) for name, array in model.state_dict().items()})
    assert all(p.dtype == np.float32 for p in model.parameters())


def broken_state(model):
    state = model.state_dict()
    del state["0.bias"]
    state["2.weight"] = np.zeros((2, 3))
    state["extra.weight"] = np.zeros(1)
    return state


def test_load_state_dict_lists_every_problem():
    with pytest.raises(RuntimeError) as error:
        mlp().load_state_dict(broken_state(mlp()))
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "0.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for 2.weight: copying a param with shape (2, 3)" in message
    assert "the shape in current model is (1, 3)" in message


@pytest.mark.parametrize("strict", [True, False])
def test_failed_load_state_dict_leaves_the_model_unchanged(strict):
    model = mlp()
    before = model.state_dict()
    state = broken_state(model)
    state["0.weight"] = np.full((3, 2), 7.0)  # a valid entry that must not be copied either
    with pytest.raises(RuntimeError):
        model.load_state_dict(state, strict=strict)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)


def test_non_strict_load_reports_missing_and_unexpected_keys():
    model = mlp()
    state = model.state_dict()
    del state["2.bias"]
    state["other"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["other"]


def test_save_and_load_round_trip_keeps_names_order_and_values(tmp_path):
    model = TwoBranches()
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    loaded = tg.load(path)
    assert list(loaded) == list(model.state_dict())
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype
    fresh = TwoBranches()
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh.left.weight.data, model.left.weight.data)


def test_save_writes_exactly_the_given_path(tmp_path):
    path = tmp_path / "weights.bin"
    tg.save({"file": np.ones(2)}, path)
    assert path.exists() and list(tg.load(path)) == ["file"]


def test_zero_grad_sets_grads_to_none():
    model = mlp()
    model(tg.tensor([[1.0, 2.0]])).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_training_everywhere():
    model = TwoBranches()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_double_and_float_convert_parameters_in_place():
    model = mlp()
    weight = model[0].weight
    assert model.double() is model
    assert model[0].weight is weight and all(p.dtype == np.float64 for p in model.parameters())
    assert model(tg.tensor([[1.0, 2.0]], dtype=np.float64)).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_to_an_integer_dtype_is_a_type_error_and_changes_nothing():
    model = mlp()
    with pytest.raises(TypeError, match="floating"):
        model.to(np.int64)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_repr_lists_layers_as_torch_does():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1, bias=False), nn.Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=1, bias=False)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )


def test_forward_hook_sees_output_and_can_be_removed():
    layer, seen = nn.Linear(2, 2), []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    layer(tg.tensor([1.0, 2.0]))
    handle.remove()
    layer(tg.tensor([1.0, 2.0]))
    assert seen == [(2,)]


def test_sequential_indexing_slicing_and_len():
    model = mlp()
    assert len(model) == 4 and isinstance(model[-1], nn.Sigmoid)
    tail = model[2:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[0] is model[2]
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        model[4]


def test_sequential_rejects_a_non_module():
    with pytest.raises(TypeError, match="argument 1 is a function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)
