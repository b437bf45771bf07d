"""The checker framework against known-wrong student code.

Each wrong implementation must fail with its own specific message; correct ones pass;
nothing but ExerciseFailed ever leaves a checker.
"""
from __future__ import annotations

import signal
import sys
import threading
import time

import numpy as np
import pytest
from checker_helpers import fails_with

from backprop_lib import checks
from backprop_lib.checks import (
    ExerciseFailed,
    call_student,
    diagnose,
    exercise,
    match_known_mistakes,
    require,
    running,
)
from backprop_lib.checks._demo import check_grad_of_square, check_square

# ----------------------------------------------------------------- test checkers
# Written with the public API, the way a topic module would be.

@exercise("Exercise 5.1", "linear_backward")
def check_linear_backward(c):
    for N, n_in, n_out in c.cases([(2, 3, 4), (5, 2, 3)], hidden=[(7, 4, 6), (16, 5, 5)]):
        X = c.rng.normal(size=(N, n_in))
        W = c.rng.normal(size=(n_in, n_out))
        dout = c.rng.normal(size=(N, n_out))
        with c.case(f"X of shape {X.shape}, W of shape {W.shape}"):
            dX, dW, db = c.call(X, W, dout, returns=("dX", "dW", "db"))
            c.compare("dX", dX, dout @ W.T)
            c.compare("dW", dW, X.T @ dout)
            c.compare("db", db, dout.sum(axis=0))


@exercise("Exercise 2.3", "accumulate")
def check_accumulate(c):
    """accumulate(grad, local, upstream) -> the child's gradient after one more edge."""
    for shape in c.cases([(3,), (2, 2)], hidden=[(4,), (3, 3)]):
        grad = c.rng.normal(size=shape)
        local = c.rng.normal(size=shape)
        upstream = c.rng.normal(size=shape)
        c.compare("grad", c.call(grad, local, upstream), grad + local * upstream, mistakes={
            "you overwrite the gradient instead of accumulating it: use `+=`, "
            "a node used twice gets both contributions": local * upstream,
        })


@exercise("Exercise 4.2", "mse_grad")
def check_mse_grad(c):
    """mse_grad(pred, y) -> d/dpred of mean((pred - y)**2)."""
    for N in c.cases([4, 8], hidden=[16, 3]):
        pred = c.rng.normal(size=N)
        y = c.rng.normal(size=N)
        c.compare("dpred", c.call(pred, y), 2 * (pred - y) / N, batch_size=N)


# ------------------------------------------------------------ student solutions

def linear_backward(X, W, dout):
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def linear_backward_sign(X, W, dout):
    return dout @ W.T, -(X.T @ dout), dout.sum(axis=0)


def linear_backward_transposed(X, W, dout):
    return dout @ W.T, dout.T @ X, dout.sum(axis=0)


def linear_backward_bias_not_summed(X, W, dout):
    return dout @ W.T, X.T @ dout, dout


def linear_backward_none(X, W, dout):
    dX, dW, db = dout @ W.T, X.T @ dout, dout.sum(axis=0)  # noqa: F841 - the mistake


def linear_backward_two_values(X, W, dout):
    return dout @ W.T, X.T @ dout


def linear_backward_raises(X, W, dout):
    dX = X @ dout  # the shapes do not fit
    return dX, X.T @ dout, dout.sum(axis=0)


def linear_backward_nan(X, W, dout):
    dW = X.T @ dout
    dW[0, 0] = np.nan
    return dout @ W.T, dW, dout.sum(axis=0)


def linear_backward_stub(X, W, dout):
    # YOUR CODE HERE
    raise NotImplementedError()


def linear_backward_loops(X, W, dout):
    while True:
        pass


def linear_backward_loops_and_swallows(X, W, dout):
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # a student's catch-all must not defeat the time limit
            pass


def linear_backward_list(X, W, dout):
    return (dout @ W.T).tolist(), (X.T @ dout).tolist(), list(dout.sum(axis=0))


def linear_backward_mutates(X, W, dout):
    dX, dW, db = dout @ W.T, X.T @ dout, dout.sum(axis=0)
    X *= 0.0  # changes the caller's array: the checker must not be fooled
    return dX, dW, db


