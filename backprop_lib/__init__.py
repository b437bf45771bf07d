"""Backprop from the Ground Up: reference implementations."""
from __future__ import annotations

__version__ = "0.1.0"
