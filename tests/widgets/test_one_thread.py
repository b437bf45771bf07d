"""A view's callbacks, background work and drawing all run on one thread.

JupyterLab 4.6 sends widget messages over a kernel subshell by default, and ipykernel 7
handles each subshell on a thread of its own, with its own event loop. So a click can
arrive on another thread than the one whose loop runs the view's background training
(the notebook's main thread). A matplotlib figure and the model of a view are not safe to
use from two threads at once: two threads drawing one figure make FreeType fail
("FT_Render_Glyph ... raster overflow", "FT_Load_Glyph ... invalid outline"), and two
threads training one network mix up its forward caches ("matmul: ... mismatch"). The
browser test of notebook 07 hit this after Train, Pause, Step.

The stress test below plays that scenario without a browser: Train pressed on the loop of
the thread that made the view, Step and Pause pressed from a second thread running its own
loop, as a subshell does.
"""
from __future__ import annotations

import asyncio
import collections
import threading

from backprop_lib.widgets import TangentSmokeCheck, TrainingPlayground

ROUNDS = 12


def _record(view) -> tuple[collections.Counter, list[str]]:
    """Count the threads that render ``view``, and collect the errors it shows."""
    renders: collections.Counter = collections.Counter()
    errors: list[str] = []
    render, show_error = view._render, view.show_error

    def counting_render():
        renders[threading.current_thread().name] += 1
        return render()

    def collecting_show_error(exc):
        errors.append(f"{type(exc).__name__}: {exc}")
        show_error(exc)

    view._render, view.show_error = counting_render, collecting_show_error
    return renders, errors


def test_clicks_from_a_subshell_thread_run_on_the_views_own_loop():
    async def scenario():
        view = TrainingPlayground(n=60)                 # made on this thread, as in a notebook cell
        renders, errors = _record(view)

        def subshell():                                 # another thread with its own event loop
            async def clicks():
                for _ in range(ROUNDS):
                    for _ in range(3):
                        view.step_button.click()
                        await asyncio.sleep(0.005)
                    view.pause_button.click()
                    await asyncio.sleep(0.01)
            asyncio.run(clicks())

        thread = threading.Thread(target=subshell, name="subshell")
        thread.start()
        while thread.is_alive():
            view.train_button.click()                   # training runs on this thread's loop
            await asyncio.sleep(0.005)
        for _ in range(3):
            await asyncio.sleep(0.01)                   # the last clicks handed over to this loop
        view.pause_button.click()
        await view.wait_idle()
        return view, renders, errors

    view, renders, errors = asyncio.run(scenario())
    assert not errors, f"{len(errors)} errors, e.g. {errors[0]}\n{view.last_traceback}"
    assert set(renders) == {threading.current_thread().name}, f"renders by thread: {dict(renders)}"
    assert view.model.trainer.step_count > 0


def test_a_callback_from_another_thread_runs_later_on_the_views_loop():
    async def scenario():
        view = TangentSmokeCheck()
        ran_on = []
        view._on_change(view.slider, lambda _value: ran_on.append(threading.get_ident()))
        thread = threading.Thread(target=lambda: setattr(view.slider, "value", view.slider.value + view.slider.step))
        thread.start()
        thread.join()
        assert ran_on == []                             # handed over, not run on the other thread
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return ran_on

    assert asyncio.run(scenario()) == [threading.get_ident()]


def test_without_an_event_loop_callbacks_run_where_they_are_called():
    view = TangentSmokeCheck()                          # plain Python: no loop to hand over to
    ran_on = []
    view._on_change(view.slider, lambda _value: ran_on.append(threading.get_ident()))
    thread = threading.Thread(target=lambda: setattr(view.slider, "value", view.slider.value + view.slider.step))
    thread.start()
    thread.join()
    assert ran_on == [thread.ident]
