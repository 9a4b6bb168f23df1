"""Hypothesis profiles for every property-based suite: `default` for `make test`, `chaos` for more.

Import this module from a conftest; it registers both profiles and loads the one
`HYPOTHESIS_PROFILE` names (default: `default`). Registering again is harmless, so
each suite that needs hypothesis imports it itself (`make test-airflow-min` and
`make test-dagster-min` install no hypothesis and never import it).
"""

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "scaled"]

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("default", max_examples=60, **_COMMON)
settings.register_profile("chaos", max_examples=1000, **_COMMON)

#: The profile in force for this run.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def scaled(fraction: float) -> settings:
    """The loaded profile with `fraction` of its examples, at least 5.

    For properties whose every case runs an orchestrator (a Dagster run, a
    component load): they keep the profile's proportions without its cost.
    """
    return settings(max_examples=max(5, int(settings.default.max_examples * fraction)))
