"""grade(): the genuine checker runs, and a modified checking code fails the test cell.

Each cheat below is what a student's cell could do before a test cell runs; every one
must make ``grade`` raise ExerciseFailed naming what was modified. ``monkeypatch``
undoes each cheat after its test. The design: the docstring of
backprop_lib/checks/grading.py.
"""
from __future__ import annotations

import dis
import itertools
import linecache
import sys
import time
import types

import numpy as np
import pytest

import backprop_lib.checks.diagnosis as diagnosis
import backprop_lib.checks.failure as failure
import backprop_lib.checks.framework as framework
import backprop_lib.checks.grading as grading
import backprop_lib.checks.running as running
from backprop_lib.checks import TOPICS, ExerciseFailed, _demo
from backprop_lib.checks.grading import TAMPER_MARK, grade

_cells = itertools.count()


def run_cell(source: str, **names):
    """Run ``source`` as IPython runs a notebook cell: compiled under a file name whose
    lines linecache knows (so grade can read the names its calling line uses)."""
    filename = f"<test-cell-{next(_cells)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"grade": grade, **names}
    try:
        exec(compile(source, filename, "exec"), namespace)
    finally:
        linecache.cache.pop(filename, None)
    return namespace


def square(x):
    return x * x


def stub(*args, **kwargs):
    raise NotImplementedError()


def tampered(source: str, *fragments: str, **names) -> str:
    """Run the test cell ``source``: it must fail with the tampering message and ``fragments``.

    The exception is the CheckingCodeModified class (an ExerciseFailed) of failure.py on disk
    (the kernel's own class may be the thing replaced), so it is caught as the AssertionError
    it is."""
    with pytest.raises(AssertionError) as info:
        run_cell(source, **names)
    message = str(info.value)
    assert message.startswith(TAMPER_MARK), message
    assert type(info.value).__name__ == "CheckingCodeModified"
    assert type(info.value).__mro__[1].__name__ == "ExerciseFailed"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def _framework_call(fn, depth=0):
    """``Checker.__call__`` as framework.py defines it, found inside the wrappers around it."""
    if isinstance(fn, types.FunctionType) and fn.__code__.co_filename == framework.__file__:
        return fn
    for cell in (getattr(fn, "__closure__", None) or ()) if depth < 5 else ():
        found = _framework_call(cell.cell_contents, depth + 1)
        if found is not None:
            return found
    return None


@pytest.fixture(autouse=True)
def _genuine_checker_call(monkeypatch):
    """conftest.py wraps ``Checker.__call__`` for the whole session (to record what each test
    module runs); grade rightly reports that as a modification, so these tests put the
    method of framework.py back while they run."""
    genuine = _framework_call(vars(framework.Checker)["__call__"])
    assert genuine is not None, "Checker.__call__ of framework.py not found"
    monkeypatch.setattr(framework.Checker, "__call__", genuine)


SQUARE_CELL = "grade(check_square, square)"
CHECK_SQUARE = _demo.check_square  # the genuine checker, as the notebook imported it


# ------------------------------------------------------------------ honest use


def test_the_trust_root_reads_no_global_name():
    """grade's own body (and the loader inside it) must not look up any name of the module:
    a student's cell can rebind those."""
    codes = [grade.__code__]
    global_ops = {"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME"}
    found = []
    while codes:
        code = codes.pop()
        found += [f"{code.co_name}: {i.opname} {i.argval}" for i in dis.get_instructions(code) if i.opname in global_ops]
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    assert not found, found


def test_a_right_answer_passes_with_the_checkers_line(capsys):
    run_cell(SQUARE_CELL + "\n" + "grade(check_square, square, hidden=True)",
             check_square=_demo.check_square, square=square)
    out = capsys.readouterr().out
    assert "✔ Exercise 0.1 square: 5 of 5 checks passed" in out
    assert "✔ Exercise 0.1 square: 7 of 7 checks passed (hidden tests)" in out
    assert "ℹ" not in out  # no note about the package's code


def test_a_wrong_answer_fails_with_the_checkers_message():
    with pytest.raises(ExerciseFailed) as info:
        run_cell(SQUARE_CELL, check_square=_demo.check_square, square=lambda x: 2 * x)
    assert "this is 2x, the derivative, not the square" in str(info.value)
    assert TAMPER_MARK not in str(info.value)


def _every_checker():
    for topic, module in TOPICS.items():
        for name in module.__all__:
            yield topic, name, getattr(module, name)


