"""The lecture: the deck's computations, built only on the public API.

``mlp.py`` is part 1 (the multilayer perceptron: summary, forward, activations,
losses, one SGD step); ``descent.py`` is parts 2 and 3 (gradient descent,
momentum and Nesterov on one-dimensional objectives); ``surfaces.py`` the same
rules on two-dimensional bowls; ``regression.py`` is part 2's logistic and
softmax regression; ``iris.py`` is the Iris slide. ``expected.py`` transcribes
the numbers the slides print and ``computed.py`` computes them; ``tour.py``
sets the two side by side, and ``cli.py`` is the command line
(``python -m tinygrad_edu``), with ``page_examples.py`` and ``progress.py`` as
its helpers; ``your_turn.py`` checks the notebooks' "your turn" cells. The
examples, the tour, the notebooks and the tests all call these, so every
printed number comes from one place.
"""
