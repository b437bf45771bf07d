"""The notebooks that compare with PyTorch and JAX pass nbval without them too.

A notebook that uses an optional framework shows, without it, the results stored from a
run with it, and must print exactly the same outputs. On CI the frameworks are installed,
so this test hides them from the notebook's kernel: modules named ``torch`` and ``jax``
that raise ImportError come first on its PYTHONPATH. Then nbval runs the notebook against
its stored outputs.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# the English notebooks and the Spanish and Hindi editions (Binder has no frameworks in any language)
USES_FRAMEWORKS = sorted(p for folder in ("", "es", "hi") for p in (ROOT / "notebooks" / folder).glob("[0-9][0-9]_*.ipynb")
                         if "import_torch" in p.read_text() or "import_jax" in p.read_text())
HIDDEN = ("torch", "jax", "jaxlib")


def test_some_notebook_uses_a_framework():
    assert USES_FRAMEWORKS, "no notebook imports a framework through backprop_lib.frameworks"


@pytest.mark.slow
@pytest.mark.parametrize("path", USES_FRAMEWORKS, ids=[p.relative_to(ROOT / "notebooks").as_posix() for p in USES_FRAMEWORKS])
def test_stored_outputs_match_without_the_frameworks(path, tmp_path):
    shim = tmp_path / "hide"
    shim.mkdir()
    for name in HIDDEN:
        (shim / f"{name}.py").write_text(f"raise ImportError('{name} is hidden for this test')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPROP_REQUIRE_", "PYTEST"))}
    env["PYTHONPATH"] = os.pathsep.join([str(shim), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    check = "import backprop_lib.frameworks as f; assert f.import_torch() is None and f.import_jax() is None"
    subprocess.run([sys.executable, "-c", check], env=env, check=True, timeout=60)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", str(path.relative_to(ROOT))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
