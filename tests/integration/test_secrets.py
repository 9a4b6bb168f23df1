"""A secret put into the API key and into the connection's settings never shows up.

A simulator of its own accepts keys that carry a fresh random marker; the same marker
goes into each connection's password. One lifecycle per backend and executor runs
with DEBUG logging captured, including a retried 503, a connection whose setup fails
on that password and a call with a wrong key; then the marker is searched for in the
logs, stdout/stderr, exception texts, and the reprs and JSON of every result.
"""

import base64
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conn_shared import Step
from conn_shared.errors import ConnError
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    pause_connection,
    resume_connection,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.integration.conftest import CLOCK_SPEED
from tests.integration.support import BACKENDS, MODES, WAIT, Driver, make_backend, make_spec

MARKER = f"zq{uuid.uuid4().hex}"
CREDENTIALS = SimCredentials(
    fivetran_api_key=f"key-{MARKER}",
    fivetran_api_secret=f"secret-{MARKER}",
    faraday_api_key=f"key-{MARKER}",
    hub_token=f"token-{MARKER}",
)
#: Fivetran's Basic header carries key:secret base64-encoded; it must not leak either.
BASIC = base64.b64encode(
    f"{CREDENTIALS.fivetran_api_key}:{CREDENTIALS.fivetran_api_secret}".encode()
).decode()


@pytest.fixture(scope="module")
def secret_sim() -> Iterator[SimServer]:
    """A simulator that accepts only the marked credentials."""
    with SimServer(clock=SimClock(speed=CLOCK_SPEED), credentials=CREDENTIALS) as server:
        yield server


def _reprs(value: Any) -> list[str]:
    return [repr(value), str(value)]


def _texts(value: Any) -> list[str]:
    """How a result may be shown or exported: repr, str and (for models) its JSON."""
    dump = getattr(value, "model_dump_json", None)
    return _reprs(value) + ([dump()] if dump is not None else [])


def _lifecycle(driver: Driver, sim: SimServer, seen: list[str]) -> None:
    """Every supported step, plus a retried 503 and a setup that fails on the password."""
    backend = driver.backend
    caps = backend.capabilities
    spec = make_spec(backend.name, password=f"pw-{MARKER}")
    # Inputs: only their reprs (a spec's JSON is the user's own secret-bearing input).
    seen += _reprs(spec) + _reprs(backend) + _reprs(backend.profile())
    ensured = driver.run(ensure_connection(backend, spec))
    connection_id = ensured.connection.connection_id
    seen += _texts(ensured) + _texts(driver.run(ensure_connection(backend, spec)))
    if Step.VERIFY in caps:
        seen += _texts(driver.run(verify_connection(backend, connection_id)))
    seen += _texts(driver.run(wait_until_ready(backend, connection_id, policy=WAIT)))
    if Step.SYNC in caps:
        handle = driver.run(trigger_sync(backend, connection_id))
        seen += _texts(handle)
        seen += _texts(driver.run(wait_for_sync(backend, handle, policy=WAIT)))
    if Step.PAUSE in caps:
        seen += _texts(driver.run(pause_connection(backend, connection_id)))
        seen += _texts(driver.run(resume_connection(backend, connection_id)))

    sim.set_faults(FaultPlan([FaultRule("error", 503, times=1, method="GET")]))
    seen += _texts(driver.run(get_readiness(backend, connection_id)))
    assert sim.state()["faults"]["fired"] == {"error": 1}

    # Every simulator fails a setup whose password contains "fail".
    failing = make_spec(backend.name, label="it_failing", password=f"fail-{MARKER}")
    failed_id = driver.run(ensure_connection(backend, failing)).connection.connection_id
    if Step.VERIFY in caps:
        seen += _texts(driver.run(verify_connection(backend, failed_id)))
    with pytest.raises(ConnError) as caught:
        driver.run(wait_until_ready(backend, failed_id, policy=WAIT))
    seen += _texts(caught.value)

    assert driver.run(delete_connection(backend, connection_id)) is True
    assert driver.run(delete_connection(backend, failed_id)) is True


@pytest.mark.parametrize("mode", [pytest.param(m, id=m) for m in MODES])
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in BACKENDS])
def test_the_secret_appears_nowhere(
    secret_sim: SimServer,
    name: str,
    mode: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret_sim.reset()
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    driver = Driver(mode, make_backend(name, secret_sim), secret_sim)
    wrong = Driver(mode, make_backend(name, secret_sim, key=f"wrong-{MARKER}"), secret_sim)
    try:
        _lifecycle(driver, secret_sim, seen)
        with pytest.raises(ConnError) as caught:
            wrong.run(get_readiness(wrong.backend, "any-connection"))
        seen += _texts(caught.value)
        for made in (driver, wrong):
            seen += _reprs(made.backend.settings)  # type: ignore[attr-defined]
    finally:
        driver.close()
        wrong.close()
    captured = capsys.readouterr()

    assert caplog.records, "DEBUG logging captured nothing"
    assert any(r.levelno == logging.WARNING for r in caplog.records), "no retry was logged"
    haystack = "\n".join([caplog.text, captured.out, captured.err, *seen])
    assert MARKER not in haystack
    assert BASIC not in haystack
