"""The gradpilot client: ``init()`` a run, ``observe()`` each step, ``close()``. Internal modules
mirror the TS SDK's ``sdk/client/`` one for one."""

from .errors import GradpilotError, NonFiniteGradientError
from .init import init
from .policy_schedule import AppliedPolicy
from .run import Run

__all__ = ["init", "Run", "GradpilotError", "NonFiniteGradientError", "AppliedPolicy"]
