"""Optional frameworks (PyTorch, JAX) beside the series' own engine.

Neither framework is needed to learn from the series: the notebooks that compare with
them run without them and show numbers stored from a run with them. This module holds
the three pieces those notebooks share, and imports neither framework until asked:

* :func:`import_torch` and :func:`import_jax` return the module, or ``None`` when it is
  not installed. JAX comes back with 64-bit floats switched on (``jax_enable_x64``):
  JAX computes in float32 unless told otherwise, and comparing gradients to
  :math:`10^{-12}` needs float64 on both sides. On CI, ``BACKPROP_REQUIRE_TORCH=1`` /
  ``BACKPROP_REQUIRE_JAX=1`` turn a missing framework into an error instead of ``None``.
* :class:`StoredResults` keeps what a notebook computed with a framework in a JSON file
  next to it, for readers without that framework. Running a notebook never rewrites the
  file: only ``make notebooks`` does (it sets ``BACKPROP_WRITE_RESULTS=1``). A run with
  the framework instead checks that the stored numbers are still the ones it computes.
  Floats are stored rounded, so the file holds no machine-dependent rounding digits.

>>> jax = import_jax()                  # doctest: +SKIP
>>> jax is None or jax_x64_enabled()    # doctest: +SKIP
True
"""
from __future__ import annotations

import importlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from .i18n import _

__all__ = ["REQUIRE_TORCH", "REQUIRE_JAX", "WRITE_RESULTS", "import_torch", "import_jax",
           "jax_x64_enabled", "required", "StoredResults", "StaleResults", "portable"]

#: environment variables: a framework is mandatory (CI), stored results are rewritten (make notebooks)
REQUIRE_TORCH = "BACKPROP_REQUIRE_TORCH"
REQUIRE_JAX = "BACKPROP_REQUIRE_JAX"
WRITE_RESULTS = "BACKPROP_WRITE_RESULTS"

_TRUE = {"1", "true", "yes"}


def required(variable: str) -> bool:
    """True when the environment variable ``variable`` is set to 1, true or yes."""
    return os.environ.get(variable, "").strip().lower() in _TRUE


