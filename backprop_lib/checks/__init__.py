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
# One module per notebook topic; notebooks import from the module, e.g.
#     from backprop_lib.checks.vectorized import check_linear_backward
# (names are not flattened here: two notebooks each have a `check_train_step`).
from . import (  # noqa: E402
    activations,
    cost,
    derivatives,
    engine,
    gradient_flow,
    graphs,
    neurons,
    pytorch,
    training,
    vectorized,
)

#: topic module for each notebook with exercises, in series order
TOPICS = {
    "01_derivatives_and_the_chain_rule": derivatives,
    "02_computational_graphs": graphs,
    "03_building_an_autograd_engine": engine,
    "04_a_neuron_and_a_tiny_mlp": neurons,
    "05_vectorizing_backprop": vectorized,
    "06_activations_and_losses": activations,
    "07_training_multilayer_networks": training,
    "08_gradient_flow": gradient_flow,
    "09_the_cost_of_backprop": cost,
    "10_from_scratch_to_pytorch": pytorch,
}
__all__ += ["TOPICS"]
# --- end of topic checkers --------------------------------------------------------
