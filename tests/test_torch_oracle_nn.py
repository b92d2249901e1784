"""PyTorch as the oracle: random MLPs, every loss, and summary against torchsummary.

Forward values and gradients must agree in float64 to 1e-9. These tests skip,
with the reason shown by ``pytest -ra``, when torch or torchsummary is not
installed: ``pip install '.[oracle]'`` installs both.
"""

import contextlib
import io

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")

TOLERANCE = {"rtol": 1e-9, "atol": 1e-9}
ACTIVATIONS = ["Sigmoid", "ReLU", "Tanh"]


def to_torch(array, requires_grad=False):
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=requires_grad)


def random_mlp(seed):
    """The same random MLP in tinygrad_edu and in PyTorch (float64, PyTorch gets our weights)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=rng.integers(2, 5))
    ours, theirs = [], []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        bias = bool(rng.integers(2))
        ours.append(nn.Linear(int(n_in), int(n_out), bias=bias, dtype=np.float64))
        theirs.append(torch.nn.Linear(int(n_in), int(n_out), bias=bias, dtype=torch.float64))
        activation = ACTIVATIONS[i % 3]
        ours.append(getattr(nn, activation)())
        theirs.append(getattr(torch.nn, activation)())
    ours, theirs = nn.Sequential(*ours), torch.nn.Sequential(*theirs)
    theirs.load_state_dict({name: torch.from_numpy(array) for name, array in ours.state_dict().items()})
    return ours, theirs, int(sizes[0]), rng


@pytest.mark.parametrize("seed", range(10))
def test_random_mlp_forward_and_gradients_match_torch(seed):
    ours, theirs, n_in, rng = random_mlp(seed)
    x = rng.normal(size=(int(rng.integers(1, 5)), n_in))
    our_x, their_x = tg.Value(x, requires_grad=True), to_torch(x, requires_grad=True)
    our_out, their_out = ours(our_x), theirs(their_x)
    np.testing.assert_allclose(our_out.data, their_out.detach().numpy(), **TOLERANCE)
    weights = rng.normal(size=our_out.shape)
    (our_out * tg.Value(weights)).sum().backward()
    (their_out * to_torch(weights)).sum().backward()
    np.testing.assert_allclose(our_x.grad, their_x.grad.numpy(), **TOLERANCE)
    their_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad, their_grads[name], err_msg=name, **TOLERANCE)


def compare_loss(our_loss_fn, their_loss_fn, x, y, target_grad=True, integer_target=False):
    """Loss value and gradients (input, and target when both sides support it) against torch."""
    our_x = tg.Value(x, requires_grad=True)
    their_x = to_torch(x, requires_grad=True)
    if integer_target:
        our_y, their_y = tg.Value(y), torch.tensor(y)
    else:
        our_y, their_y = tg.Value(y, requires_grad=target_grad), to_torch(y, requires_grad=target_grad)
    our_loss, their_loss = our_loss_fn(our_x, our_y), their_loss_fn(their_x, their_y)
    np.testing.assert_allclose(our_loss.data, their_loss.detach().numpy(), **TOLERANCE)
    upstream = np.random.default_rng(0).normal(size=our_loss.shape)
    our_loss.backward(upstream)
    their_loss.backward(to_torch(upstream))
    np.testing.assert_allclose(our_x.grad, their_x.grad.numpy(), **TOLERANCE)
    if target_grad and not integer_target:
        np.testing.assert_allclose(our_y.grad, their_y.grad.numpy(), **TOLERANCE)


REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(1,), (5,), (3, 4), (2, 3, 2)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_matches_torch(shape, reduction):
    rng = np.random.default_rng(len(shape))
    x, y = rng.uniform(0.01, 0.99, size=shape), rng.uniform(0, 1, size=shape)
    compare_loss(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_exactly_0_and_1_matches_torch(reduction):
    x = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1e-30])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.4, 0.7, 0.0])
    # torch's gradient with respect to the target is ln(1 − x) − ln x, infinite at 0 and 1
    compare_loss(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), x, y, target_grad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_with_logits_matches_torch(shape, reduction):
    rng = np.random.default_rng(len(shape))
    x, y = rng.normal(scale=3, size=shape), rng.uniform(0, 1, size=shape)
    compare_loss(nn.BCEWithLogitsLoss(reduction=reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction), x, y)


def test_bce_with_logits_of_1000_matches_torch():
    x, y = np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([1.0, 0.0, 0.0, 0.5])
    compare_loss(nn.BCEWithLogitsLoss(reduction="none"), torch.nn.BCEWithLogitsLoss(reduction="none"), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batch, classes", [((), 2), ((), 5), ((1,), 3), ((6,), 4), ((4,), 1)])
def test_cross_entropy_with_class_indices_matches_torch(batch, classes, reduction):
    rng = np.random.default_rng(classes)
    logits = rng.normal(scale=3, size=(*batch, classes))
    target = rng.integers(0, classes, size=batch)
    compare_loss(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
                 logits, target, integer_target=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batch, classes", [((), 3), ((5,), 4)])
def test_cross_entropy_with_class_probabilities_matches_torch(batch, classes, reduction):
    rng = np.random.default_rng(classes)
    logits = rng.normal(scale=3, size=(*batch, classes))
    weights = rng.uniform(0.1, 1, size=(*batch, classes))
    compare_loss(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
                 logits, weights / weights.sum(-1, keepdims=True))


def test_cross_entropy_with_logits_of_1000_matches_torch():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    compare_loss(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), logits, np.array([1, 2]), integer_target=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_positions_weights_and_ignored_targets_matches_torch(reduction):
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(2, 4, 3)), rng.integers(0, 4, size=(2, 3))  # classes on axis 1
    target[0, 1] = 2
    weight = rng.uniform(0.5, 2, size=4)
    ours = tg.Value(logits, requires_grad=True)
    theirs = to_torch(logits).requires_grad_()
    loss = nn.CrossEntropyLoss(weight=weight, ignore_index=2, reduction=reduction)(ours, target)
    expected = torch.nn.CrossEntropyLoss(weight=to_torch(weight), ignore_index=2, reduction=reduction)(
        theirs, torch.tensor(target))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), **TOLERANCE)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCE)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignored_row", [[-np.inf] * 3, [np.nan] * 3, [np.inf, 0.0, 1.0]], ids=["-inf", "nan", "inf"])
def test_cross_entropy_leaves_ignored_rows_out_as_torch(ignored_row, weighted, reduction):
    """An ignored row is left out, not multiplied by 0: its -inf or NaN logits do not reach the loss."""
    logits, target = np.array([[0.0, 1.0, 2.0], ignored_row, [0.5, -1.0, 0.25]]), np.array([2, -100, 0])
    weight = np.array([0.5, 2.0, 1.5]) if weighted else None
    ours, theirs = tg.Value(logits, requires_grad=True), to_torch(logits).requires_grad_()
    with np.errstate(invalid="ignore"):
        loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction)(ours, target)
        expected = torch.nn.CrossEntropyLoss(weight=None if weight is None else to_torch(weight),
                                             reduction=reduction)(theirs, torch.tensor(target))
        np.testing.assert_allclose(loss.data, expected.detach().numpy(), **TOLERANCE)
        assert np.isfinite(loss.data).all()
        loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCE)  # the ignored row's: torch's too


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_nll_loss_leaves_ignored_log_probabilities_out_as_torch(ignore_index, reduction):
    log_p = np.array([[-0.5, -1.0, -2.0], [-np.inf, np.nan, -np.inf], [-0.1, -3.0, -np.inf]])
    target = np.array([0, ignore_index, 1])
    weight = np.array([1.0, 0.25, 3.0])
    ours, theirs = tg.Value(log_p, requires_grad=True), to_torch(log_p).requires_grad_()
    loss = nn.NLLLoss(weight=weight, ignore_index=ignore_index, reduction=reduction)(ours, target)
    expected = torch.nn.NLLLoss(weight=to_torch(weight), ignore_index=ignore_index, reduction=reduction)(
        theirs, torch.tensor(target))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), **TOLERANCE)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCE)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_after_log_softmax_matches_torch(reduction):
    rng = np.random.default_rng(1)
    logits, target = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    ours = tg.Value(logits, requires_grad=True)
    theirs = to_torch(logits).requires_grad_()
    loss = nn.NLLLoss(reduction=reduction)(ours.log_softmax(1), target)
    expected = torch.nn.NLLLoss(reduction=reduction)(theirs.log_softmax(1), torch.tensor(target))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), **TOLERANCE)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCE)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_mse_matches_torch(shape, reduction):
    rng = np.random.default_rng(len(shape))
    compare_loss(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
                 rng.normal(size=shape), rng.normal(size=shape))


def test_slide_network_step_matches_torch_sgd():
    from tinygrad_edu.lecture.mlp import sgd_step, slide_network
    network = slide_network(np.float64)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1), torch.nn.Sigmoid()).double()
    for parameter in theirs.parameters():
        torch.nn.init.constant_(parameter, 0.1)
    loss = torch.nn.BCELoss()(theirs(to_torch([1.0, 2.0])), to_torch([0.0]))
    np.testing.assert_allclose(network.loss.item(), loss.item(), **TOLERANCE)
    loss.backward()
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    sgd_step(network, lr=0.1)
    for name, array in network.model.state_dict().items():
        np.testing.assert_allclose(array, theirs.state_dict()[name].numpy(), err_msg=name, **TOLERANCE)


def test_state_dict_prints_as_torch_prints_on_python_3_11():
    import sys
    if sys.version_info >= (3, 12):
        pytest.skip("Python 3.12 prints OrderedDict as OrderedDict({...}); the slide shows the older form")
    layer = torch.nn.Linear(2, 2)
    for parameter in layer.parameters():
        torch.nn.init.constant_(parameter, 0.1)
    ours = nn.Linear(2, 2)
    for parameter in ours.parameters():
        nn.init.constant_(parameter, 0.1)
    assert nn.format_state_dict(ours.state_dict()) == str(layer.state_dict())
    assert nn.format_state_dict(nn.Sigmoid().state_dict()) == str(torch.nn.Sigmoid().state_dict())


# ---------------------------------------------------------------- summary against torchsummary

def slide_model(nn):
    return nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid())


def wide_model(nn):
    return nn.Sequential(nn.Linear(10, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.Tanh(), nn.Linear(500, 3))


def nested_model(nn):
    return nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 2, bias=False), nn.Sigmoid())


def frozen_model(nn):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model[0].weight.requires_grad = False
    return model


def custom_model(nn, parameter):
    """A Module subclass named Net in both libraries: registers ``second`` before ``first``,
    calls ``act`` twice, owns a parameter, and has a bias-only child (never "trainable")."""

    class Shift(nn.Module):
        def __init__(self):
            super().__init__()
            self.bias = parameter(2)

        def forward(self, x):
            return x + self.bias

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.second = nn.Linear(8, 2)
            self.first = nn.Linear(4, 8)
            self.act = nn.ReLU()
            self.shift = Shift()
            self.scale = parameter(2)

        def forward(self, x):
            return self.shift(self.act(self.second(self.act(self.first(x))))) * self.scale

    return Net()


MODELS = {
    "slide": (slide_model, (1, 2), -1),
    "wide": (wide_model, (10,), -1),
    "wide_batch_64": (wide_model, (7, 10), 64),
    "nested": (nested_model, (3, 4), -1),
    "frozen": (frozen_model, (3,), 2),
    "custom": (custom_model, (5, 4), -1),
}


def build(name, library):
    factory = MODELS[name][0]
    if factory is not custom_model:
        return factory(library)
    if library is nn:
        return custom_model(nn, lambda n: nn.Parameter(np.zeros(n, dtype=np.float32)))
    return custom_model(torch.nn, lambda n: torch.nn.Parameter(torch.zeros(n)))


@pytest.mark.parametrize("name", MODELS)
def test_summary_prints_exactly_what_torchsummary_prints(name):
    torchsummary = pytest.importorskip("torchsummary", reason="the summary oracle: pip install '.[oracle]'")
    _, input_size, batch_size = MODELS[name]
    theirs = io.StringIO()
    with contextlib.redirect_stdout(theirs):
        torchsummary.summary(build(name, torch.nn), input_size, batch_size=batch_size, device="cpu")
    ours = io.StringIO()
    with contextlib.redirect_stdout(ours):
        tg.summary(build(name, nn), input_size, batch_size=batch_size)
    assert ours.getvalue().splitlines() == theirs.getvalue().splitlines()
