"""Plumbing shared by every widget view.

A widget is two objects:

* a **model**: plain Python holding the state and doing the computation (no ipywidgets,
  no matplotlib), so it can be tested and reused without a browser;
* a **view** (a subclass of :class:`WidgetView`): controls that change the model, and a
  picture of the model.

The view draws into one reused Agg figure, renders it to PNG bytes (through a
:class:`~backprop_lib.viz.raster.BlitRenderer`, which redraws only what changed) and puts
them in an ``ipywidgets.Image`` of fixed size (CSS class ``bp-figure``): the picture never
changes size, so nothing flickers or jumps. Every callback is wrapped so that an error shows its
message in an ``Output`` with class ``bp-error`` instead of disappearing into the
browser console.

A view lives on one thread: the one that made it (in a notebook, the kernel's main thread,
whose event loop also runs the view's background tasks). JupyterLab can send widget
messages over a kernel subshell, which ipykernel 7 handles on a thread of its own; a
callback that arrives there is handed to the view's event loop and runs on its thread.
So the model and the figure are never used by two threads at once (matplotlib and
FreeType are not thread-safe: two threads drawing one figure fail with FreeType errors).

A control that would do nothing in the current state (Back at the first step, Pause
when nothing runs) is disabled rather than left to do nothing: a subclass sets
``disabled`` (and any label that follows the state) in :meth:`WidgetView._sync_controls`,
which every refresh calls, so the controls always match the model. Every other control
changes the picture: the browser tests and ``tests/widgets/test_every_control_acts.py``
operate each enabled control and require the picture to change.

A subclass does four things::

    class MyView(WidgetView):
        STATE_KEYS = ("x",)                       # what get_state()/from_state() know

        def __init__(self, x=1.0):
            super().__init__()                    # image, error output, figure, painter
            self.model = MyModel(x)
            self.x_slider = FloatSlider(value=x, description="x")
            self._on_change(self.x_slider, self._x_changed)
            self.widget = self._build_root(self.x_slider)
            self.refresh()

        def _state_controls(self):                # key -> control, in restore order
            return {"x": self.x_slider}

        def _make_painter(self, fig):             # create the artists once
            ...

        def _paint(self, painter):                # update them from the model
            ...
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import traceback
from collections.abc import Callable, Coroutine, Hashable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import ipywidgets as W
from matplotlib.figure import Figure
from traitlets import TraitError

from backprop_lib.i18n import _
from backprop_lib.viz.raster import BlitRenderer
from backprop_lib.viz.render import new_figure

F = TypeVar("F", bound=Callable[..., Any])


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread (a Jupyter kernel's), or None (plain Python)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class WidgetView:
    """Base class of every widget view (see the module docstring for the recipe)."""

    #: Keys accepted by :meth:`get_state` / :meth:`from_state`, in the order they are restored.
    STATE_KEYS: ClassVar[tuple[str, ...]] = ()
    #: Size of the picture in pixels (fixed for the life of the widget).
    WIDTH_PX: ClassVar[int] = 720
    HEIGHT_PX: ClassVar[int] = 360
    #: Most backgrounds kept by :meth:`_background_key` (each is WIDTH_PX x HEIGHT_PX x 4 bytes).
    KEPT_BACKGROUNDS: ClassVar[int] = 8

    def __init__(self) -> None:
        # The thread that owns the view, and its event loop (None outside a kernel): every
        # callback runs there (see _safe), and so do the background tasks and all drawing.
        self._thread = threading.get_ident()
        self._loop = _running_loop()
        self.image = W.Image(
            format="png",
            width=self.WIDTH_PX,
            height=self.HEIGHT_PX,
            layout=W.Layout(width=f"{self.WIDTH_PX}px", height=f"{self.HEIGHT_PX}px",
                            object_fit="contain"),
        )
        self.image.add_class("bp-figure")
        self.error_output = W.Output(layout=W.Layout(max_height="8em", overflow="auto"))
        self.error_output.add_class("bp-error")
        #: Message of the last error shown in the widget, or None.
        self.last_error: str | None = None
        #: Full traceback of the last error (the widget shows only the message).
        self.last_traceback: str | None = None
        self.error_count = 0
        #: Number of times the picture was rendered (handy in tests and benchmarks).
        self.render_count = 0
        self._hold = 0
        self._dirty = False
        self._callback_depth = 0  # callbacks run inside callbacks (a control setting another)
        self._tasks: set[asyncio.Task] = set()
        self._fig = new_figure(self.WIDTH_PX, self.HEIGHT_PX)
        self._painter: Any = None  # created on the first refresh, once the model exists
        self._renderer = BlitRenderer(self._fig, kept_backgrounds=self.KEPT_BACKGROUNDS)
        self.widget: W.Box = W.VBox()

    # ------------------------------------------------------------------ subclass API
    def _make_painter(self, fig: Figure) -> Any:
        """Create the axes and artists on ``fig`` and return an object holding them.

        If the object has a ``dynamic`` list of animated artists, only those are redrawn
        on a cached background (and with a ``changed`` list, only the pixels they cover: see
        :mod:`backprop_lib.viz.raster`); call :meth:`_invalidate_background` when anything
        else (curves, limits, titles outside ``dynamic``) changes.
        """
        raise NotImplementedError

    def _paint(self, painter: Any) -> None:
        """Update the artists held by ``painter`` from the model (no rendering here)."""
        raise NotImplementedError

    def _state_controls(self) -> dict[str, W.ValueWidget]:
        """State key -> the control holding it, in the order they are restored."""
        return {}

    def _sync_controls(self) -> None:
        """Enable or disable controls (and update labels such as Play/Pause) from the model.

        Called by every :meth:`refresh`, before painting. Disable any control whose use
        would leave the picture unchanged in the current state. Default: nothing to do.
        """

    def _background_key(self) -> Hashable | None:
        """What the background (everything but the ``dynamic`` artists) depends on.

        Return a hashable key (e.g. the chosen function) to keep the background of each key:
        coming back to a setting then costs a blit, not a full draw. ``None`` (the default):
        only the current background is kept, until :meth:`_invalidate_background`.
        """
        return None

    # ------------------------------------------------------------------ building
    def _build_root(self, *rows: W.Widget) -> W.VBox:
        """The root box: the given rows of controls, then the picture, then the errors."""
        root = W.VBox([*rows, self.image, self.error_output])
        root.add_class("bp-widget")
        return root

    def _on_change(self, control: W.Widget, handler: Callable[[Any], None]) -> None:
        """Call ``handler(new_value)`` (error-safe) whenever ``control.value`` changes."""
        safe = self._safe(handler)
        control.observe(lambda change: safe(change["new"]), names="value")

    def _on_click(self, button: W.Button, handler: Callable[[], None]) -> None:
        """Call ``handler()`` (error-safe) when ``button`` is clicked."""
        safe = self._safe(handler)
        button.on_click(lambda _button: safe())

    # ------------------------------------------------------------------ errors
    def _safe(self, fn: F) -> F:
        """Wrap a callback: an exception is shown in the widget, never re-raised.

        The message stays until the student's next action (the next outermost callback).
        Called on another thread than the view's (a kernel subshell), the callback is
        handed to the view's event loop instead, and runs there as soon as it is free.
        """

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._loop is not None and threading.get_ident() != self._thread:
                with contextlib.suppress(RuntimeError):  # a closed loop: nothing else runs there
                    self._loop.call_soon_threadsafe(functools.partial(wrapper, *args, **kwargs))
                    return None
            if self._callback_depth == 0:
                self.clear_error()  # a new action: the message of the previous one is stale
            self._callback_depth += 1
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the student, on purpose
                self.show_error(exc)
                return None
            finally:
                self._callback_depth -= 1

        return wrapper  # type: ignore[return-value]

    def show_error(self, exc: BaseException) -> None:
        """Show ``exc`` in the ``bp-error`` output (message only; traceback kept aside)."""
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_traceback = "".join(traceback.format_exception(exc))
        self.error_count += 1
        self.error_output.outputs = ()
        self.error_output.append_stderr(self.last_error + "\n")

    def clear_error(self) -> None:
        """Remove the message shown in the ``bp-error`` output."""
        self.last_error = None
        self.error_output.outputs = ()

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Update the picture from the model (deferred while :meth:`hold_refresh` is active)."""
        if self._hold:
            self._dirty = True
            return
        self._sync_controls()
        if self._painter is None:
            self._painter = self._make_painter(self._fig)
            self._renderer.invalidate()  # backgrounds drawn with the previous painter's artists
        self._paint(self._painter)
        self.image.value = self._render()
        self.render_count += 1

    def _invalidate_background(self) -> None:
        """Call when something outside the painter's ``dynamic`` artists changed.

        (Not needed for a change of :meth:`_background_key`: that switches backgrounds.)
        """
        self._renderer.invalidate()

    def _render(self) -> bytes:
        """PNG bytes of the reused figure, as the painter left it (see :mod:`backprop_lib.viz.raster`)."""
        return self._renderer.render(self._painter, self._background_key())

    @contextlib.contextmanager
    def hold_refresh(self) -> Iterator[None]:
        """Change several controls and redraw once at the end."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1
            if not self._hold and self._dirty:
                self._dirty = False
                self._safe(self.refresh)()

    def figure(self) -> Figure:
        """A new Figure of the current view: the static picture for readers without a kernel."""
        fig = new_figure(self.WIDTH_PX, self.HEIGHT_PX, static=True)
        painter = self._make_painter(fig)
        self._paint(painter)
        for artist in getattr(painter, "dynamic", ()):
            artist.set_animated(False)  # a static picture draws everything, every time
        return fig

    def png(self) -> bytes:
        """The PNG bytes currently shown."""
        return bytes(self.image.value)

    # ------------------------------------------------------------------ state
    def get_state(self) -> dict[str, Any]:
        """The settings of the controls, e.g. ``{"depth": 30, "activation": "sigmoid"}``."""
        return {key: control.value for key, control in self._state_controls().items()}

    @classmethod
    def check_state_keys(cls, state: Mapping[str, Any]) -> None:
        """Raise ValueError naming any key that is not in :attr:`STATE_KEYS`."""
        if not isinstance(state, Mapping):
            raise TypeError(_("state must be a dict, got {kind}").format(kind=type(state).__name__))
        unknown = [key for key in state if key not in cls.STATE_KEYS]
        if unknown:
            raise ValueError(
                _("{view} has no state key(s) {unknown}; valid keys are {valid}").format(
                    view=cls.__name__, unknown=unknown, valid=list(cls.STATE_KEYS))
            )

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Set controls from ``state`` (unknown keys or invalid values raise ValueError)."""
        self.check_state_keys(state)
        controls = self._state_controls()
        with self.hold_refresh():
            for key, control in controls.items():
                if key not in state:
                    continue
                value = state[key]
                _check_value(key, control, value)
                errors_before = self.error_count
                try:
                    control.value = value
                except TraitError as exc:
                    raise ValueError(_("invalid value for {key!r}: {value!r} ({error})").format(
                        key=key, value=value, error=exc)) from None
                if self.error_count != errors_before:
                    raise ValueError(_("could not set {key!r} to {value!r}: {error}").format(
                        key=key, value=value, error=self.last_error))

    @classmethod
    def from_state(cls, state: Mapping[str, Any], **kwargs: Any) -> WidgetView:
        """A new view with the settings in ``state``; ``kwargs`` go to the constructor."""
        cls.check_state_keys(state)
        view = cls(**kwargs)
        view.set_state(state)
        return view

    # ------------------------------------------------------------------ async work
    def _start_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task:
        """Run ``coro`` on the running event loop (the kernel's) without blocking it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            raise RuntimeError(
                _("this needs a running event loop (a Jupyter kernel has one); use the Step button instead")
            ) from None
        task = loop.create_task(self._guarded(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the student, on purpose
            self.show_error(exc)

    async def wait_idle(self) -> None:
        """Wait until background work (play, training) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def close(self) -> None:
        """Stop background work and close the widget."""
        for task in list(self._tasks):
            task.cancel()
        self.widget.close()

    # ------------------------------------------------------------------ display
    @property
    def busy(self) -> bool:
        """True while background work (play, training) is running."""
        return any(not task.done() for task in self._tasks)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _check_value(key: str, control: W.ValueWidget, value: Any) -> None:
    """Reject values a control would silently change (sliders clamp) or refuse."""
    if hasattr(control, "min") and hasattr(control, "max") and not isinstance(control, W.Text):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(_("{key!r} must be a number, got {value!r}").format(key=key, value=value))
        low, high = control.min, control.max
        if isinstance(control, W.FloatLogSlider):
            low, high = control.base ** control.min, control.base ** control.max
        if not low <= value <= high:
            raise ValueError(_("{key!r} must be between {low:g} and {high:g}, got {value!r}").format(
                key=key, low=low, high=high, value=value))
    if hasattr(control, "options") and hasattr(control, "label"):
        allowed = [option[1] if isinstance(option, tuple) else option for option in control.options]
        if value not in allowed:
            raise ValueError(_("{key!r} must be one of {allowed}, got {value!r}").format(
                key=key, allowed=allowed, value=value))
