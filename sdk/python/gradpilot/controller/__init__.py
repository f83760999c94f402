"""The clipping controller, a port of the TS ``sdk/controller/``: pure, deterministic, no I/O.

Example::

    from gradpilot.controller import Controller
    controller = Controller({"kind": "zscore", "warmupSteps": 3})
    for step, g in enumerate([1, 1.2, 0.9, 1.1, 9, float("nan")]):
        d = controller.decide(step, g)         # multiply the gradients by d.coef
        print(step, g, d.threshold, d.coef, d.action, d.events)
"""

from .controller import Controller
from .detector import EventDetector
from .percentile import percentile_of_sorted
from .policy import DEFAULT_POLICY, PolicyError, parse_policy
from .types import Decision, DecisionStats

__all__ = [
    "Controller",
    "parse_policy",
    "PolicyError",
    "DEFAULT_POLICY",
    "EventDetector",
    "percentile_of_sorted",
    "Decision",
    "DecisionStats",
]
