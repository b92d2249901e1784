"""The slide's forward pass, written with Value operations only."""

import numpy as np

import tinygrad_edu as tg


def test_slide_forward_with_value_ops_gives_z_018_and_sigmoid_05449():
    x = tg.tensor([1.0, 2.0], dtype=np.float64)  # PyTorch multiplies matrices of one dtype only
    w_h = tg.Value(np.full((2, 2), 0.1), dtype=np.float64, requires_grad=True)
    b_h = tg.Value(np.full(2, 0.1), dtype=np.float64, requires_grad=True)
    w_z = tg.Value(np.full((1, 2), 0.1), dtype=np.float64, requires_grad=True)
    b_z = tg.Value(np.full(1, 0.1), dtype=np.float64, requires_grad=True)
    h = x @ w_h.T + b_h
    z = h @ w_z.T + b_z
    y_hat = z.sigmoid()
    np.testing.assert_allclose(h.data, [0.4, 0.4], atol=1e-6)
    np.testing.assert_allclose(z.data, [0.18], atol=1e-6)
    assert f"{y_hat.item():.4f}" == "0.5449"
    np.testing.assert_allclose(y_hat.item(), 0.54487889, atol=1e-6)
