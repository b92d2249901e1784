"""Shared test settings: hypothesis profiles.

``ci`` (the default) is repeatable: derandomized, a fixed number of examples,
no deadline (CI machines are slow and shared). ``dev`` searches longer for
local fuzzing: ``HYPOTHESIS_PROFILE=dev python -m pytest``.
"""

import os
import signal

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A shell runs a background job (`python -m pytest &` in a script) with SIGINT ignored, and an
# ignored signal stays ignored in every program it starts: the tests of Ctrl-C would then test
# nothing and fail. Python's own handler here also reaches the subprocesses they start, which
# begin with SIGINT at its default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
