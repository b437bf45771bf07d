"""A Play/Pause toggle that advances a view one frame at a time, for the animated widgets.

:class:`AnimatedView` is a :class:`~backprop_lib.widgets.base.WidgetView` with that button::

    class MyView(AnimatedView):
        def __init__(self, interval=0.6):
            super().__init__()
            self.interval = interval                      # seconds between two frames
            self._make_play_button("▶ Play", "step automatically; click again to pause")
            ...

        def _play_done(self): ...                         # nothing left to show
        def _play_advance(self): ...                      # show the next frame
        def _play_rewind(self): ...                       # back to the first frame

The loop runs on the kernel's event loop, so the notebook stays responsive; Pause (the
same button) or a new Play ends it. The view's ``_sync_controls`` sets the button's
label (Play or Pause) from :attr:`playing`.
"""
from __future__ import annotations

import asyncio

import ipywidgets as W

from backprop_lib.widgets.base import WidgetView

__all__ = ["AnimatedView"]


class AnimatedView(WidgetView):
    """A view whose ``play_button`` (a ToggleButton) advances it every ``interval`` seconds."""

    interval: float

    def _make_play_button(self, description: str, tooltip: str) -> W.ToggleButton:
        """Create ``self.play_button`` and connect it; call once from ``__init__``."""
        self.play_button = W.ToggleButton(value=False, description=description, tooltip=tooltip)
        self._play_run: object | None = None
        self._on_change(self.play_button, self._play_toggled)
        return self.play_button

    # -- what the view defines -------------------------------------------------
    def _play_done(self) -> bool:
        """True when there is no next frame."""
        raise NotImplementedError

    def _play_advance(self) -> None:
        """Show the next frame."""
        raise NotImplementedError

    def _play_rewind(self) -> None:
        """Go back to the first frame (Play pressed after the last one starts again)."""
        raise NotImplementedError

    # -- the loop ----------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return bool(self.play_button.value)

    def _play_toggled(self, playing: bool) -> None:
        if playing:
            if self._play_done():
                self._play_rewind()
            try:
                self._start_task(self._play())
            except RuntimeError:
                self.play_button.value = False
                raise
        self.refresh()  # the title says "playing"; the button reads Pause

    async def _play(self) -> None:
        """Advance every ``interval`` seconds until the end or until Pause; never blocks the kernel."""
        run = self._play_run = object()  # a later Play starts a new run; this one then ends
        try:
            while self.play_button.value and self._play_run is run and not self._play_done():
                await asyncio.sleep(self.interval)
                if not self.play_button.value or self._play_run is not run:
                    break
                self._play_advance()
        finally:
            if self._play_run is run:
                self.play_button.value = False
