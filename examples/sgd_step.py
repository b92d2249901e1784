"""Part 1's optimizer slide: one step of optim.SGD(model.parameters(), 0.1) on the 2-2-1 network.

The slide's code runs unchanged: ``loss.backward(); optimizer.step()``. Every
layer's state dict is printed before and after. (The slide's "before" printout
shows another model, see docs/slides.md, erratum 4; this prints the 2-2-1
network whose numbers the slide shows after the step.)
    python examples/sgd_step.py
"""

from tinygrad_edu import optim
from tinygrad_edu.lecture.mlp import layer_state_dicts, slide_network

network = slide_network()
model, loss = network.model, network.loss
print("\n".join(layer_state_dicts(model)))
print()
learning_rate = 0.1
optimizer = optim.SGD(model.parameters(), learning_rate)
print(f"optimizer = {optimizer}")
loss.backward()
optimizer.step()
print()
print("\n".join(layer_state_dicts(model)))
