"""Matplotlib drawing for the notebooks and widgets (no pyplot, no global state).

* :mod:`~backprop_lib.viz.render`   -- Figures with an Agg canvas, PNG bytes
* :mod:`~backprop_lib.viz.raster`   -- fast redraws: cached backgrounds, only the changed pixels
* :mod:`~backprop_lib.viz.colors`   -- shared colour-blind-safe colour maps and roles
* :mod:`~backprop_lib.viz.graph`    -- computational graph of a scalar ``Value``
* :mod:`~backprop_lib.viz.network`  -- an MLP drawn as layers of units
* :mod:`~backprop_lib.viz.boundary` -- decision boundary of a classifier
"""
from __future__ import annotations

from backprop_lib.viz.render import StaticFigure, new_figure, png_bytes

__all__ = ["StaticFigure", "new_figure", "png_bytes"]