def accumulate(grad, local, upstream):
    return grad + local * upstream


def accumulate_overwrite(grad, local, upstream):
    return local * upstream


def mse_grad(pred, y):
    return 2 * (pred - y) / len(pred)


def mse_grad_no_mean(pred, y):
    return 2 * (pred - y)


def mse_grad_no_two(pred, y):
    return (pred - y) / len(pred)


# ------------------------------------------------------------------------- tests

def test_correct_solutions_pass_with_one_line(capsys):
    check_linear_backward(linear_backward)
    check_linear_backward(linear_backward, hidden=True)
    check_accumulate(accumulate)
    check_mse_grad(mse_grad)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "✔ Exercise 5.1 linear_backward: 6 of 6 checks passed",
        "✔ Exercise 5.1 linear_backward: 6 of 6 checks passed (hidden tests)",
        "✔ Exercise 2.3 accumulate: 2 of 2 checks passed",
        "✔ Exercise 4.2 mse_grad: 2 of 2 checks passed",
    ]


def test_array_likes_are_accepted(capsys):
    check_linear_backward(linear_backward_list)
    assert "checks passed" in capsys.readouterr().out


def test_student_mutating_inputs_does_not_fool_the_checker():
    check_linear_backward(linear_backward_mutates, quiet=True)


def test_sign_flip():
    msg = fails_with(check_linear_backward, linear_backward_sign)
    assert "`dW`: the gradient has the wrong sign" in msg
    assert msg.startswith("Exercise 5.1 linear_backward (with X of shape (2, 3), W of shape (3, 4))")


def test_missing_transpose():
    msg = fails_with(check_linear_backward, linear_backward_transposed)
    assert "expected shape (3, 4), got (4, 3): did you transpose?" in msg


def test_bias_not_summed_over_batch():
    msg = fails_with(check_linear_backward, linear_backward_bias_not_summed)
    assert "`db`: expected shape (4,), got (2, 4): did you forget to sum over the batch (axis=0)?" in msg


def test_overwrite_instead_of_accumulate_is_named():
    msg = fails_with(check_accumulate, accumulate_overwrite)
    assert "you overwrite the gradient instead of accumulating it" in msg


def test_forgot_to_divide_by_batch_size():
    msg = fails_with(check_mse_grad, mse_grad_no_mean)
    assert "off by a factor of N = 4 (the batch size): did you forget to divide by N" in msg


def test_off_by_constant_factor():
    msg = fails_with(check_mse_grad, mse_grad_no_two)
    assert "off by a factor of 0.5: a missing/extra factor?" in msg
    msg = fails_with(check_mse_grad, lambda pred, y: 4 * (pred - y) / len(pred))
    assert "off by a factor of 2.0: a missing/extra factor?" in msg


def test_returns_none():
    msg = fails_with(check_linear_backward, linear_backward_none)
    assert "returned None, but it should return 3 values (dX, dW, db): did you forget `return`?" in msg
    msg = fails_with(check_mse_grad, lambda pred, y: None)
    assert "`dpred` is None: did you forget `return`?" in msg


def test_wrong_number_of_return_values():
    msg = fails_with(check_linear_backward, linear_backward_two_values)
    assert "should return 3 values (dX, dW, db), but returned 2 values" in msg


def test_exception_names_type_message_and_student_line():
    msg = fails_with(check_linear_backward, linear_backward_raises)
    assert "`linear_backward` raised ValueError: matmul" in msg
    assert "in `linear_backward_raises`, line" in msg
    assert "dX = X @ dout  # the shapes do not fit" in msg
    assert "print the .shape" in msg
    assert "(with X of shape (2, 3), W of shape (3, 4))" in msg


def test_exception_inside_numpy_points_at_the_student_line():
    def solve(A):
        return np.linalg.inv(A)  # singular: LinAlgError raised inside numpy

    with pytest.raises(ExerciseFailed) as info:
        call_student(solve, np.zeros((2, 2)), name="solve")
    msg = str(info.value)
    assert "`solve` raised LinAlgError: Singular matrix" in msg
    assert "return np.linalg.inv(A)  # singular" in msg


