"""Backprop from the Ground Up: reference implementations."""
__version__ = "0.1.0"
