"""The lifecycle ops and the connection job, run with execute_in_process on the simulator.

Every backend gets the chain its capabilities allow; a rerun creates nothing new;
a retried sync op re-attaches instead of asking again; bad definitions and bad
config fail with messages that name the field; the planted password and the
account credentials never reach the event log.
"""

import json
from datetime import datetime, timezone
from typing import Any

import dagster as dg
import pytest

from conn_shared import TRANSPORT_SETTINGS, SyncHandle, SyncKind
from conn_shared.sim import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionResource,
    FivetranResource,
    build_connection_job,
    build_delete_op,
    build_ensure_op,
    build_pause_op,
    build_resume_op,
    build_resync_op,
    build_sync_op,
    build_verify_op,
    build_wait_sync_op,
)
from dagster_conn.components.connections.component import AccountModel
from dagster_conn.syncs import HANDLE_TAG_PREFIX, stored_handle
from tests.dagster.support import (
    BACKENDS,
    CREATE_ROUTE,
    PLANTED,
    SYNC_ROUTE,
    credential_env,
    event_text,
    make_resources,
    secrets_of,
    spec_of,
)

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]

#: The ops each backend's job chains, by verb.
CHAINS = {
    "fivetran": [
        "ensure_connection",
        "verify_connection",
        "wait_until_ready",
        "trigger_sync",
        "wait_for_sync",
    ],
    "faraday": ["ensure_connection", "wait_until_ready", "trigger_sync", "wait_for_sync"],
    "hub": ["ensure_connection", "verify_connection", "wait_until_ready"],
}


def _job(backend: str, **kwargs: Any) -> dg.JobDefinition:
    return build_connection_job(
        name=f"{backend}_shop",
        backend=backend,
        spec=kwargs.pop("spec", spec_of(backend)),
        secrets=secrets_of(backend),
        **kwargs,
    )


def _run(
    job: dg.JobDefinition,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        resources=resources, instance=instance, raise_on_error=False, **kwargs
    )


def _secrets_absent(sim: SimServer, instance: dg.DagsterInstance, run_id: str) -> None:
    recorded = event_text(instance, run_id)
    for value in credential_env(sim).values():
        assert value not in recorded


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_the_job_chains_the_steps_its_backend_has_and_a_rerun_creates_nothing(
    sim: SimServer,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    backend: str,
) -> None:
    job = _job(backend)
    assert [node.name for node in job.graph.node_defs] == [
        f"{backend}_shop_{verb}" for verb in CHAINS[backend]
    ]

    first = _run(job, resources, instance)
    second = _run(job, resources, instance)

    assert first.success
    assert second.success
    assert sim.count(backend, "POST", CREATE_ROUTE[backend]) == 1
    last = f"{backend}_shop_{CHAINS[backend][-1]}"
    if backend in SYNC_ROUTE:
        report = first.output_for_node(last)
        assert (report["backend"], report["state"], report["kind"]) == (
            backend,
            "succeeded",
            "sync",
        )
        assert report["finished_at"] is not None
        assert sim.count(backend, "POST", SYNC_ROUTE[backend]) == 2
    else:
        assert first.output_for_node(last) == second.output_for_node(last)
    _secrets_absent(sim, instance, first.run_id)


def test_a_retried_sync_op_reattaches_to_the_sync_it_asked_for(
    sim: SimServer, instance: dg.DagsterInstance
) -> None:
    """The request reached Fivetran but its answer was lost; the retry asks nothing again."""
    resources = make_resources(sim, request_max_attempts=1)
    ready = _job("fivetran", steps=["ensure", "verify", "readiness"])
    connection_id = _run(ready, resources, instance).output_for_node(
        "fivetran_shop_wait_until_ready"
    )
    sync = build_sync_op(backend="fivetran", name="sync").with_retry_policy(
        dg.RetryPolicy(max_retries=1)
    )
    wait = build_wait_sync_op(backend="fivetran", name="wait")

    @dg.job
    def retried_sync() -> None:
        wait(sync())

    sim.set_faults(
        FaultPlan(
            [
                FaultRule(
                    "commit_then_lose",
                    times=1,
                    method="POST",
                    path="/fivetran/v1/connections/*/sync",
                )
            ]
        )
    )
    before = sim.count("fivetran", "POST", SYNC_ROUTE["fivetran"])
    result = _run(
        retried_sync,
        resources,
        instance,
        run_config={
            "ops": {
                "sync": {"inputs": {"connection_id": connection_id}},
            }
        },
    )

    assert result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 1
    assert sim.count("fivetran", "POST", SYNC_ROUTE["fivetran"]) == before + 1
    assert result.output_for_node("wait")["state"] == "succeeded"


