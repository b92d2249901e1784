"""Part 1: the three activation functions on [0.18, -0.18].

    python examples/mlp_activations.py
"""

import tinygrad_edu as tg
from tinygrad_edu import nn

input = tg.tensor([0.18, -0.18])
for act in (nn.Sigmoid(), nn.ReLU(), nn.Tanh()):
    print(f"{act}(input) =", act(input))
