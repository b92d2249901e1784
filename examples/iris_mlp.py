"""Part 1's last slide: "Classification using Multilayer Perceptron — Iris Dataset".

An MLP 4-16-3 (Tanh), CrossEntropyLoss and SGD with momentum 0.9, trained on
120 flowers one full batch an epoch, then tested on the other 30. The loop is
``tinygrad_edu.lecture.iris.train_iris``, the same one ``tinygrad-edu train-iris`` runs:

    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()

Run: python examples/iris_mlp.py [--seed N]
"""

import sys

from tinygrad_edu.lecture.iris import format_confusion, train_iris

seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
result = train_iris(seed=seed)
print(result.model)
print(f"loss after epoch 1: {result.losses[0]:.4f}, after epoch {len(result.losses)}: {result.losses[-1]:.4f}")
print(f"test accuracy (seed {seed}): {result.correct}/{len(result.test_labels)} = {result.test_accuracy:.4f}")
print(format_confusion(result))
