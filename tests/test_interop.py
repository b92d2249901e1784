"""Graduation to PyTorch: tinygrad_edu models convert to torch.nn and back, and compute the same.

Random MLPs go both ways in float64; outputs, gradients and one optimizer step must agree to 1e-9.
Skipped (with the reason) where torch is not installed, except the checks that torch stays optional.
"""

import ast
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import interop, nn, optim
from tinygrad_edu.interop import from_torch, to_torch

PACKAGE = Path(tg.__file__).resolve().parent
ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh)
TOLERANCE = {"rtol": 0, "atol": 1e-9}


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[oracle]')")


def random_mlp(seed: int, dtype=np.float64) -> nn.Sequential:
    """An MLP of 1 to 3 Linear layers of random widths, each followed by a random activation."""
    rng = np.random.default_rng(seed)
    tg.manual_seed(seed)
    widths = rng.integers(1, 6, size=rng.integers(2, 5)).tolist()
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, bias=bool(rng.integers(0, 4)), dtype=dtype),
                   ACTIVATIONS[rng.integers(0, 3)]()]
    return nn.Sequential(*layers)


def edu_step(model, x, target):
    """Forward, MSE loss, backward and one SGD step with momentum; returns output, loss and grads."""
    out = model(tg.tensor(x, dtype=np.float64))
    loss = nn.MSELoss()(out, target)
    loss.backward()
    grads = {name: p.grad.copy() for name, p in model.named_parameters()}
    optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01).step()
    return out.data, loss.data, grads


def torch_step(torch, model, x, target):
    out = model(torch.from_numpy(x))
    loss = torch.nn.MSELoss()(out, torch.from_numpy(target))
    loss.backward()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01).step()
    return out.detach().numpy(), loss.detach().numpy(), grads


def assert_same_training(torch, edu_model, torch_model, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, edu_model[0].in_features))
    target = rng.standard_normal((5, edu_model[len(edu_model) - 2].out_features))
    edu, theirs = edu_step(edu_model, x, target), torch_step(torch, torch_model, x, target)
    np.testing.assert_allclose(edu[0], theirs[0], **TOLERANCE, err_msg="outputs")
    np.testing.assert_allclose(edu[1], theirs[1], **TOLERANCE, err_msg="losses")
    assert edu[2].keys() == theirs[2].keys()
    for name in edu[2]:
        np.testing.assert_allclose(edu[2][name], theirs[2][name], **TOLERANCE, err_msg=f"grad of {name}")
    after = torch_model.state_dict()
    for name, array in edu_model.state_dict().items():
        np.testing.assert_allclose(array, after[name].numpy(), **TOLERANCE, err_msg=f"{name} after the step")


@pytest.mark.parametrize("seed", range(8))
def test_to_torch_computes_and_trains_the_same(torch, seed):
    model = random_mlp(seed)
    assert_same_training(torch, model, to_torch(model), seed)


@pytest.mark.parametrize("seed", range(8))
def test_from_torch_computes_and_trains_the_same(torch, seed):
    torch.manual_seed(seed)
    torch_model = to_torch(random_mlp(seed))
    for parameter in torch_model.parameters():  # torch's own numbers, not ones that came from us
        torch.nn.init.normal_(parameter)
    assert_same_training(torch, from_torch(torch_model), torch_model, seed)


