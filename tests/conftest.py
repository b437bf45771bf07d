"""Shared test fixtures: the optional dependencies, each behind a fixture; and the check
that the test run leaves the git work tree as it found it (clean_tree.py).

The policy is in optional_deps.py: a missing optional dependency skips the tests that need
it, with the reason; with its BACKPROP_REQUIRE_* variable set (as on CI) they fail instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from clean_tree import CleanTreeGuard
from optional_deps import optional_import

from backprop_lib.frameworks import import_jax

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("clean-tree-guard"):
        config.pluginmanager.register(CleanTreeGuard(ROOT), "clean-tree-guard")


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
    """The jax module, with float64 switched on (jax_enable_x64; JAX computes in float32 otherwise)."""
    optional_import("jax")
    return import_jax()


@pytest.fixture(autouse=True)
def _language_is_restored():
    """A test that chooses a language (set_language keeps it in BACKPROP_LANG) must not leave
    it chosen for the tests after it."""
    before = os.environ.get("BACKPROP_LANG")
    yield
    after = os.environ.get("BACKPROP_LANG")
    assert after == before, f"the test left BACKPROP_LANG={after!r} (it was {before!r})"
