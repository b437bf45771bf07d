"""Shared test fixtures, and the check that the test run leaves the work tree clean.

``torch`` and ``jax`` are optional for users but mandatory on CI: with
BACKPROP_REQUIRE_TORCH=1 (BACKPROP_REQUIRE_JAX=1) a missing framework fails the tests
that need it instead of skipping them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from clean_tree import CleanTreeGuard

from backprop_lib.frameworks import import_jax, import_torch

ROOT = Path(__file__).resolve().parents[1]
_INSTALL = "install it with `make test TORCH=1` or pip install -c constraints.txt '.[frameworks]'"


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("clean-tree-guard"):
        config.pluginmanager.register(CleanTreeGuard(ROOT), "clean-tree-guard")


def _framework(name: str, load):
    try:
        module = load()
    except ImportError as exc:  # only with BACKPROP_REQUIRE_*=1: otherwise import_* returns None
        pytest.fail(str(exc))
    if module is None:  # pragma: no cover - depends on the environment
        pytest.skip(f"{name} not installed: {_INSTALL}")
    return module


@pytest.fixture(scope="session")
def torch():
    """The torch module with float64 as its default dtype, or a skip (a failure when
    BACKPROP_REQUIRE_TORCH=1)."""
    module = _framework("torch", import_torch)
    module.set_default_dtype(module.float64)
    return module


@pytest.fixture(scope="session")
def jax():
    """The jax module with float64 switched on (jax_enable_x64), or a skip (a failure when
    BACKPROP_REQUIRE_JAX=1)."""
    return _framework("jax", import_jax)