def test_state_dict_keys_and_shapes_are_torchs(torch):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3, bias=False), nn.Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3, bias=False),
                                 torch.nn.Sigmoid())
    ours = model.state_dict()
    assert [(k, v.shape) for k, v in ours.items()] == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.items()})  # the learner's one-liner
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(model(tg.tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conversion_keeps_the_dtype_both_ways(torch, dtype):
    model = nn.Sequential(nn.Linear(2, 3, dtype=dtype), nn.Tanh())
    torch_model = to_torch(model)
    assert torch_model[0].weight.dtype == torch.from_numpy(np.zeros(1, dtype)).dtype
    assert from_torch(torch_model)[0].weight.dtype == dtype


def test_conversion_copies_the_weights(torch):
    model = nn.Sequential(nn.Linear(2, 2))
    torch_model = to_torch(model)
    with torch.no_grad():
        torch_model[0].weight.fill_(7.0)
    assert not np.any(model[0].weight.data == 7.0)


@pytest.mark.parametrize("loss", [nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_convert_with_their_reduction(torch, loss, reduction):
    torch_loss = to_torch(loss(reduction=reduction))
    assert type(torch_loss) is getattr(torch.nn, loss.__name__) and torch_loss.reduction == reduction
    back = from_torch(torch_loss)
    assert type(back) is loss and back.reduction == reduction


def test_converted_cross_entropy_gives_torchs_loss(torch):
    logits = np.random.default_rng(1).standard_normal((4, 3))
    classes = np.array([0, 2, 1, 2])
    ours = from_torch(torch.nn.CrossEntropyLoss())(tg.tensor(logits), tg.tensor(classes))
    theirs = torch.nn.CrossEntropyLoss()(torch.from_numpy(logits), torch.from_numpy(classes))
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCE)


def test_activations_convert_both_ways(torch):
    model = nn.Sequential(nn.ReLU(), nn.Sigmoid(), nn.Tanh())
    assert [type(m).__name__ for m in to_torch(model)] == ["ReLU", "Sigmoid", "Tanh"]
    assert [type(m) for m in from_torch(to_torch(model))] == [nn.ReLU, nn.Sigmoid, nn.Tanh]


def test_a_module_without_a_torch_equivalent_is_named(torch):
    class Residual(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"to_torch: torch\.nn has no equivalent of .*Residual"):
        to_torch(nn.Sequential(nn.Linear(2, 2), Residual()))


def test_a_torch_module_without_an_equivalent_is_named(torch):
    with pytest.raises(TypeError, match=r"from_torch: tinygrad_edu\.nn has no equivalent of .*Conv1d"):
        from_torch(torch.nn.Sequential(OrderedDict(conv=torch.nn.Conv1d(1, 1, 1))))


def test_every_loss_in_nn_converts():
    losses = {name for name in nn.__all__ if name.endswith("Loss")}
    assert losses == {kind.__name__ for kind in interop.LOSSES}


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss, nn.NLLLoss])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_losses_keep_weight_and_ignore_index_both_ways(torch, loss, reduction, dtype):
    weight = np.array([0.5, 2.0, 1.25], dtype=dtype)
    ours = loss(weight=weight, ignore_index=1, reduction=reduction)
    theirs = to_torch(ours)
    assert type(theirs) is getattr(torch.nn, loss.__name__)
    assert theirs.ignore_index == 1 and theirs.reduction == reduction
    np.testing.assert_array_equal(theirs.weight.numpy(), weight)
    assert theirs.weight.numpy().dtype == dtype
    back = from_torch(theirs)
    assert type(back) is loss and back.ignore_index == 1 and back.reduction == reduction
    np.testing.assert_array_equal(back.weight, weight)
    rng = np.random.default_rng(2)
    scores, target = rng.standard_normal((5, 3)).astype(dtype), np.array([0, 1, 2, 1, 0])
    if loss is nn.NLLLoss:
        scores = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    expected = theirs(torch.from_numpy(scores), torch.from_numpy(target)).numpy()
    for converted in (ours, back):
        np.testing.assert_allclose(converted(tg.tensor(scores), tg.tensor(target)).data, expected, rtol=1e-6)


def test_weighted_losses_without_weight_convert_without_weight(torch):
    theirs = to_torch(nn.NLLLoss(ignore_index=3))
    assert theirs.weight is None and theirs.ignore_index == 3
    assert from_torch(torch.nn.CrossEntropyLoss(ignore_index=-1)).weight is None


def test_integer_class_weights_become_float32_in_torch(torch):
    assert to_torch(nn.CrossEntropyLoss(weight=[1, 2, 3])).weight.dtype == torch.float32


def test_a_model_holding_a_weighted_loss_converts_both_ways(torch):
    model = nn.Sequential(nn.Linear(2, 3), nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0], np.float32)))
    theirs = to_torch(model)
    np.testing.assert_array_equal(theirs[1].weight.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(), model[0].weight.data)
    back = from_torch(theirs)
    np.testing.assert_array_equal(back[1].weight, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(back[0].weight.data, model[0].weight.data)


@pytest.mark.parametrize("make, option", [
    (lambda torch: torch.nn.CrossEntropyLoss(label_smoothing=0.1), "CrossEntropyLoss\\(label_smoothing=...\\)"),
    (lambda torch: torch.nn.BCELoss(weight=torch.ones(2)), "BCELoss\\(weight=...\\)"),
    (lambda torch: torch.nn.BCEWithLogitsLoss(weight=torch.ones(2)), "BCEWithLogitsLoss\\(weight=...\\)"),
    (lambda torch: torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)), "BCEWithLogitsLoss\\(pos_weight=...\\)"),
], ids=["label_smoothing", "BCELoss weight", "BCEWithLogitsLoss weight", "pos_weight"])
def test_torch_only_loss_options_are_refused(torch, make, option):
    with pytest.raises(ValueError, match=rf"^from_torch: {option} has no tinygrad_edu equivalent"):
        from_torch(make(torch))


def test_importing_tinygrad_edu_and_interop_does_not_import_torch():
    code = "import sys, tinygrad_edu, tinygrad_edu.interop, tinygrad_edu.cli; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def torch_imports(path: Path) -> list:
    """(line, at module level?) for every import of torch in a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(name == "torch" or name.startswith("torch.") for name in names):
            found.append((node.lineno, id(node) in top_level))
    return found


def test_only_interop_imports_torch_and_only_inside_functions():
    for path in PACKAGE.rglob("*.py"):
        imports = torch_imports(path)
        if path.name == "interop.py":
            assert imports and not any(top for _, top in imports), "interop imports torch lazily"
        else:
            assert imports == [], f"{path.relative_to(PACKAGE)} imports torch"
