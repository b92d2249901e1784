"""Part 1: the forward pass of the 2-2-1 network (every weight and bias 0.1, x = [1, 2]),
first by hand with Value operations as the slide writes it, then with nn.

    python examples/mlp_forward.py
"""

from tinygrad_edu.lecture.mlp import forward_by_hand, slide_network

by_hand = forward_by_hand()
print("W_h =")
print(by_hand.w_h)
print("W_z =")
print(by_hand.w_z)
print("h = [1 x] W_h =", by_hand.h)
print("z = [1 h] W_z =", by_hand.z)
print("y_hat = sigmoid(z) =", by_hand.y_hat)

network = slide_network()
print()
print(network.model)
print("y_hat = model(x) =", network.y_hat)
