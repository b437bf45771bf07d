"""Toy data sets: shapes, dtypes, reproducibility and the geometry each one promises."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.datasets import DATASETS, load, make_circles, make_moons, make_regression_1d, make_spirals, make_xor

CLASSIFICATION = ["moons", "circles", "spirals", "xor"]


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("n", [3, 10, 101])
def test_classification_sets_shapes_and_dtypes(name, n):
    X, y = load(name, n=n, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    k = 3 if name == "spirals" else 2
    assert set(np.unique(y)) <= set(range(k))
    if name != "xor":                                   # balanced by construction
        counts = np.bincount(y, minlength=k)
        assert counts.max() - counts.min() <= 1


def test_regression_set():
    X, y = make_regression_1d(50, noise=0.0, seed=0)
    assert X.shape == (50, 1) and X.dtype == np.float64
    assert y.shape == (50,) and y.dtype == np.float64
    assert np.all(np.diff(X[:, 0]) >= 0)
    np.testing.assert_allclose(y, np.sin(X[:, 0]) + 0.3 * X[:, 0], rtol=1e-15)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_seeded_and_reproducible(name):
    a = load(name, n=60, seed=4)
    b = load(name, n=60, seed=4)
    c = load(name, n=60, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_registry_and_load():
    assert set(DATASETS) == {"moons", "circles", "spirals", "xor", "regression_1d"}
    X, y = load("moons", n=40, seed=2, noise=0.0)
    X2, y2 = make_moons(40, noise=0.0, seed=2)
    np.testing.assert_array_equal(X, X2)


def test_moons_geometry_without_noise():
    X, y = make_moons(100, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)


def test_circles_geometry_without_noise():
    X, y = make_circles(80, noise=0.0, factor=0.3)
    r = np.hypot(*X.T)
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-12)


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = make_xor(200, noise=0.0, seed=1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert 0.3 < y.mean() < 0.7


def test_spirals_sizes_and_radius():
    X, y = make_spirals(n_per_class=50, k=4, noise=0.0)
    assert X.shape == (200, 2)
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    r = np.hypot(*X.T)
    assert r.max() <= 1.0 + 1e-12
    # without noise, a linear classifier cannot separate the arms: check the classes interleave by angle
    angles_class0 = np.arctan2(X[y == 0, 1], X[y == 0, 0])
    assert np.ptp(angles_class0) > np.pi


def test_noise_changes_points_not_labels():
    X0, y0 = make_moons(30, noise=0.0, seed=3)
    X1, y1 = make_moons(30, noise=0.2, seed=3)
    np.testing.assert_array_equal(y0, y1)
    assert 0.05 < np.std(X1 - X0) < 0.4
