"""Fixtures for the widget tests."""
from __future__ import annotations

import pytest
from widget_helpers import VIEW_NAMES


@pytest.fixture(params=VIEW_NAMES)
def view_name(request) -> str:
    """Each widget view, by class name."""
    return request.param
