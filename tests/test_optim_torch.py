"""optim.SGD against torch.optim.SGD: same settings, same objective, same iterates and state."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import floats

import tinygrad_edu as tg
from tinygrad_edu import optim

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")

STEPS = 15
SHAPES = [(), (3,), (2, 3)]


@st.composite
def sgd_settings(draw):
    momentum = draw(st.sampled_from([0.0, draw(floats(0.05, 0.95))]))
    nesterov = momentum > 0 and draw(st.booleans())
    return {
        "lr": draw(floats(1e-3, 0.05)),
        "momentum": momentum,
        "dampening": 0.0 if nesterov else draw(st.sampled_from([0.0, draw(floats(0.0, 0.9))])),
        "weight_decay": draw(st.sampled_from([0.0, draw(floats(0.0, 0.1))])),
        "nesterov": nesterov,
    }


def loss_of(p, q):
    """A quartic in two parameters of different shapes; works on Values and on tensors."""
    return ((p**4) * 0.5 + (p - 0.3) ** 2).sum() + ((q + 0.2) ** 4 - q * 0.7).sum()


def starts(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, SHAPES[seed % 3]), rng.uniform(-1, 1, (2, 2))


def our_iterates(settings, start, dtype=np.float64):
    params = [tg.Value(s, dtype=dtype, requires_grad=True) for s in start]
    opt = optim.SGD(params, **settings)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(*params).backward()
        opt.step()
        path.append([p.data.copy() for p in params])
    return path, opt


def torch_iterates(settings, start, dtype=torch.float64):
    params = [torch.tensor(s, dtype=dtype, requires_grad=True) for s in start]
    opt = torch.optim.SGD(params, **settings)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(*params).backward()
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path, opt


@given(sgd_settings(), st.integers(0, 2**16))
def test_sgd_iterates_match_torch(settings, seed):
    start = starts(seed)
    ours, _ = our_iterates(settings, start)
    theirs, _ = torch_iterates(settings, start)
    for mine, torchs in zip(ours, theirs, strict=True):
        for p, q in zip(mine, torchs, strict=True):
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


@given(sgd_settings(), st.integers(0, 2**16))
def test_sgd_state_dict_matches_torchs(settings, seed):
    start = starts(seed)
    _, ours = our_iterates(settings, start)
    _, theirs = torch_iterates(settings, start)
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert set(mine["state"]) == set(torchs["state"])
    for index, state in torchs["state"].items():
        assert set(mine["state"][index]) == set(state)
        np.testing.assert_allclose(mine["state"][index]["momentum_buffer"], state["momentum_buffer"].numpy(),
                                   rtol=1e-10, atol=1e-12)
    for my_group, torch_group in zip(mine["param_groups"], torchs["param_groups"], strict=True):
        assert my_group == {key: torch_group[key] for key in my_group}


def test_float32_sgd_stays_float32_and_matches_torch_float32():
    settings = {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "nesterov": False}
    start = starts(1)
    ours, _ = our_iterates(settings, start, np.float32)
    theirs, _ = torch_iterates(settings, start, torch.float32)
    for p, q in zip(ours[-1], theirs[-1], strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


def test_torch_state_dict_loads_into_our_sgd_and_continues_identically():
    settings = {"lr": 0.02, "momentum": 0.8, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True}
    start = starts(2)
    theirs_path, theirs = torch_iterates(settings, start)
    saved = theirs.state_dict()
    converted = {"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in saved["state"].items()},
                 "param_groups": [{k: g[k] for k in (*settings, "params")} for g in saved["param_groups"]]}
    params = [tg.Value(p, dtype=np.float64, requires_grad=True) for p in theirs_path[-1]]
    ours = optim.SGD(params, lr=0.5)
    ours.load_state_dict(converted)
    torch_params = theirs.param_groups[0]["params"]
    for _ in range(5):
        for opt, ps in ((ours, params), (theirs, torch_params)):
            opt.zero_grad()
            loss_of(*ps).backward()
            opt.step()
    for p, q in zip(params, torch_params, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10)


# With weight decay, a step moves a parameter whose gradient is zero; one whose grad is None is skipped.
DECAYING = [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.5}), ("Adagrad", {"lr": 0.1, "weight_decay": 0.5}),
            ("RMSprop", {"lr": 0.1, "weight_decay": 0.5}), ("Adam", {"lr": 0.1, "weight_decay": 0.5}),
            ("AdamW", {"lr": 0.1, "weight_decay": 0.5})]


@pytest.mark.parametrize("name, settings", DECAYING, ids=[name for name, _ in DECAYING])
def test_zero_grad_set_to_none_false_skips_parameters_the_loss_never_reached_as_torch_does(name, settings):
    def run(make_param, module):
        reached, unreached = make_param([1.0, -2.0]), make_param(1.0)
        opt = getattr(module, name)([reached, unreached], **settings)
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            (reached * reached).sum().backward()
            opt.step()
        return [p.detach().numpy() if isinstance(p, torch.Tensor) else p.data for p in (reached, unreached)]

    mine = run(lambda data: tg.Value(data, dtype=np.float64, requires_grad=True), optim)
    torchs = run(lambda data: torch.tensor(data, dtype=torch.float64, requires_grad=True), torch.optim)
    assert mine[1] == 1.0 and torchs[1] == 1.0
    np.testing.assert_allclose(mine[0], torchs[0], rtol=1e-12)


@pytest.mark.parametrize("name, settings", DECAYING, ids=[name for name, _ in DECAYING])
def test_a_step_bumps_the_version_of_the_parameters_it_changes_as_torch_does(name, settings):
    def versions(make_param, module):
        reached, unreached = make_param([1.0, -2.0]), make_param(1.0)
        opt = getattr(module, name)([reached, unreached], **settings)
        (reached * reached).sum().backward()
        before = reached._version
        opt.step()
        return reached._version > before, unreached._version

    assert versions(lambda data: tg.Value(data, dtype=np.float64, requires_grad=True), optim) == (True, 0)
    assert versions(lambda data: torch.tensor(data, dtype=torch.float64, requires_grad=True), torch.optim) == (True, 0)
