"""Shared test settings: hypothesis profiles.

``ci`` (the default) is repeatable: derandomized, a fixed number of examples,
no deadline (CI machines are slow and shared). ``dev`` searches longer for
local fuzzing: ``HYPOTHESIS_PROFILE=dev python -m pytest``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
