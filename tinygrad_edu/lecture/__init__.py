"""The lecture's computations, built only on the public API.

``mlp.py`` is part 1 (the multilayer perceptron: summary, forward, activations,
losses, one SGD step); ``momentum.py`` is parts 2 and 3 (gradient descent,
momentum and Nesterov on one-dimensional objectives); ``regression.py`` is
part 2's logistic and softmax regression; ``iris.py`` is the Iris slide. The
examples, the tour and the tests all call these, so every printed number comes
from one place.
"""
