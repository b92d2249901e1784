"""The shipped Iris data, its stratified split and standardisation."""

import numpy as np
import pytest

from tinygrad_edu.datasets import Standardizer, iris_split, load_iris, stratified_split


def test_iris_has_150_rows_of_4_features_in_3_balanced_classes():
    data = load_iris()
    assert data.features.shape == (150, 4)
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert np.bincount(data.labels).tolist() == [50, 50, 50]


def test_iris_unpacks_as_features_labels_class_names():
    features, labels, class_names = load_iris()
    assert features.shape[0] == labels.shape[0] == 150
    assert len(class_names) == 3


def test_iris_first_row_is_fishers_first_setosa():
    data = load_iris()
    np.testing.assert_array_equal(data.features[0], [5.1, 3.5, 1.4, 0.2])
    assert data.class_names[data.labels[0]] == "setosa"


def test_split_gives_30_test_rows_ten_per_class_and_no_overlap():
    labels = load_iris().labels
    train, test = stratified_split(labels, test_size=0.2, seed=3)
    assert len(test) == 30 and len(train) == 120
    assert np.bincount(labels[test]).tolist() == [10, 10, 10]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(150))


def test_split_is_repeatable_for_a_seed_and_differs_between_seeds():
    labels = load_iris().labels
    first, again, other = (stratified_split(labels, seed=s)[1] for s in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert set(first.tolist()) != set(other.tolist())


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5])
def test_split_rejects_test_size_outside_0_1(bad):
    with pytest.raises(ValueError, match="test_size"):
        stratified_split(np.zeros(10, dtype=int), test_size=bad)


def test_standardisation_is_fitted_on_training_rows_only():
    x_train, _, x_test, _, _ = iris_split(seed=0)
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x_train.std(axis=0), 1, atol=1e-12)
    assert not np.allclose(x_test.mean(axis=0), 0, atol=1e-3)


def test_standardizer_leaves_a_constant_column_finite():
    scaler = Standardizer.fit(np.array([[1.0, 2.0], [1.0, 4.0]]))
    np.testing.assert_array_equal(scaler.transform(np.array([[1.0, 3.0]])), [[0.0, 0.0]])