def test_nan():
    msg = fails_with(check_linear_backward, linear_backward_nan)
    assert "`dW` contains NaN at index (0, 0) (1 of 12 entries)" in msg


def test_not_implemented_stub():
    msg = fails_with(check_linear_backward, linear_backward_stub)
    assert "`linear_backward` is not written yet: replace `raise NotImplementedError()` with your code" in msg


@pytest.mark.parametrize("student", [linear_backward_loops, linear_backward_loops_and_swallows])
def test_infinite_loop_is_stopped(student):
    handler_before = signal.getsignal(signal.SIGALRM)
    start = time.perf_counter()
    msg = fails_with(check_linear_backward, student, time_limit=0.3)
    assert time.perf_counter() - start < 3.0
    assert "`linear_backward` took longer than 0.3 s: is there a loop that never ends?" in msg
    # the timer and handler are put back as they were
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler_before


def test_default_time_limit_message_says_5_s():
    assert running.DEFAULT_TIME_LIMIT == 5.0
    assert running.fmt_seconds(running.DEFAULT_TIME_LIMIT) == "5 s"


def test_time_limit_outside_the_main_thread_uses_a_thread():
    box = {}
    stop = threading.Event()

    def loops_until_the_test_ends():
        while not stop.is_set():  # endless for the checker; the test ends it afterwards
            pass

    def worker():
        try:
            call_student(loops_until_the_test_ends, name="f", time_limit=0.3)
        except BaseException as exc:  # recorded for the assertion below
            box["exc"] = exc

    t = threading.Thread(target=worker)
    start = time.perf_counter()
    t.start()
    t.join(5)
    elapsed = time.perf_counter() - start
    stop.set()  # a thread cannot be killed: end the runaway student code for the next tests
    assert elapsed < 3.0
    assert isinstance(box.get("exc"), ExerciseFailed)
    assert "took longer than 0.3 s" in str(box["exc"])


