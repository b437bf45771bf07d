"""Shared test fixtures.

``torch`` is optional for users but mandatory on CI: with BACKPROP_REQUIRE_TORCH=1 a
missing torch fails the tests that need it instead of skipping them.
"""
from __future__ import annotations

import importlib
import os

import pytest


def _required(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def torch():
    """The torch module, or a skip (a failure when BACKPROP_REQUIRE_TORCH=1)."""
    try:
        module = importlib.import_module("torch")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        if _required("BACKPROP_REQUIRE_TORCH"):
            pytest.fail(f"torch is required here (BACKPROP_REQUIRE_TORCH=1) but not importable: {exc}")
        pytest.skip("torch not installed: install it with `make test TORCH=1` or pip install '.[torch]'")
    module.set_default_dtype(module.float64)
    return module
