"""Hypothesis profiles: `default` keeps `make test` quick; `chaos` (make chaos) runs more."""

import tests.support.profiles  # noqa: F401 (registers and loads the profiles)
