"""Exercise checkers used by the notebooks' graded cells.

Every checker is called as ``check_xxx(students_object)`` (add ``hidden=True`` for the
extra cases of the hidden tests), prints one line when everything passes and raises
:class:`ExerciseFailed` with a specific message otherwise. See :mod:`.core` for how to
write one.
"""
from .core import (
    DEFAULT_TIME_LIMIT,
    CheckContext,
    Checker,
    ExerciseFailed,
    call_student,
    diagnose,
    exercise,
    match_known_mistakes,
    require,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "CheckContext",
    "Checker",
    "ExerciseFailed",
    "call_student",
    "diagnose",
    "exercise",
    "match_known_mistakes",
    "require",
]

# --- topic checkers --------------------------------------------------------------
# Authors of backprop_lib/checks/<topic>.py: add one import line per module here,
# and the checker names to __all__, e.g.
#     from .linear import check_linear_forward, check_linear_backward
#     __all__ += ["check_linear_forward", "check_linear_backward"]
# --- end of topic checkers --------------------------------------------------------
