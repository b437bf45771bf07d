"""Colour choices shared by every picture (all readable with colour-vision deficiency).

* ``SEQUENTIAL`` ('cividis') for magnitudes: dark blue (small) to yellow (large).
* ``DIVERGING`` ('PuOr') for signed quantities such as gradients: orange is negative,
  white is zero, purple is positive. Always paired with a colourbar or legend that says so.
* ``OKABE_ITO`` for categories (classes, curves): the Okabe-Ito palette.
"""
from __future__ import annotations

from matplotlib.colors import Normalize, TwoSlopeNorm

from backprop_lib.i18n import N_, _

SEQUENTIAL = "cividis"
DIVERGING = "PuOr"

#: Words for the two ends of ``DIVERGING``, used in colourbar labels.
DIVERGING_NEGATIVE = N_("orange")
DIVERGING_POSITIVE = N_("purple")

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Named roles, so every widget uses the same colour for the same idea.
FORWARD = "#0072B2"      # values flowing forward
BACKWARD = "#D55E00"     # gradients flowing backward
HIGHLIGHT = "#E69F00"    # the thing that just changed
MUTED = "#B0B0B0"        # not computed yet


def symmetric_norm(limit: float) -> Normalize:
    """A norm centred on zero that maps ``[-limit, limit]`` onto the diverging map."""
    limit = float(limit) if limit > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)


def diverging_label(quantity: str) -> str:
    """Colourbar text stating what the diverging colours mean."""
    return f"{quantity}  ({_(DIVERGING_NEGATIVE)} < 0 < {_(DIVERGING_POSITIVE)})"
