"""Exercise checkers used by the notebooks' graded cells.

Every checker is called as ``check_xxx(students_object)`` (add ``hidden=True`` for the
extra cases of the hidden tests), prints one line when everything passes and raises
:class:`ExerciseFailed` with a specific message otherwise. Graded test cells call them
through :func:`~.grading.grade`, which first verifies that the checking code is the
package's own.

The modules, each named for what it holds:

* ``failure``: :class:`ExerciseFailed`, the one exception a checker raises;
* ``running``: running the student's code under a time limit, exceptions explained;
* ``diagnosis``: comparing a value with the reference and saying how it differs;
* ``framework``: :func:`exercise`, :class:`Checker`, :class:`CheckContext` (how to write one);
* ``stubs``: stub detection and :func:`require`;
* ``grading``: :func:`grade`, what a graded test cell calls;
* ``nbNN_<topic>``: the checkers of notebook NN, e.g. ``nb05_vectorized``.
"""
from __future__ import annotations

from .diagnosis import diagnose, match_known_mistakes
from .failure import ExerciseFailed
from .framework import CheckContext, Checker, exercise
from .running import DEFAULT_TIME_LIMIT, call_student
from .stubs import require

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
    "TOPICS",
]

# --- topic checkers --------------------------------------------------------------
# One module per notebook; notebooks import from the module, e.g.
#     from backprop_lib.checks.nb05_vectorized import check_linear_backward
# (names are not flattened here: two notebooks each have a `check_train_step`).
from . import (  # noqa: E402
    nb01_derivatives,
    nb02_graphs,
    nb03_engine,
    nb04_neurons,
    nb05_vectorized,
    nb06_activations,
    nb07_training,
    nb08_gradient_flow,
    nb09_cost,
    nb10_frameworks,
    nb11_forward_mode,
    nb12_tensor,
    nb13_normalization,
    nb14_attention,
)

#: checker module for each notebook with exercises, in series order
TOPICS = {
    "01_derivatives_and_the_chain_rule": nb01_derivatives,
    "02_computational_graphs": nb02_graphs,
    "03_building_an_autograd_engine": nb03_engine,
    "04_a_neuron_and_a_tiny_mlp": nb04_neurons,
    "05_vectorizing_backprop": nb05_vectorized,
    "06_activations_and_losses": nb06_activations,
    "07_training_multilayer_networks": nb07_training,
    "08_gradient_flow": nb08_gradient_flow,
    "09_the_cost_of_backprop": nb09_cost,
    "10_from_scratch_to_pytorch": nb10_frameworks,
    "11_forward_mode_and_reverse_mode": nb11_forward_mode,
    "12_an_autograd_engine_for_arrays": nb12_tensor,
    "13_normalization_layers_by_hand": nb13_normalization,
    "14_backprop_through_attention": nb14_attention,
}
# --- end of topic checkers --------------------------------------------------------
