"""backprop_lib.frameworks: optional imports, and results stored without machine-dependent digits."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from backprop_lib import frameworks
from backprop_lib.frameworks import StaleResults, StoredResults, import_jax, import_torch, jax_x64_enabled, portable


def test_core_imports_no_framework():
    code = ("import sys, backprop_lib.frameworks, backprop_lib.functional, backprop_lib.checks, backprop_lib.layers; "
            "print(sorted(m for m in ('jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name, load, variable", [("jax", import_jax, "BACKPROP_REQUIRE_JAX"),
                                                  ("torch", import_torch, "BACKPROP_REQUIRE_TORCH")])
def test_missing_framework_is_none_or_an_error_when_required(monkeypatch, name, load, variable):
    monkeypatch.setitem(sys.modules, name, None)           # `import name` now raises ImportError
    monkeypatch.delenv(variable, raising=False)
    assert load() is None
    monkeypatch.setenv(variable, "1")
    with pytest.raises(ImportError, match=f"{variable}=1, but {name} is not importable"):
        load()


def test_jax_comes_with_float64(jax):
    jnp = jax.numpy

    assert jax_x64_enabled()
    assert jnp.asarray(np.ones(2)).dtype == jnp.float64
    assert import_jax() is jax


def test_portable_rounds_floats_and_converts_arrays():
    value = {"loss": 1.0806534767087226, "diff": 2.7e-17, "neg": -1e-13, "ok": True, "n": 3,
             "graph": ("TanhBackward0", "AddBackward0"), "grads": np.array([0.1234567890123, -0.5])}
    assert portable(value) == {"loss": 1.0806534767, "diff": 0.0, "neg": 0.0, "ok": True, "n": 3,
                               "graph": ["TanhBackward0", "AddBackward0"], "grads": [0.123456789, -0.5]}
    assert list(portable({"b": 1, "a": {"d": 2, "c": 3}})) == ["a", "b"]       # sorted, as json.dumps(sort_keys=True)
    assert list(portable({"b": {"d": 2, "c": 3}})["b"]) == ["c", "d"]
    assert str(portable(-1e-13)) == "0.0"                  # no "-0.0" in a stored file
    assert portable(np.float64(0.25), decimals=1) == 0.2   # round half to even
    with pytest.raises(ValueError, match="non-finite"):
        portable(float("nan"))
    with pytest.raises(TypeError, match="cannot store a object"):
        portable(object())


def _results(tmp_path, stored=None, live=True):
    path = tmp_path / "data" / "r.json"
    if stored is not None:
        path.parent.mkdir()
        path.write_text(json.dumps(stored))
    return path, StoredResults(path, live=live, framework="PyTorch")


def test_without_the_framework_the_stored_numbers_are_used(tmp_path):
    path, r = _results(tmp_path, {"loss": 1.5, "ok": True}, live=False)
    assert r.numbers() == {"loss": 1.5, "ok": True} and r["loss"] == 1.5
    assert r.finish() == f"PyTorch results in {path.as_posix()}: loss, ok"
    _, missing = _results(tmp_path / "elsewhere", live=False)
    with pytest.raises(FileNotFoundError, match="PyTorch is not installed"):
        missing.numbers()


def test_a_run_never_writes_but_checks(tmp_path, monkeypatch):
    monkeypatch.delenv(frameworks.WRITE_RESULTS, raising=False)
    path, r = _results(tmp_path, {"loss": 1.0806534767, "ok": True, "other": 1})
    before = path.read_text()
    r["loss"] = 1.0806534767087226 + 3e-16                 # another machine's last digits
    r["ok"] = True
    assert r.stale() == []
    assert "loss, ok, other" in r.finish()                 # a key this run did not compute keeps its value
    assert path.read_text() == before
    r["loss"] = 1.09
    r["new"] = [1, 2]
    with pytest.raises(StaleResults) as info:
        r.finish()
    assert "loss: computed 1.09, stored 1.0806534767" in str(info.value)
    assert "new: computed, but not in the stored file" in str(info.value)
    assert "make notebooks" in str(info.value)
    assert path.read_text() == before


def test_a_bool_is_not_a_number(tmp_path):
    _, r = _results(tmp_path, {"flag": 1})
    r["flag"] = True
    assert r.stale() == ["flag: computed True, stored 1"]


def test_make_notebooks_writes(tmp_path, monkeypatch):
    monkeypatch.setenv(frameworks.WRITE_RESULTS, "1")
    path, r = _results(tmp_path, {"kept": "from a cell that needs another framework", "loss": 2.0})
    r["loss"] = 1.0806534767087226
    r.finish()
    assert json.loads(path.read_text()) == {"kept": "from a cell that needs another framework",
                                            "loss": 1.0806534767}
    assert path.read_text().endswith("}\n")
    fresh_path, fresh = _results(tmp_path / "new")
    fresh["x"] = 1
    fresh.finish()
    assert json.loads(fresh_path.read_text()) == {"x": 1}


def test_another_release_of_the_framework_is_not_checked(tmp_path, monkeypatch):
    monkeypatch.delenv(frameworks.WRITE_RESULTS, raising=False)
    _, r = _results(tmp_path, {"version": "2.13.0", "graph": ["NllLossBackward0"]})
    r["version"] = "2.14.0"
    r["graph"] = ["NllLossBackward1"]
    r.finish()                                             # no StaleResults: the file describes the pinned release
    r["version"] = "2.13.0"
    with pytest.raises(StaleResults, match="graph.0: computed 'NllLossBackward1'"):
        r.finish()
