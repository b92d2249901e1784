"""PyTorch's API where users type it from memory (issue 23): each case run in both, side by side.

SGD's positional order, an optimizer given a frozen layer, ``opt.state[p]`` of a fresh parameter,
Adagrad's initial accumulator, and ``register_parameter`` with a name the module already uses.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")

START = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)


def pair(data=START, requires_grad=True):
    return tg.tensor(data.copy(), requires_grad=requires_grad), torch.tensor(data.copy(), requires_grad=requires_grad)


def quartic(p):
    """Works on Values and on tensors: a loss whose gradient changes from step to step."""
    return ((p - 0.3) ** 4 + p * 0.7).sum()


def run(ours, theirs, ps, ts, steps=4):
    for _ in range(steps):
        for opt, params in ((ours, ps), (theirs, ts)):
            opt.zero_grad()
            sum(quartic(p) for p in params).backward()
            opt.step()


# ------------------------------------------ SGD(params, lr, momentum, dampening, weight_decay, nesterov)

@pytest.mark.parametrize("arguments", [(0.1, 0.9, 0, 1e-2), (0.05, 0.9, 0, 0.1, True), (0.1, 0.5, 0.3, 0.05, False)])
def test_sgd_takes_its_options_in_pytorchs_positional_order(arguments):
    (p, t) = pair()
    ours, theirs = optim.SGD([p], *arguments), torch.optim.SGD([t], *arguments)
    run(ours, theirs, [p], [t])
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-5, atol=1e-6)
    group, torch_group = ours.param_groups[0], theirs.param_groups[0]
    assert {k: group[k] for k in ours.defaults} == {k: torch_group[k] for k in ours.defaults}


def test_sgd_with_weight_decay_as_fifth_argument_is_not_read_as_nesterov():
    p, _ = pair()
    opt = optim.SGD([p], 0.1, 0.9, 0, 1e-4)  # failed before: 1e-4 went to nesterov
    assert opt.param_groups[0]["weight_decay"] == 1e-4 and opt.param_groups[0]["nesterov"] is False


# ---------------------------------------------------------------- a frozen layer

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_an_optimizer_accepts_a_frozen_layer_and_skips_it(name):
    torch.manual_seed(0)
    theirs_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    ours_model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    for mine, its in zip(ours_model.parameters(), theirs_model.parameters(), strict=True):
        mine.data[...] = its.detach().numpy()
    for model in (ours_model, theirs_model):
        for p in model[0].parameters():
            p.requires_grad = False  # the first layer frozen, as in fine-tuning
    frozen = [p.data.copy() for p in ours_model[0].parameters()]
    ours = getattr(optim, name)(ours_model.parameters(), lr=0.05)
    theirs = getattr(torch.optim, name)(theirs_model.parameters(), lr=0.05)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    for _ in range(3):
        for opt, model, inputs in ((ours, ours_model, tg.tensor(x)), (theirs, theirs_model, torch.tensor(x))):
            opt.zero_grad()
            (model(inputs) ** 2).mean().backward()
            opt.step()
    for mine, its in zip(ours_model.parameters(), theirs_model.parameters(), strict=True):
        np.testing.assert_allclose(mine.data, its.detach().numpy(), rtol=1e-5, atol=1e-6)
    for before, p in zip(frozen, ours_model[0].parameters(), strict=True):
        np.testing.assert_array_equal(p.data, before)
        assert p.grad is None
    assert len(ours.state) == len(theirs.state)


def test_a_non_leaf_is_still_refused_as_in_pytorch():
    p, t = pair()
    with pytest.raises(ValueError, match="non-leaf"):
        torch.optim.SGD([t * 2], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


# ---------------------------------------------------------------- opt.state[p]

@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_state_of_a_fresh_parameter_is_an_empty_dict_as_pytorchs_defaultdict(name):
    p, t = pair()
    ours, theirs = getattr(optim, name)([p], lr=0.1), getattr(torch.optim, name)([t], lr=0.1)
    assert ours.state[p] == theirs.state[t] == {}
    ours.state[p]["note"] = 1  # a dict that stays, as in PyTorch
    assert ours.state[p] == {"note": 1}


def test_state_stays_a_defaultdict_after_load_state_dict():
    p, _ = pair()
    q, _ = pair()
    opt = optim.SGD([p, q], lr=0.1, momentum=0.9)
    p.grad = np.ones_like(p.data)
    opt.step()
    opt.load_state_dict(opt.state_dict())
    assert opt.state[q] == {} and "momentum_buffer" in opt.state[p]


# ---------------------------------------------------------------- Adagrad's initial accumulator

def test_adagrad_starts_every_sum_at_the_constructors_initial_accumulator_value():
    (p, t), (q, s) = pair(), pair(START[::-1].copy())
    ours = optim.Adagrad([{"params": [p]}, {"params": [q], "initial_accumulator_value": 3.0}],
                         lr=0.1, initial_accumulator_value=0.5)
    theirs = torch.optim.Adagrad([{"params": [t]}, {"params": [s], "initial_accumulator_value": 3.0}],
                                 lr=0.1, initial_accumulator_value=0.5)
    np.testing.assert_array_equal(ours.state[q]["sum"], theirs.state[s]["sum"].numpy())
    run(ours, theirs, [p, q], [t, s])
    for mine, its in ((p, t), (q, s)):
        np.testing.assert_allclose(mine.data, its.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.state[mine]["sum"], theirs.state[its]["sum"].numpy(), rtol=1e-5)
    assert ours.param_groups[1]["initial_accumulator_value"] == theirs.param_groups[1]["initial_accumulator_value"]


def test_adagrad_a_group_added_later_starts_at_the_constructors_value_too():
    (p, t), (q, s) = pair(), pair(START * 2)
    ours = optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.5)
    theirs = torch.optim.Adagrad([t], lr=0.1, initial_accumulator_value=0.5)
    ours.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    theirs.add_param_group({"params": [s], "initial_accumulator_value": 2.0})
    run(ours, theirs, [p, q], [t, s], steps=2)
    np.testing.assert_allclose(ours.state[q]["sum"], theirs.state[s]["sum"].numpy(), rtol=1e-5)
    np.testing.assert_allclose(q.data, s.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- register_parameter

def modules():
    return nn.Linear(2, 3), torch.nn.Linear(2, 3)


@pytest.mark.parametrize("name", ["forward", "parameters", "in_features", "training"])
def test_register_parameter_under_a_name_the_module_has_raises_as_pytorch(name):
    ours, theirs = modules()
    with pytest.raises(KeyError) as torch_error:
        theirs.register_parameter(name, torch.nn.Parameter(torch.ones(1)))
    with pytest.raises(KeyError) as error:
        ours.register_parameter(name, nn.Parameter(np.ones(1)))
    assert str(error.value) == str(torch_error.value) == repr(f"attribute '{name}' already exists")
    assert name not in dict(ours.named_parameters())
    assert callable(ours.forward) and callable(ours.parameters)


@pytest.mark.parametrize("name", ["a.b", ""])
def test_register_parameter_refuses_a_dotted_or_empty_name_as_pytorch(name):
    ours, theirs = modules()
    with pytest.raises(KeyError):
        theirs.register_parameter(name, torch.nn.Parameter(torch.ones(1)))
    with pytest.raises(KeyError, match="parameter name can"):
        ours.register_parameter(name, nn.Parameter(np.ones(1)))


def test_assigning_a_parameter_over_a_method_raises_as_pytorch():
    ours, theirs = modules()
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        theirs.forward = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        ours.forward = nn.Parameter(np.ones(1))
    assert ours(tg.tensor(np.ones((1, 2), dtype=np.float32))).shape == (1, 3)


def test_a_parameter_replaces_a_parameter_a_plain_attribute_or_none_as_in_pytorch():
    ours, theirs = modules()
    for model, make in ((ours, lambda: nn.Parameter(np.ones(3))), (theirs, lambda: torch.nn.Parameter(torch.ones(3)))):
        model.bias = make()  # a parameter replaced
        model.register_parameter("bias", make())
        model.note = 1.0
        model.note = make()  # a plain attribute replaced by assignment
        model.register_parameter("spare", None)
        model.register_parameter("spare", make())
    assert list(dict(ours.named_parameters())) == [name for name, _ in theirs.named_parameters()]