def _grade_stubs():
    for topic, name, checker in _every_checker():
        with pytest.raises(ExerciseFailed) as info:
            run_cell(f"grade({name}, answer)", **{name: checker, "answer": stub})
        assert not str(info.value).startswith(TAMPER_MARK), (topic, str(info.value))
        assert str(info.value).startswith("Exercise "), (topic, str(info.value))  # the checker's own message


def test_every_checker_of_the_series_verifies_in_an_unmodified_kernel():
    """No false alarm: each checker's whole chain (its module, the framework, the
    reference code it imports) matches the files on disk; the stub fails as a stub."""
    _grade_stubs()


def test_running_the_package_does_not_look_like_tampering(capsys):
    """Module-level state the reference code changes while a notebook runs (the init
    module's generator, caches) must not count as a modification."""
    from backprop_lib import init
    from backprop_lib.layers import Linear, Sequential, Tanh
    from backprop_lib.losses import SoftmaxCrossEntropy
    from backprop_lib.optim import SGD
    from backprop_lib.scalar import MLP, Value

    init.manual_seed(3)
    net = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    opt, loss_fn = SGD(net.parameters(), lr=0.1), SoftmaxCrossEntropy()
    X, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    for _ in range(2):
        loss_fn.forward(net.forward(X), y)
        net.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()
    model = MLP(2, [3, 1], seed=0)
    out = model([Value(0.5), Value(-1.0)])
    out.backward()
    running.is_library_file(__file__)  # fills running's lru_cache
    _grade_stubs()


# ---------------------------------------------------------------------- cheats


def test_a_rebound_checker_name_fails():
    tampered(SQUARE_CELL, "`check_square` is not one of the package's checkers: it is a function defined in this notebook",
             check_square=lambda *a, **k: None, square=stub)


def test_a_checker_swapped_for_another_genuine_one_fails():
    tampered(SQUARE_CELL, "`check_square` was rebound to the package's check_grad_of_square",
             check_square=_demo.check_grad_of_square, square=lambda x: 2 * x)


def test_a_home_made_checker_fails():
    fake = framework.Checker("Exercise 0.1", "square", lambda c: c.check(True, ""))
    tampered(SQUARE_CELL, "`check_square` is not one of the package's checkers: it is a Checker object",
             check_square=fake, square=stub)


def test_a_home_made_checker_claiming_the_packages_module_fails(monkeypatch):
    fake = framework.Checker("Exercise 0.1", "square", lambda c: c.check(True, ""))
    fake.__module__, fake.__name__ = _demo.__name__, "check_square"
    tampered(SQUARE_CELL, "`check_square` is not the checker backprop_lib.checks._demo.check_square",
             check_square=fake, square=stub)
    monkeypatch.setattr(_demo, "check_square", fake)   # ... and put into the module
    tampered(SQUARE_CELL, "backprop_lib.checks._demo.check_square.body was replaced", check_square=fake, square=stub)


def patch(monkeypatch, target, name, value):
    monkeypatch.setattr(target, name, value, raising=False)


def set_item_in_place(seq, index, value):
    """``seq[index] = value`` on a list, undone after the test."""
    old = seq[index]
    seq[index] = value
    _UNDO.append(lambda: seq.__setitem__(index, old))


_UNDO: list = []


