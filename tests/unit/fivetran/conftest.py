"""Run every flow test through both executors."""

from typing import Any

import pytest

from tests.unit.fivetran.support import run_async, run_sync


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Any:
    """`run(backend, handler, call_or_flow) -> (result, sleeps)` with either executor."""
    return run_sync if request.param == "sync" else run_async
