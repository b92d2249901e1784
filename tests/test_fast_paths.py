"""The fast paths taken for speed give what the general ones give, checked against PyTorch:
relu's backward by the mask (np.where only for a non-finite upstream), cross-entropy without
ignored rows (no masking), SGD's momentum buffer and step computed with fewer arrays."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests: pip install '.[oracle]'")

UPSTREAMS = {
    "finite": [1.5, -2.0, 3.0, 0.5],
    "infinite where flat": [np.inf, -np.inf, 2.0, 1.0],
    "nan where flat and where not": [np.nan, 1.0, np.nan, 1.0],
}


@pytest.mark.parametrize("name", UPSTREAMS)
def test_relu_backward_on_arrays_matches_torch_for_any_upstream(name):
    data, upstream = np.array([-1.0, 0.0, 2.0, 3.0]), np.array(UPSTREAMS[name])
    x, t = tg.Value(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.relu().backward(upstream)
    t.relu().backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("ignored", [False, True])
def test_cross_entropy_with_and_without_ignored_rows_matches_torch(ignored):
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    if ignored:
        target[[1, 4]] = -100
    x, t = tg.Value(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    loss, expected = nn.functional.cross_entropy(x, target), torch.nn.functional.cross_entropy(t, torch.tensor(target))
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_a_target_out_of_range_is_refused_and_ignore_index_is_not():
    logits = tg.Value(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="target class index 3"):
        nn.functional.cross_entropy(logits, np.array([0, 3]))
    assert np.isfinite(nn.functional.cross_entropy(logits, np.array([0, 3]), ignore_index=3).item())


@pytest.mark.parametrize("shape", [(), (3,)])
@pytest.mark.parametrize("momentum", [0.9, np.float64(0.9)])
def test_sgd_momentum_steps_match_torch_in_float32(shape, momentum):
    start = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32)
    p, t = tg.Value(start.copy(), requires_grad=True), torch.tensor(start.copy(), requires_grad=True)
    ours, theirs = optim.SGD([p], lr=0.1, momentum=momentum), torch.optim.SGD([t], lr=0.1, momentum=float(momentum))
    for step in range(3):
        for optimizer, value in ((ours, p), (theirs, t)):
            optimizer.zero_grad()
            (value * value * (step + 1)).sum().backward()
            optimizer.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-6)
    buffer = ours.state[p]["momentum_buffer"]
    assert type(buffer) is np.ndarray and buffer.dtype == np.float32 and buffer.shape == shape