def test_without_signals_or_threads_there_is_no_limit_but_no_crash(monkeypatch):
    def no_threads(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.delattr(signal, "setitimer")
    monkeypatch.setattr(threading.Thread, "start", no_threads)
    assert call_student(lambda x: 2 * x, 21, name="double") == 42
    check_linear_backward(linear_backward, quiet=True)
    assert "is not written yet" in fails_with(check_linear_backward, linear_backward_stub)


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_linear_backward(interrupted)


def test_sys_exit_in_student_code():
    msg = fails_with(check_linear_backward, lambda *a: sys.exit(1))
    assert "called exit() / sys.exit()" in msg


@pytest.mark.parametrize("student, expected", [
    (None, "`linear_backward` is None: run the cell that defines it"),
    (5, "`linear_backward` should be a function, but it is an int (5)"),
    ("linear_backward", "should be a function, but it is a str ('linear_backward')"),
])
def test_not_callable(student, expected):
    assert expected in fails_with(check_linear_backward, student)


def test_internal_checker_bug_becomes_exercise_failed():
    @exercise("Exercise 9.9", "buggy")
    def check_buggy(c):
        c.compare("x", c.call(1.0), 1.0)
        return {}["missing"]  # a bug in the checker, not in the student's code

    msg = fails_with(check_buggy, lambda x: x)
    assert msg.startswith("internal checker error in Exercise 9.9 buggy: KeyError")
    assert "please report it" in msg


def test_checker_that_checks_nothing_is_an_internal_error():
    @exercise("Exercise 9.8", "empty")
    def check_empty(c):
        c.call(1.0)

    assert "the checker ran no checks" in fails_with(check_empty, lambda x: x)


def test_a_generator_body_is_a_checker_bug_not_a_pass():
    """Bodies compare through ``c.compare``; a generator body runs no checks, so it must fail."""
    @exercise("Exercise 1.1", "double")
    def check_double(c):
        for x in c.cases([1.0, 2.0, -3.0]):
            yield "double(x)", c.call(x), 2 * x

    assert "ran no checks" in fails_with(check_double, lambda x: x + x)


def test_hidden_uses_other_seeded_cases():
    seen = {}

    @exercise("Exercise 7.1", "probe")
    def check_probe(c):
        seen.setdefault(c.hidden, []).append(c.rng.normal(size=3))
        c.check(True, "never")

    check_probe(None, quiet=True)
    check_probe(None, quiet=True)
    check_probe(None, hidden=True, quiet=True)
    assert np.array_equal(seen[False][0], seen[False][1])  # reproducible
    assert not np.allclose(seen[False][0], seen[True][0])  # different when hidden


def test_check_reports_its_message():
    @exercise("Exercise 3.1", "Value")
    def check_value(c):
        c.check(hasattr(c.student, "grad"), "a Value needs a `.grad` attribute, starting at 0.0")

    assert "a Value needs a `.grad` attribute" in fails_with(check_value, object())


def test_demo_checkers():
    check_square(lambda x: x * x, quiet=True)
    check_square(lambda x: x * x, hidden=True, quiet=True)
    check_grad_of_square(lambda x: 2 * x, quiet=True)
    assert "function itself, not its derivative" in fails_with(check_grad_of_square, lambda x: x * x)
    assert "off by a factor of 0.5" in fails_with(check_grad_of_square, lambda x: x)
    assert "this is 2x, the derivative" in fails_with(check_square, lambda x: 2 * x)


def test_render_traceback_is_the_message_only():
    err = ExerciseFailed("Exercise 1.1 square:\n`square` is None: did you forget `return`?")
    assert isinstance(err, AssertionError)
    assert err._render_traceback_() == [
        "✘ Exercise 1.1 square:",
        "  `square` is None: did you forget `return`?",
    ]


def test_ipython_shows_no_traceback(capsys):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        shell.run_cell(
            "from backprop_lib.checks._demo import check_square\n"
            "def square(x):\n    return None\n"
            "check_square(square)\n")
    finally:
        interactiveshell.InteractiveShell.clear_instance()
    out = capsys.readouterr()
    shown = out.out + out.err
    assert "✘ Exercise 0.1 square (with x = 3):" in shown
    assert "did you forget `return`?" in shown
    assert "Traceback" not in shown and "framework.py" not in shown and "running.py" not in shown


# ----------------------------------------------------------------- diagnose

@pytest.mark.parametrize("got, expected, message", [
    (None, np.ones(3), "`v` is None: did you forget `return`?"),
    ("abc", np.ones(3), "`v` should be numbers, but it is a str ('abc')"),
    (np.ones((4, 3)), np.ones((3, 4)), "`v`: expected shape (3, 4), got (4, 3): did you transpose?"),
    (np.ones(12), np.ones((3, 4)), "right number of entries, wrong arrangement"),
    (np.ones((3, 1)), np.ones(3), "an extra or missing axis of length 1"),
    (np.ones(5), np.ones(3), "`v`: expected shape (3,), got (5,)."),
    (np.ones(3), 2.0, "`v` should be a single number, got an array of shape (3,): did you forget to sum or average?"),
    (2.0, np.ones(3), "`v` should be an array of shape (3,), got the single number 2.0"),
    (np.array([1.0, np.inf]), np.ones(2), "`v` contains inf at index 1 (1 of 2 entries)"),
    (np.float64(np.nan), 1.0, "`v` contains NaN"),
    (np.zeros(3), np.ones(3), "`v` is all zeros"),
    (-np.ones(3), np.ones(3), "`v` has the wrong sign"),
    (np.ones(3) * 3, np.ones(3), "`v` is off by a factor of 3.0: a missing/extra factor?"),
    (np.ones(3) * -2, np.ones(3), "off by a factor of -2.0: the sign is wrong"),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 3.0], [2.0, 4.0]]), "is the transpose of the expected value"),
    (1.5, 1.0, "`v` is wrong: got 1.5, expected 1.0 (difference 0.5)"),
])
def test_diagnose_messages(got, expected, message):
    assert message in diagnose("v", got, expected)


def test_diagnose_max_difference_and_index():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[2, 1] += 0.31
    got[0, 0] -= 0.1
    msg = diagnose("H", got, expected)
    assert "max difference 0.31 at index (2, 1) (got 9.31, expected 9.0; 2 of 12 entries differ)" in msg
    assert "got      = [[" in msg and "expected = [[" in msg