def _over_other_globals(fn):
    """The same code, defaults and closure, reading its names from a copy of its module."""
    copy = types.FunctionType(fn.__code__, dict(fn.__globals__), fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def _fake_diagnosis():
    fake = types.ModuleType(diagnosis.__name__)
    fake.diagnose = lambda *a, **k: None
    return fake


CHEATS = {
    # the cheat, on the module: the name the notebook imported stays genuine
    "checker set on its module": (lambda mp: patch(mp, _demo, "check_square", lambda *a, **k: None),
                                  "backprop_lib.checks._demo.check_square was replaced"),
    "checker body replaced": (lambda mp: patch(mp, _demo.check_square, "body", lambda c: c.check(True, "")),
                              "backprop_lib.checks._demo.check_square.body was replaced"),
    "checker time limit": (lambda mp: patch(mp, _demo.check_square, "time_limit", None),
                           "backprop_lib.checks._demo.check_square.time_limit was replaced"),
    "diagnose in framework": (lambda mp: patch(mp, framework, "diagnose", lambda *a, **k: None),
                              "backprop_lib.checks.framework.diagnose was replaced"),
    "diagnose in diagnosis": (lambda mp: patch(mp, diagnosis, "diagnose", lambda *a, **k: None),
                              "backprop_lib.checks.diagnosis.diagnose was replaced"),
    "diagnose's code": (lambda mp: patch(mp, diagnosis.diagnose, "__code__", (lambda *a, **k: None).__code__),
                        "diagnose was replaced"),  # reached first through framework, which imports it
    "diagnose's defaults": (lambda mp: patch(mp, diagnosis.diagnose, "__kwdefaults__",
                                             {**diagnosis.diagnose.__kwdefaults__, "rtol": 1e9}),
                            "diagnose (its keyword defaults)['rtol'] was replaced"),
    "diagnose rebuilt over other globals": (
        lambda mp: patch(mp, framework, "diagnose", _over_other_globals(diagnosis.diagnose)),
        "backprop_lib.checks.framework.diagnose runs with other globals"),
    "CheckContext.compare": (lambda mp: patch(mp, framework.CheckContext, "compare",
                                              lambda self, *a, **k: setattr(self, "passed", self.passed + 1)),
                             "backprop_lib.checks.framework.CheckContext.compare was replaced"),
    "method added to a class": (lambda mp: patch(mp, framework.CheckContext, "__getattr__", lambda self, n: None),
                                "backprop_lib.checks.framework.CheckContext.__getattr__ was added"),
    "Checker.run": (lambda mp: patch(mp, framework.Checker, "run", lambda self, *a, **k: None),
                    "backprop_lib.checks.framework.Checker.run was replaced"),
    "ExerciseFailed replaced": (lambda mp: (patch(mp, failure, "ExerciseFailed", type("ExerciseFailed", (Exception,), {})),
                                            patch(mp, framework, "ExerciseFailed", failure.ExerciseFailed)),
                                "backprop_lib.checks.failure.ExerciseFailed was replaced"),
    "ExerciseFailed look-alike in framework": (
        lambda mp: patch(mp, framework, "ExerciseFailed",
                         type("ExerciseFailed", (AssertionError,), dict(vars(failure.ExerciseFailed)))),
        "backprop_lib.checks.framework.ExerciseFailed was replaced"),
    "ExerciseFailed.__init__": (lambda mp: patch(mp, failure.ExerciseFailed, "__init__", lambda self, *a, **k: None),
                                "backprop_lib.checks.failure.ExerciseFailed.__init__ was replaced"),
    "call_student": (lambda mp: patch(mp, framework, "call_student", lambda fn, *a, **k: 0),
                     "backprop_lib.checks.framework.call_student was replaced"),
    "a constant": (lambda mp: patch(mp, running, "DEFAULT_TIME_LIMIT", 1e9),
                   "backprop_lib.checks.running.DEFAULT_TIME_LIMIT was replaced"),
    "a builtin shadowed in a module": (lambda mp: patch(mp, framework, "bool", lambda x: True, ),
                                       "backprop_lib.checks.framework.bool was added"),
    "a name deleted": (lambda mp: mp.delattr(running, "STUB_HINT"), "backprop_lib.checks.running.STUB_HINT was deleted"),
    "a data table": (lambda mp: set_item_in_place(_demo._PUBLIC, 0, 0.0),
                     "backprop_lib.checks._demo._PUBLIC[0] was replaced"),
    "numpy swapped in a module": (lambda mp: patch(mp, diagnosis, "np", types.SimpleNamespace(**vars(np))),
                                  "backprop_lib.checks.diagnosis.np was replaced"),
    "sys.modules entry replaced": (lambda mp: mp.setitem(sys.modules, diagnosis.__name__, _fake_diagnosis()),
                                   "sys.modules['backprop_lib.checks.diagnosis'] was replaced"),
    "sys.modules entry removed": (lambda mp: mp.delitem(sys.modules, running.__name__),
                                  "sys.modules['backprop_lib.checks.running'] was removed"),
    "grading's own helper": (lambda mp: patch(mp, grading, "_Comparison", None),
                             "backprop_lib.checks.grading._Comparison was replaced"),
    "grade's defaults": (lambda mp: patch(mp, grading.grade, "__defaults__", (True,)),
                         "backprop_lib.checks.grading.grade (its defaults)[0] was replaced"),
}


@pytest.mark.parametrize("cheat", list(CHEATS))
def test_each_cheat_fails_the_test_cell_and_names_what_was_modified(cheat, monkeypatch):
    apply, fragment = CHEATS[cheat]
    apply(monkeypatch)
    try:
        # the stub, and the answer a cheat would pair with a disabled comparison: both fail
        tampered(SQUARE_CELL, fragment, check_square=CHECK_SQUARE, square=stub)
        tampered(SQUARE_CELL, fragment, check_square=CHECK_SQUARE, square=lambda x: 0 * x)
    finally:
        while _UNDO:
            _UNDO.pop()()


def test_closures_are_compared():
    """No function of the checking chain has a closure today; the comparison covers them."""
    def make(value):
        def f():
            return value
        return f

    comparison = grading._Comparison(types.SimpleNamespace(modules={}))
    comparison.function("f", make(1.0), make(1.0))
    assert comparison.problems == []
    comparison.function("f", make(1.0), make(2.0))
    assert comparison.problems == ["f (closure 0) was replaced"]


def test_the_reference_code_a_checker_imports_is_verified_too(monkeypatch):
    from backprop_lib.checks.nb07_training import check_train_step
    from backprop_lib.layers import Linear

    monkeypatch.setattr(Linear, "backward_unchecked", lambda self, dout, input_grad=True: None)
    tampered("grade(check_train_step, train_step)", "backprop_lib.layers.Linear.backward_unchecked was replaced",
             check_train_step=check_train_step, train_step=stub)


def test_tampering_while_the_answer_runs_is_caught_afterwards():
    def square(x):
        framework.diagnose = lambda *a, **k: None     # the checker's later comparisons all pass
        return 0 * x

    original = framework.diagnose
    try:
        tampered(SQUARE_CELL, "while `square` ran: backprop_lib.checks.framework.diagnose was replaced",
                 check_square=_demo.check_square, square=square)
    finally:
        framework.diagnose = original


def test_tampering_by_an_answer_that_then_fails_is_reported_as_tampering():
    def square(x):
        framework.diagnose = lambda *a, **k: None
        raise ValueError("and then fail")

    original = framework.diagnose
    try:
        tampered(SQUARE_CELL, "while `square` ran", check_square=_demo.check_square, square=square)
    finally:
        framework.diagnose = original


# ------------------------------------------------- the package's code as an answer
# grade records what of the package the answer uses in its seal (published only under
# the autograde tool's key); the tool flags what the instructor's solution does not use.


@pytest.fixture()
def seals(monkeypatch):
    """The seals grade publishes, with a key set and a stand-in IPython shell."""
    import IPython

    published = []
    shell = types.SimpleNamespace(display_pub=types.SimpleNamespace(
        publish=lambda data, metadata: published.append(data[grading.SEAL_MIME])))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setenv(grading.KEY_VARIABLE, "k" * 32)
    return published


def _references(seals, source, **names):
    before = len(seals)
    run_cell(source, **names)
    (seal,) = seals[before:]
    return seal["references"]


def test_an_answer_that_calls_the_packages_function_is_recorded(seals, capsys):
    from backprop_lib.checks.nb06_activations import check_logsumexp
    from backprop_lib.losses import logsumexp as package_logsumexp

    def logsumexp(Z):
        return package_logsumexp(Z)

    cell = "grade(check_logsumexp, logsumexp)"
    assert _references(seals, cell, check_logsumexp=check_logsumexp, logsumexp=logsumexp) == [
        "backprop_lib.losses.logsumexp"]
    # the package's function itself as the answer
    assert _references(seals, cell, check_logsumexp=check_logsumexp, logsumexp=package_logsumexp) == [
        "backprop_lib.losses.logsumexp"]

    def through_module(Z):          # imported inside, reached through the package's modules
        import backprop_lib as bl
        return bl.losses.logsumexp(Z)

    assert _references(seals, cell, check_logsumexp=check_logsumexp, logsumexp=through_module) == [
        "backprop_lib.losses.logsumexp"]
    shown = capsys.readouterr().out
    assert "backprop_lib" not in shown and "ℹ" not in shown  # a flag for the instructor, not a message
    # the points stay
    run_cell("grade(check_logsumexp, logsumexp, hidden=True)", check_logsumexp=check_logsumexp,
             logsumexp=package_logsumexp)
    assert seals[-1]["passed"] > 0 and seals[-1]["hidden"] is True


def test_a_package_class_used_by_a_helper_of_the_notebook_is_recorded(seals):
    from backprop_lib.tensor import Tensor

    def helper(x):
        t = Tensor(np.asarray(x, dtype=float))
        return (t * t).data

    def square(x):
        return helper(x)

    assert _references(seals, SQUARE_CELL, check_square=CHECK_SQUARE, square=square) == ["backprop_lib.tensor.Tensor"]
    assert _references(seals, SQUARE_CELL, check_square=CHECK_SQUARE, square=globals()["square"]) == []


def test_package_classes_the_checker_hands_over_are_not_recorded(seals):
    """Notebook 02's checker passes graphs of the package's Value: an answer may use Value."""
    from backprop_lib.checks.nb02_graphs import check_topological_order
    from backprop_lib.scalar import Value

    def topological_order(root):
        assert isinstance(root, Value)
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)
        visit(root)
        return order

    assert _references(seals, "grade(check_topological_order, topological_order)",
                       check_topological_order=check_topological_order, topological_order=topological_order) == []


