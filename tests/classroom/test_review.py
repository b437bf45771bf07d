"""The autograde tool's check of the test cells, on hand-made outputs (fast: no nbgrader run).

The whole pipeline, with real cheating submissions: test_grading.py.
"""
from __future__ import annotations

import classroom_helpers as h
import nbformat

from backprop_lib.checks.grading import seal

tool = h.load_tool()

CELL = ("from backprop_lib.checks.grading import grade\n\n"
        "grade(check_square, square)\n### BEGIN HIDDEN TESTS\ngrade(check_square, square, hidden=True)\n"
        "### END HIDDEN TESTS")
MODULES = {"check_square": "backprop_lib.checks._demo.check_square"}
KEY = "k" * 64


def _seal(checker="backprop_lib.checks._demo.check_square", hidden=False, key=KEY):
    return seal(key, checker=checker, hidden=hidden, passed=5, references=[])


def test_grade_calls_and_checker_modules_are_read_from_the_instructors_notebook():
    assert tool.grade_calls(CELL) == [("check_square", False), ("check_square", True)]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom backprop_lib.checks._demo import check_square\n"
                                  "from backprop_lib.checks.nb07_training import check_train_step as cts")])
    assert tool.checker_modules(nb) == {**MODULES, "cts": "backprop_lib.checks.nb07_training.check_train_step"}


def test_each_grade_call_needs_a_valid_seal_of_its_own():
    calls = tool.grade_calls(CELL)
    assert tool._unsealed(calls, [_seal(), _seal(hidden=True)], MODULES, KEY) == []
    public, hidden = "grade(check_square, ...)", "grade(check_square, ..., hidden=True)"
    assert tool._unsealed(calls, [], MODULES, KEY) == [public, hidden]
    assert tool._unsealed(calls, [_seal(), _seal()], MODULES, KEY) == [hidden]            # one seal, one call
    assert tool._unsealed(calls, [_seal(key="forged"), _seal(hidden=True)], MODULES, KEY) == [public]
    tampered_seal = {**_seal(), "passed": 99}
    assert tool._unsealed(calls, [tampered_seal, _seal(hidden=True)], MODULES, KEY) == [public]
    other = "backprop_lib.checks._demo.check_grad_of_square"
    assert tool._unsealed(calls, [_seal(other), _seal(other, True)], MODULES, KEY) == [public, hidden]
    # the same name from another module (two notebooks have a check_train_step)
    calls = [("check_train_step", False)]
    modules = {"check_train_step": "backprop_lib.checks.nb07_training.check_train_step"}
    assert tool._unsealed(calls, [_seal("backprop_lib.checks.nb04_neurons.check_train_step")], modules, KEY) == [
        "grade(check_train_step, ...)"]


def test_the_building_blocks_of_the_instructors_solutions():
    """What the reference solutions of an exercise and of the exercises before it use of the
    package may be used by answers (a later answer builds on the earlier ones)."""
    solution = {"grade": False, "solution": True, "locked": False, "schema_version": 3}
    test = {"grade": True, "solution": False, "locked": True, "points": 1, "schema_version": 3}
    cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nfrom backprop_lib import losses\n"
                                  "from backprop_lib.layers import sigmoid as sig\nfrom backprop_lib.tensor import Tensor"),
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return sig(x) * losses.softmax(x)\n"
                                  "    ### END SOLUTION", metadata={"nbgrader": {**solution, "grade_id": "a_sol"}}),
        nbformat.v4.new_code_cell("grade(check_f, f)", metadata={"nbgrader": {**test, "grade_id": "a_test"}}),
        nbformat.v4.new_code_cell("def g(x):\n    return np.exp(x)", metadata={"nbgrader": {**solution, "grade_id": "b_sol"}}),
        nbformat.v4.new_code_cell("grade(check_g, g)", metadata={"nbgrader": {**test, "grade_id": "b_test"}}),
    ]
    uses = tool.solution_package_uses(nbformat.v4.new_notebook(cells=cells))
    earlier = {"backprop_lib.layers.sigmoid", "backprop_lib.losses.softmax"}
    assert uses == {"a_test": earlier, "b_test": earlier}
