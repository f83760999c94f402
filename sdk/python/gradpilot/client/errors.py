"""The SDK's one error class (with a code), and the error ``on_non_finite: raise`` throws."""

from __future__ import annotations

import math

#: Why the SDK raised: the TS SDK's codes; UNREACHABLE, SERVER_FAULT and OLDER_SERVER are reported, never raised.
CODES = ("INVALID_OPTION", "INVALID_STEP", "NON_FINITE", "RESUME_FAILED", "CLOSED", "UNREACHABLE", "SERVER_FAULT", "OLDER_SERVER")


class GradpilotError(Exception):
    """Every error the SDK raises. ``code`` says which kind; ``__cause__`` carries a wrapped error.

    Example::

        try:
            run = gradpilot.init(url, runId="x")
        except gradpilot.GradpilotError as err:
            print(err.code, err)  # INVALID_OPTION Misspelled option "runId": did you mean "id"?
    """

    def __init__(self, message: str, code: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.__cause__ = cause


class NonFiniteGradientError(GradpilotError):
    """Raised by ``run.observe`` when the policy says ``onNonFinite: 'raise'`` and the step's
    gradient norm or loss is NaN or ±inf. The step has been recorded and still reaches the server.

    Example::

        try:
            d = clip_grad_norm_(run, model.parameters(), step=step)
        except gradpilot.NonFiniteGradientError as err:
            print(f"diverged at step {err.step}")
    """

    def __init__(self, step: int, grad_norm: float, loss: float | None) -> None:
        what = f"the loss is {loss}" if math.isfinite(grad_norm) else f"the gradient norm is {grad_norm}"
        super().__init__(
            f"Step {step}: {what}. The run's policy says onNonFinite: 'raise'; "
            "use onNonFinite: 'skip' to drop such steps and keep training.",
            "NON_FINITE",
        )
        self.step = step
        self.grad_norm = grad_norm
        self.loss = loss
