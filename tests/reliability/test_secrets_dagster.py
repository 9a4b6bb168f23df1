"""Secrets in Dagster's failures: steps that fail while holding a spec or a credential leak neither.

One run of independent ensure ops, each failing with secrets in hand: a spec
whose secret lands in a field the spec model refuses, one the vendor refuses,
a create whose answer is lost and whose look-up fails, and a resource with a
wrong key. Every event the instance recorded (message, metadata, error and its
causes, serialized), the run record and the resources' reprs are searched for
the spec password, the wrong key and every accepted credential.
"""

import dagster as dg
import pytest

from conn_shared.sim import FaultPlan
from conn_shared.sim.server import SimServer
from dagster_conn import FivetranResource, build_ensure_op
from tests.dagster.support import PLANTED, PLANTED_VAR, make_resources, secrets_of, spec_of
from tests.reliability.support import lost_create
from tests.support.secrets import credential_values, secrets_in

WRONG_KEY = "wrong-key-planted-4c2a19"
WRONG_VAR = "CONN_TEST_WRONG_KEY"
#: Op -> (backend, resource key, EnsureConfig, the error type its failure must carry).
FAILURES = {
    "refused_here": (
        "fivetran",
        "fivetran",
        {"spec": spec_of("fivetran"), "secrets": {"sync_frequency": PLANTED_VAR}},
        "spec.sync_frequency: Input should be a valid integer",
    ),
    "refused_by_vendor": (
        "faraday",
        "faraday",
        {
            "spec": spec_of("faraday"),
            "secrets": {**secrets_of("faraday"), "options.port": PLANTED_VAR},
        },
        "InvalidRequestError",
    ),
    "create_lost": (
        "hub",
        "hub",
        {"spec": spec_of("hub"), "secrets": secrets_of("hub")},
        "ServerError",
    ),
    "wrong_key": (
        "fivetran",
        "fivetran_wrong",
        {"spec": spec_of("fivetran"), "secrets": secrets_of("fivetran")},
        "AuthenticationError",
    ),
}


def test_steps_failing_with_secrets_in_hand_leave_none_behind(
    sim: SimServer,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    record_property: object,
) -> None:
    monkeypatch.setenv(WRONG_VAR, WRONG_KEY)
    resources: dict[str, object] = dict(make_resources(sim, request_max_attempts=1))
    resources["fivetran_wrong"] = FivetranResource(
        api_key=dg.EnvVar(WRONG_VAR),
        api_secret=dg.EnvVar("CONN_TEST_FIVETRAN_SECRET"),
        base_url=sim.base_url("fivetran"),
    )
    ops = [
        build_ensure_op(backend=backend, name=name, resource_key=key)
        for name, (backend, key, _, _) in FAILURES.items()
    ]

    @dg.job
    def failing() -> None:
        for op_def in ops:
            op_def()

    sim.set_faults(FaultPlan(lost_create("hub")))
    result = failing.execute_in_process(
        resources=resources,
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {name: {"config": c} for name, (_, _, c, _) in FAILURES.items()}},
    )

    failures = {
        e.step_key: str(e.step_failure_data.error) + repr(e.step_failure_data.user_failure_data)
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE
    }
    assert sorted(failures) == sorted(FAILURES)
    assert [n for n, (*_, error) in FAILURES.items() if error not in failures[n]] == []
    places = {f"failure {step}": text for step, text in failures.items()}
    places["run"] = dg.serialize_value(instance.get_run_by_id(result.run_id))
    for number, entry in enumerate(instance.all_logs(result.run_id)):
        places[f"event {number}"] = dg.serialize_value(entry)
    places.update({f"resource {key}": repr(r) for key, r in resources.items()})
    literal = FivetranResource(api_key=WRONG_KEY, api_secret=PLANTED)  # secrets given as is
    places["resource with literal secrets"] = repr(literal) + str(literal)
    secrets = {**credential_values(sim.credentials), "spec password": PLANTED, "wrong": WRONG_KEY}
    assert secrets_in(places, secrets) == []
    record_property("places_searched", len(places))  # type: ignore[operator]