def test_attribute_names_are_not_mistaken_for_the_notebooks_variables(seals):
    """``np.zeros`` is numpy's even when the notebook has a package object named ``zeros``."""
    from backprop_lib.checks.nb12_tensor import check_gather_vjp
    from backprop_lib.tensor import Tensor

    namespace = {"np": np, "zeros": Tensor(np.zeros(2)), "add": Tensor(np.ones(2))}
    exec("def gather_vjp(g, shape, index):\n"
         "    dx = np.zeros(shape)\n"
         "    np.add.at(dx, index, g)\n"
         "    return dx\n", namespace)
    assert _references(seals, "grade(check_gather_vjp, gather_vjp)", check_gather_vjp=check_gather_vjp,
                       gather_vjp=namespace["gather_vjp"]) == []


# ------------------------------------------------------------------------ seals


def test_a_pass_publishes_a_seal_when_the_autograder_gives_a_key(monkeypatch, capsys):
    import IPython

    published = []
    shell = types.SimpleNamespace(display_pub=types.SimpleNamespace(
        publish=lambda data, metadata: published.append(data)))
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    run_cell(SQUARE_CELL, check_square=_demo.check_square, square=square)
    assert published == []                                 # no key: nothing
    monkeypatch.setenv(grading.KEY_VARIABLE, "k" * 32)
    run_cell(SQUARE_CELL + "\ngrade(check_square, square, hidden=True)",
             check_square=_demo.check_square, square=square)
    seals = [d[grading.SEAL_MIME] for d in published]
    assert [(s["checker"], s["hidden"], s["passed"], s["references"]) for s in seals] == [
        ("backprop_lib.checks._demo.check_square", False, 5, []),
        ("backprop_lib.checks._demo.check_square", True, 7, [])]
    assert all(grading.seal_is_valid("k" * 32, s) for s in seals)
    assert not grading.seal_is_valid("another key", seals[0])
    assert not grading.seal_is_valid("k" * 32, {**seals[0], "checker": "backprop_lib.checks._demo.check_grad_of_square"})
    with pytest.raises(ExerciseFailed):                    # a failing answer: no seal
        run_cell(SQUARE_CELL, check_square=_demo.check_square, square=stub)
    assert len(published) == 2


# ---------------------------------------------------------------------- timing


def test_grading_stays_fast(capsys):
    """A test cell makes two grade calls and must stay well under a second."""
    from backprop_lib.checks.nb07_training import check_momentum_update

    def momentum_update(param, grad, velocity, lr, beta):
        velocity *= beta
        velocity += grad
        param -= lr * velocity

    cell = "grade(check_momentum_update, momentum_update)\ngrade(check_momentum_update, momentum_update, hidden=True)"
    names = {"check_momentum_update": check_momentum_update, "momentum_update": momentum_update}
    run_cell(cell, **names)                                # warm: compiled code cached
    start = time.perf_counter()
    for _ in range(5):
        run_cell(cell, **names)
    per_cell = (time.perf_counter() - start) / 5
    start = time.perf_counter()
    for _ in range(5):
        check_momentum_update(momentum_update)
        check_momentum_update(momentum_update, hidden=True)
    unguarded = (time.perf_counter() - start) / 5
    assert per_cell < 0.5, f"{per_cell:.3f} s per test cell"
    assert per_cell - unguarded < 0.25, f"grading adds {per_cell - unguarded:.3f} s per test cell"
