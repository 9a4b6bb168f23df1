"""The chaos runs are demo sessions: they need the frameworks loaded in the suite's homes."""

from tests.support.frameworks import frameworks_in_test_homes

__all__ = ["frameworks_in_test_homes"]