def test_pause_resume_resync_and_delete_ops(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    connection_id = _run(_job("fivetran"), resources, instance).output_for_node(
        "fivetran_shop_ensure_connection"
    )
    pause = build_pause_op(backend="fivetran", name="pause")
    resume = build_resume_op(backend="fivetran", name="resume")
    resync = build_resync_op(backend="fivetran", name="resync")
    wait = build_wait_sync_op(backend="fivetran", name="wait")
    delete = build_delete_op(backend="fivetran", name="delete")

    @dg.job
    def maintenance() -> None:
        wait(resync(resume(pause())))

    @dg.job
    def teardown() -> None:
        delete()

    tables = [{"schema_name": "shop_public", "table": "orders"}]
    first = _run(
        maintenance,
        resources,
        instance,
        run_config={
            "ops": {
                "pause": {"inputs": {"connection_id": connection_id}},
                "resync": {"config": {"tables": tables}},
            }
        },
    )
    gone = _run(
        teardown,
        resources,
        instance,
        run_config={"ops": {"delete": {"inputs": {"connection_id": connection_id}}}},
    )
    again = _run(
        teardown,
        resources,
        instance,
        run_config={"ops": {"delete": {"inputs": {"connection_id": connection_id}}}},
    )

    assert first.success
    assert sim.count("fivetran", "PATCH", "/v1/connections/{connectionId}") == 2
    assert sim.count("fivetran", "POST", "/v1/connections/{connectionId}/resync") == 1
    assert first.output_for_node("wait")["kind"] == "resync"
    assert (gone.output_for_node("delete"), again.output_for_node("delete")) == (True, False)


@pytest.mark.parametrize(
    ("factory", "backend", "step"),
    [
        pytest.param(build_sync_op, "hub", "sync", id="hub-sync"),
        pytest.param(build_wait_sync_op, "hub", "sync_outcome", id="hub-wait-sync"),
        pytest.param(build_verify_op, "faraday", "verify", id="faraday-verify"),
        pytest.param(build_pause_op, "faraday", "pause", id="faraday-pause"),
        pytest.param(build_resync_op, "faraday", "resync", id="faraday-resync"),
    ],
)
def test_an_op_for_a_step_the_backend_lacks_fails_at_definition(
    factory: Any, backend: str, step: str
) -> None:
    with pytest.raises(
        dg.DagsterInvalidDefinitionError, match=rf"the {backend} backend has no '{step}' step"
    ):
        factory(backend=backend)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"backend": "hub", "steps": ["sync"]},
            "the hub backend has no 'sync' step",
            id="hub-sync",
        ),
        pytest.param(
            {"backend": "fivetran", "steps": ["sync_outcome"]}, "add 'sync'", id="wait-without-sync"
        ),
        pytest.param(
            {"backend": "fivetran", "steps": ["teleport"]},
            "'teleport' is not one of ensure",
            id="unknown-step",
        ),
        pytest.param(
            {"backend": "airbyte"},
            "backend: unknown 'airbyte'; expected one of fivetran",
            id="unknown-backend",
        ),
    ],
)
def test_a_bad_job_definition_names_what_is_wrong(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((dg.DagsterInvalidDefinitionError, ValueError), match=message):
        build_connection_job(name="bad", **kwargs)


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures
    return "\n".join(str(e.step_failure_data.error) for e in failures)


@pytest.mark.parametrize(
    ("spec", "secrets", "message"),
    [
        pytest.param(
            {"service": "postgres", "schema_name": "shop"},
            {"config.password": "CONN_TEST_PG_PASSWORD"},
            "spec.group_id: Field required",
            id="missing-field",
        ),
        pytest.param(
            {
                "group_id": "g",
                "service": "postgres",
                "schema_name": "shop",
                "sync_frequency": "often",
            },
            {},
            "spec.sync_frequency: Input should be a valid integer",
            id="wrong-type",
        ),
        pytest.param(
            spec_of("fivetran"),
            {"config.password": "CONN_TEST_UNSET_VARIABLE"},
            "secrets.config.password: environment variable 'CONN_TEST_UNSET_VARIABLE' is not set",
            id="unset-secret",
        ),
    ],
)
def test_bad_ensure_config_fails_naming_the_field(
    sim: SimServer,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    spec: dict[str, Any],
    secrets: dict[str, str],
    message: str,
) -> None:
    job = build_connection_job(
        name="bad_spec", backend="fivetran", steps=["ensure"], spec=spec, secrets=secrets
    )
    result = _run(job, resources, instance)
    assert not result.success
    assert message in _failure_text(result)
    assert PLANTED not in event_text(instance, result.run_id)
    assert sim.count("fivetran", "POST", CREATE_ROUTE["fivetran"]) == 0


def test_bad_wait_config_is_refused_naming_the_field_and_values(
    resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    job = _job("fivetran")
    run_config = {
        "ops": {"fivetran_shop_wait_for_sync": {"config": {"on_rescheduled": "sometimes"}}}
    }
    with pytest.raises(
        dg.DagsterInvalidConfigError,
        match=r"on_rescheduled not in enum type Literal\['wait', 'retry', 'fail'\]",
    ):
        job.execute_in_process(resources=resources, instance=instance, run_config=run_config)


def test_a_failed_verification_fails_at_once_without_the_secret(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    job = _job("hub", spec=spec_of("hub", host="fail.example.com"))
    result = _run(job, resources, instance)
    text = _failure_text(result)
    assert "failed verification" in text
    assert "Could not reach postgres" in text
    _secrets_absent(sim, instance, result.run_id)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_rejected_credentials_fail_at_once_without_retries_or_the_secret(
    sim: SimServer,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    wrong = "planted-wrong-credential-SECRET-42"
    for name in ("CONN_TEST_FIVETRAN_KEY", "CONN_TEST_FARADAY_KEY", "CONN_TEST_HUB_TOKEN"):
        monkeypatch.setenv(name, wrong)
    ensure = build_ensure_op(backend=backend, name="ensure").with_retry_policy(
        dg.RetryPolicy(max_retries=2)
    )

    @dg.job
    def ensure_only() -> None:
        ensure()

    result = _run(
        ensure_only,
        make_resources(sim),
        instance,
        run_config={
            "ops": {
                "ensure": {"config": {"spec": spec_of(backend), "secrets": secrets_of(backend)}}
            }
        },
    )

    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    kind = failure.step_failure_data.user_failure_data.metadata["error_type"].value
    assert kind in {"AuthenticationError", "PermissionDeniedError"}  # Faraday: 403 for a bad key
    assert not [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert wrong not in event_text(instance, result.run_id)
    assert PLANTED not in event_text(instance, result.run_id)


def test_a_stored_handle_is_read_back_only_by_the_run_that_wrote_it(
    instance: dg.DagsterInstance,
) -> None:
    handle = SyncHandle(
        backend="fivetran",
        connection_id="c1",
        kind=SyncKind.SYNC,
        requested_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    seen: list[SyncHandle | None] = []

    @dg.op
    def probe(context: dg.OpExecutionContext) -> None:
        key = f"{HANDLE_TAG_PREFIX}probe"
        for writer in ("a-parent-run", context.run.run_id):
            value = {"run_id": writer, "handle": handle.model_dump(mode="json")}
            context.instance.add_run_tags(context.run.run_id, {key: json.dumps(value)})
            seen.append(stored_handle(context))

    @dg.job
    def probing() -> None:
        probe()

    assert probing.execute_in_process(instance=instance).success
    assert seen == [None, handle]


def test_every_transport_setting_is_a_resource_field_and_a_component_attribute() -> None:
    assert set(TRANSPORT_SETTINGS) <= set(ConnectionResource.model_fields)
    assert set(TRANSPORT_SETTINGS) <= set(AccountModel.model_fields)


def test_plain_http_to_another_host_is_refused_unless_allowed() -> None:
    remote = "http://fivetran.internal:8080"
    refused = FivetranResource(api_key="key", api_secret="sEcReT-http-77d", base_url=remote)
    with pytest.raises(dg.Failure, match="allow_insecure_http") as raised:
        refused.get_backend()
    assert "sEcReT-http-77d" not in str(raised.value)

    allowed = FivetranResource(
        api_key="key", api_secret="s", base_url=remote, allow_insecure_http=True, verify_tls=False
    )
    settings = allowed.get_backend().settings
    assert (settings.allow_insecure_http, settings.verify_tls) == (True, False)
