"""No secret (API key, secret options) reaches a repr, a str, an error, an export or a log."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from conn_shared.backends.faraday import FaradayBackend, FaradayConnectionSpec, FaradaySettings
from conn_shared.backends.faraday.models import Connection
from conn_shared.errors import InvalidRequestError
from conn_shared.executors import SyncExecutor
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    trigger_sync,
    wait_for_sync,
)
from conn_shared.waiting import WaitPolicy
from tests.unit.faraday.support import (
    API_KEY,
    BASE,
    CONN_ID,
    Script,
    Sleeps,
    connection_json,
    error_body,
    reply,
)

SECRETS = {
    "password": "pw-9f8e7d6c5b4a",
    "api_key": "ak-1a2b3c4d5e6f",
    "token": "tk-0badc0ffee00",
}
OPTIONS = {"type": "postgres", "host": "db.example.com", "port": 5432, **SECRETS}
ALL = (API_KEY, *SECRETS.values())


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in ALL:
            assert secret not in text, f"secret leaked into: {text[:200]}"


def test_settings_backend_profile_and_auth_reprs() -> None:
    settings = FaradaySettings(api_key=API_KEY, extra_headers={"X-Api-Token": SECRETS["token"]})
    b = FaradayBackend(settings)
    profile = b.profile()
    _assert_clean(
        repr(settings),
        str(settings),
        repr(b),
        str(b),
        repr(profile),
        repr(profile.auth),
        repr(b.settings),
    )
    assert API_KEY in profile.secrets


def test_every_flow_keeps_secrets_out_of_logs_results_and_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = connection_json(options=OPTIONS)
    script = Script()
    # ensure: absent, a create whose answer is lost, found again; then drift -> PATCH
    script.on("GET", "/connections", reply(200, []), reply(200, [stored]))
    script.on("POST", "/connections", httpx.ReadTimeout(f"timed out sending {API_KEY}"))
    script.on("PATCH", f"/connections/{CONN_ID}", reply(200, stored))
    script.on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(200, stored),  # readiness
        reply(200, stored),  # before-state of the sync
        reply(200, {**stored, "last_updated_output_at": "2026-01-02T00:00:00Z"}),
    )
    script.on("POST", f"/connections/{CONN_ID}/force_update", reply(202))
    script.on("GET", f"/connections/{CONN_ID}/datasets", reply(200, []))
    script.on("GET", f"/connections/{CONN_ID}/targets", reply(200, []))
    script.on("DELETE", f"/connections/{CONN_ID}", reply(204))
    # A rejected create whose error text quotes what it was sent.
    rejecting = Script().on(
        "POST",
        "/connections",
        reply(
            400,
            error_body(
                "VALIDATION_FAILED",
                f"key {API_KEY} and password {SECRETS['password']} rejected",
                validationErrors=[
                    {"path": "/options/password", "message": f"bad {SECRETS['password']}"}
                ],
            ),
        ),
    )
    b = FaradayBackend(api_key=API_KEY, base_url=BASE)
    spec = FaradayConnectionSpec(name="Warehouse", options=OPTIONS)
    drifted = FaradayConnectionSpec(name="Warehouse", options={**OPTIONS, "port": 6543})
    texts: list[str] = [repr(spec), str(spec)]
    sleeps = Sleeps()
    with (
        caplog.at_level(logging.DEBUG),
        SyncExecutor(
            b.profile(),
            transport=script.transport(),
            sleep=sleeps,
            monotonic=sleeps.monotonic,
            clock=sleeps.monotonic,
        ) as executor,
    ):
        results: list[Any] = [
            executor.run(ensure_connection(b, spec)),
            executor.run(ensure_connection(b, drifted)),
            executor.run(get_readiness(b, CONN_ID)),
        ]
        handle = executor.run(trigger_sync(b, CONN_ID))
        policy = WaitPolicy(poll_interval=1, max_poll_interval=1, timeout=60)
        results += [handle, executor.run(wait_for_sync(b, handle, policy=policy))]
        results.append(executor.run(delete_connection(b, CONN_ID)))
        with (
            SyncExecutor(b.profile(), transport=rejecting.transport()) as other,
            pytest.raises(InvalidRequestError) as caught,
        ):
            other.call(b.create_connection("Warehouse", OPTIONS))
    assert results[0].created is True
    assert results[1].updated is True
    error = caught.value
    texts += [str(error), repr(error), error.message, repr(error.field_errors), caplog.text]
    assert results[-1] is True
    for result in results[:-1]:
        texts += [repr(result), str(result), result.model_dump_json()]
    texts += [repr(Connection.model_validate(stored)), str(Connection.model_validate(stored))]
    assert "pw-" not in caplog.text
    _assert_clean(*texts)
    assert "options.password: bad ***" in str(error)
    # The secrets were really sent (write-only), so the checks above mean something.
    sent = b"".join(r.content for r in script.requests + rejecting.requests)
    assert SECRETS["password"].encode() in sent
    assert all(r.headers["Authorization"] == f"Bearer {API_KEY}" for r in script.requests)
    # The drift patch carried no secret at all.
    patch = script.bodies("PATCH", f"/connections/{CONN_ID}")
    assert patch == [{"options": {"type": "postgres", "port": 6543}}]
