"""Shared test fixtures: the optional dependencies, each behind a fixture.

The policy is in optional_deps.py: a missing optional dependency skips the tests that need
it, with the reason; with its BACKPROP_REQUIRE_* variable set (as on CI) they fail instead.
"""
from __future__ import annotations

import pytest
from optional_deps import optional_import


@pytest.fixture(scope="session")
def torch():
    """The torch module, with float64 as the default dtype."""
    module = optional_import("torch")
    module.set_default_dtype(module.float64)
    return module


@pytest.fixture(scope="session")
def micrograd():
    """The micrograd package, with its ``engine`` and ``nn`` modules loaded."""
    module = optional_import("micrograd")
    optional_import("micrograd.engine")
    optional_import("micrograd.nn")
    return module


@pytest.fixture(scope="session")
def jax():
    """The jax module."""
    return optional_import("jax")