def _optional(name: str, variable: str, install: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if required(variable):
            raise ImportError(f"{variable}=1, but {name} is not importable ({exc}): {install}") from exc
        return None


_INSTALL = "install the optional frameworks with `make test TORCH=1` or `pip install -c constraints.txt '.[frameworks]'`"


def import_torch() -> ModuleType | None:
    """The ``torch`` module, or ``None`` if PyTorch is not installed (an ImportError when
    ``BACKPROP_REQUIRE_TORCH=1``)."""
    return _optional("torch", REQUIRE_TORCH, _INSTALL)


def import_jax() -> ModuleType | None:
    """The ``jax`` module with float64 switched on, or ``None`` if JAX is not installed
    (an ImportError when ``BACKPROP_REQUIRE_JAX=1``).

    JAX's arrays are float32 by default, even when made from float64 numpy arrays;
    ``jax_enable_x64`` makes them keep float64. The setting is global to the process, so
    call this before creating any JAX array. Without an explicit platform JAX is kept on
    the CPU (``JAX_PLATFORMS=cpu``), the only device this series uses.
    """
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    jax = _optional("jax", REQUIRE_JAX, _INSTALL)
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
    return jax


def jax_x64_enabled() -> bool:
    """True if JAX is imported and creates float64 arrays (without importing JAX)."""
    import sys

    jax = sys.modules.get("jax")
    return bool(jax is not None and jax.config.jax_enable_x64)


# ----------------------------------------------------------------------------- stored results


def portable(value: Any, decimals: int = 10) -> Any:
    """``value`` as JSON-ready data without rounding-level digits: floats rounded to
    ``decimals`` places, numpy scalars and arrays turned into numbers and lists, tuples
    into lists, dict keys sorted (as the stored file has them, so that printing a dict gives
    the same lines with and without the framework). Booleans, integers and strings are kept
    as they are."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):                 # keys sorted, as in the stored file: the same order either way
        return {str(k): portable(value[k], decimals) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [portable(v, decimals) for v in value]
    if hasattr(value, "tolist"):                  # numpy (or framework) scalars and arrays
        return portable(value.tolist(), decimals)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_("cannot store a non-finite number ({value}): store a bound or a flag instead").format(
                value=value))
        rounded = round(value, decimals)
        return 0.0 if rounded == 0 else rounded    # no "-0.0"
    raise TypeError(_("cannot store a {kind} ({value}): store numbers, strings, lists or dicts").format(
        kind=type(value).__name__, value=repr(value)))


def _differences(live: Any, stored: Any, tolerance: float, where: str) -> list[str]:
    if isinstance(live, dict) and isinstance(stored, dict):
        out = []
        for key in sorted(set(live) | set(stored)):
            if key not in stored:
                out.append(f"{where}{key}: computed, but not in the stored file")
            elif key in live:
                out += _differences(live[key], stored[key], tolerance, f"{where}{key}.")
        return out
    if isinstance(live, list) and isinstance(stored, list) and len(live) == len(stored):
        return [d for i, (a, b) in enumerate(zip(live, stored))
                for d in _differences(a, b, tolerance, f"{where}{i}.")]
    numbers = (int, float)
    if (isinstance(live, numbers) and isinstance(stored, numbers)
            and not isinstance(live, bool) and not isinstance(stored, bool)):
        same = abs(live - stored) <= tolerance
    else:
        same = live == stored and type(live) is type(stored)
    return [] if same else [f"{where.rstrip('.')}: computed {live!r}, stored {stored!r}"]


class StaleResults(AssertionError):
    """The stored results differ from what a run with the framework computes."""


class StoredResults:
    """Numbers a notebook computed with an optional framework, kept for readers without it.

    ``StoredResults(path, live=torch is not None, framework="PyTorch")``. In a notebook::

        if torch is not None:
            torch_results["loss"] = loss_t.item()       # stored rounded (see portable)
        r = torch_results.numbers()                     # this run's numbers, or the stored ones
        print(f"loss {r['loss']:.10f}")

    and once at the end ``torch_results.finish()``. With ``BACKPROP_WRITE_RESULTS=1``
    (set by ``make notebooks``) that writes the file; otherwise it checks that every
    number this run computed equals the stored one (to the stored rounding) and raises
    :class:`StaleResults` if not, so a test run with the framework catches a stale file.
    A key this run did not compute (a cell that needs another framework) keeps its stored
    value. Nothing else ever writes the file. When this run records a ``"version"`` that
    differs from the stored one (a reader with another release of the framework), nothing is
    checked: the pinned release is the one the file describes.
    """

    def __init__(self, path: str | os.PathLike, live: bool, framework: str, decimals: int = 10) -> None:
        self.path = Path(path)
        self.live = bool(live)
        self.framework = framework
        self.decimals = int(decimals)
        self.stored: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.computed: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self.computed[key] = portable(value, self.decimals)

    def __getitem__(self, key: str) -> Any:
        return self.numbers()[key]

    def numbers(self) -> dict[str, Any]:
        """This run's numbers over the stored ones (a run without the framework sees the stored ones)."""
        if not self.computed and not self.stored:
            raise FileNotFoundError(_("{framework} is not installed and {path} is missing: install it, "
                                      "or restore that file from the repository").format(
                                          framework=self.framework, path=self.path))
        return {**self.stored, **self.computed}

    def stale(self) -> list[str]:
        """How this run's numbers differ from the stored ones (empty when they agree)."""
        tolerance = 1.5 * 10.0 ** -self.decimals
        return _differences(self.computed, self.stored, tolerance, "")

    def finish(self) -> str:
        """Write the file (``BACKPROP_WRITE_RESULTS=1``) or check it against this run.
        Returns a one-line description that is the same in every case."""
        if self.computed:
            if required(WRITE_RESULTS):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                merged = {**self.stored, **self.computed}
                self.path.write_text(json.dumps(merged, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
                self.stored = merged
            elif self.computed.get("version", self.stored.get("version")) == self.stored.get("version"):
                problems = self.stale()
                if problems:
                    raise StaleResults(
                        f"{self.path} no longer matches what {self.framework} computes here:\n  "
                        + "\n  ".join(problems[:20])
                        + f"\nRe-run the notebook with `make notebooks` (it sets {WRITE_RESULTS}=1) and commit the file.")
        return _("{framework} results in {path}: {keys}").format(
            framework=self.framework, path=self.path.as_posix(), keys=", ".join(sorted(self.numbers())))
