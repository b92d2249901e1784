"""Part 1: backward, then one step of gradient descent (lr 0.1) done by hand,
printing every layer's state dict before and after, as the SGD slide does.

The slide's "before" printout shows another model (see docs/slides.md, erratum 4);
this prints the 2-2-1 network whose numbers the slide shows after the step.

    python examples/mlp_sgd_step.py
"""

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.lecture.mlp import slide_network

network = slide_network()
model, loss = network.model, network.loss
for layer in model.children():
    print(nn.format_state_dict(layer.state_dict()))

learning_rate = 0.1
loss.backward()
with tg.no_grad():
    for p in model.parameters():
        p.data -= learning_rate * p.grad

print()
for layer in model.children():
    print(nn.format_state_dict(layer.state_dict()))
