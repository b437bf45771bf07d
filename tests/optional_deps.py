"""The one policy for optional dependencies of the tests.

An optional dependency (PyTorch, micrograd, Playwright with Chromium, JAX) is reached only
through a fixture (tests/conftest.py, tests/browser/conftest.py), never imported at the top
of a test module and never through ``pytest.importorskip``
(tests/test_optional_dependencies.py checks both). Where it is missing, a test that needs
it is skipped with the reason and the install command; where its BACKPROP_REQUIRE_* variable
is set (.ci/run sets them on CI), the same test fails instead: a skip must never hide a
missing dependency there.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

import pytest


@dataclass(frozen=True)
class Optional:
    """An optional dependency: the variable that makes it mandatory, and how to install it."""

    require_var: str
    install: str


#: Top-level import name -> its policy. Add a new optional dependency here, with a fixture.
OPTIONAL: dict[str, Optional] = {
    "torch": Optional("BACKPROP_REQUIRE_TORCH", "`make test TORCH=1`, or pip install -c constraints.txt '.[frameworks]'"),
    "micrograd": Optional("BACKPROP_REQUIRE_MICROGRAD", "`make test` (the bench extra), or pip install '.[bench]'"),
    "playwright": Optional("BACKPROP_REQUIRE_BROWSER", "`make test` (the test extra), or pip install '.[test]'"),
    "jax": Optional("BACKPROP_REQUIRE_JAX", "`make test TORCH=1`, or pip install -c constraints.txt '.[frameworks]'"),
}


def required(var: str) -> bool:
    """True when the environment variable ``var`` says yes (1, true, yes)."""
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes"}


def missing(what: str, require_var: str, how: str) -> None:
    """Skip the test (``what`` is missing: ``how`` to get it), or fail it where ``require_var`` is set."""
    if required(require_var):
        pytest.fail(f"{what} is required here ({require_var}=1) but missing; {how}", pytrace=False)
    pytest.skip(f"{what} is missing; {how}")


def optional_import(module: str) -> ModuleType:
    """Import ``module`` of an optional dependency, or :func:`missing` (skip or fail)."""
    policy = OPTIONAL[module.split(".")[0]]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing(f"{module} ({exc})", policy.require_var, f"install it with {policy.install}")
        raise  # not reached: missing() skips or fails