def test_diagnose_accepts_matches_and_array_likes():
    assert diagnose("v", [1.0, 2.0], np.array([1.0, 2.0])) is None
    assert diagnose("v", np.float32(0.5), 0.5) is None
    assert diagnose("v", np.array(0.5), 0.5) is None
    assert diagnose("v", 1.0 + 1e-9, 1.0) is None
    assert diagnose("v", None, None) is None


def test_diagnose_gradient_wording():
    assert "`dW`: the gradient has the wrong sign" in diagnose("dW", -np.ones(2), np.ones(2))
    assert diagnose("loss", -1.0, 1.0).startswith("`loss` has the wrong sign")


def test_diagnose_huge_values_give_a_message_not_a_warning():
    # pytest turns RuntimeWarnings from backprop_lib into errors: overflow must stay quiet
    huge = np.array([1e200, 2e200])
    assert "`v` is wrong: max difference" in diagnose("v", 2 * huge, huge)
    assert "contains inf" in diagnose("v", np.array([np.inf, 1.0]), np.array([1.0, 2.0]))


def test_diagnose_value_object_hint():
    class Value:
        def __init__(self, data):
            self.data = data

    assert "did you mean its `.data`?" in diagnose("out", Value(2.0), 2.0)


def test_match_known_mistakes():
    expected = np.array([1.0, 2.0])
    mistakes = {"forgot to divide by N": expected * 2, "same as expected here": expected.copy()}
    assert match_known_mistakes(expected * 2, mistakes, expected=expected) == "forgot to divide by N"
    # a known-wrong value equal to the right answer is ignored
    assert match_known_mistakes(expected, mistakes, expected=expected) is None
    assert match_known_mistakes(expected * 5, mistakes) is None
    assert match_known_mistakes(None, mistakes) is None
    assert match_known_mistakes(np.ones(3), mistakes) is None  # other shape


# -------------------------------------------------------------------- require

def stub_fn(x):
    # YOUR CODE HERE
    raise NotImplementedError()


class StubClass:
    def forward(self, x):
        return x

    def backward(self, dout):
        # YOUR CODE HERE
        raise NotImplementedError()


class DoneClass:
    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


REQUIRE_MSG = ("This cell uses your answer to Exercise 3.2, which is not done yet: "
               "finish it first (or skip this cell).")


@pytest.mark.parametrize("obj", [stub_fn, None, StubClass, StubClass(), StubClass().backward])
def test_require_stops_on_unfinished_work(obj):
    with pytest.raises(ExerciseFailed) as info:
        require(obj, "Exercise 3.2")
    assert str(info.value) == REQUIRE_MSG


@pytest.mark.parametrize("obj", [lambda x: x, DoneClass, DoneClass(), np.mean, 3.0])
def test_require_lets_finished_work_through(obj):
    require(obj, "Exercise 3.2")


def test_require_with_probe_arguments():
    def sneaky(x):
        return helper(x)

    def helper(x):
        raise NotImplementedError

    require(sneaky, "Exercise 3.2")  # no probe: the stub is in another function
    with pytest.raises(ExerciseFailed, match="Exercise 3.2, which is not done yet"):
        require(sneaky, "Exercise 3.2", 1.0)
    require(lambda x: x, "Exercise 3.2", 1.0)


def test_public_api_is_exported():
    for name in ["ExerciseFailed", "call_student", "diagnose", "exercise", "Checker",
                 "CheckContext", "match_known_mistakes", "require"]:
        assert name in checks.__all__ and hasattr(checks, name)


def test_checks_import_only_the_core_and_numpy():
    import subprocess

    code = ("import sys, backprop_lib.checks, backprop_lib.checks._demo\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in {'matplotlib', 'ipywidgets', 'IPython'}]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_math_function_on_an_array_gets_a_numpy_hint():
    import math

    from backprop_lib.checks import ExerciseFailed, call_student

    def sigmoid_derivative(x):
        s = 1 / (1 + math.exp(-x))
        return s * (1 - s)

    with pytest.raises(ExerciseFailed) as info:
        call_student(sigmoid_derivative, np.linspace(-1.0, 1.0, 3), name="sigmoid_derivative")
    assert "use the numpy version (np.exp" in str(info.value)
