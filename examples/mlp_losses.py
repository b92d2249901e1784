"""Part 1: BCELoss on the network's prediction, and CrossEntropyLoss on the slide's logits.

    python examples/mlp_losses.py
"""

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.lecture.mlp import slide_network

loss_fn = nn.BCELoss()
network = slide_network()
y_pred, y = network.y_hat, network.target
print("y_pred =", y_pred)
print("y =", y)
print("BCELoss =", loss_fn(y_pred, y))

loss_fn = nn.CrossEntropyLoss()
y = tg.tensor(0)
y_pred = tg.tensor([0.0580, 0.4275])
print()
print("y =", y)
print("y_pred =", y_pred)
print("CrossEntropyLoss =", loss_fn(y_pred, y))
