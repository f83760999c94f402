"""gradpilot: a gradient-norm monitor and auto-clipping controller for training loops.

``gradpilot.init()`` starts a run that decides every step locally with the same controller the
server runs and streams the steps in the background; ``gradpilot.torch.clip_grad_norm_`` is
the one-line PyTorch adapter.

Example::

    import gradpilot
    from gradpilot.torch import clip_grad_norm_

    run = gradpilot.init(url="http://127.0.0.1:7070", name="tiny-gpt", policy={"kind": "percentile", "p": 10})
    for step, (x, y) in enumerate(loader):
        loss = loss_fn(model(x), y)
        loss.backward()
        d = clip_grad_norm_(run, model.parameters(), step=step, loss=loss.item())
        if d.action != "skip":
            opt.step()
        opt.zero_grad(set_to_none=True)
    print(run.close())
"""

# The client (init, Run, errors).
from .client import AppliedPolicy, GradpilotError, NonFiniteGradientError, Run, init

# The controller (pure, no I/O): the decisions of the TS one, bit for bit.
from .controller import DEFAULT_POLICY, Controller, Decision, EventDetector, PolicyError, parse_policy

__all__ = ["init", "Run", "GradpilotError", "NonFiniteGradientError", "AppliedPolicy"]
__all__ += ["Controller", "Decision", "parse_policy", "PolicyError", "DEFAULT_POLICY", "EventDetector"]
