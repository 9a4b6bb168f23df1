"""plan_connection and the identity checks of ensure, against the simulator, on every backend.

A plan is a dry run of ensure: it must read (GET) and never write, say create /
update / none as ensure would then do, list drift field by field, and never hold
a secret, not even one it would resend. A spec whose identity names a connection
of another kind is an IdentityConflictError on every backend, with nothing written.
"""

from collections.abc import Callable
from typing import Any

import pytest

from conn_shared import (
    ConnectionPlan,
    FieldChange,
    IdentityConflictError,
    PlanAction,
    ensure_connection,
    plan_connection,
)
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import BACKENDS, MODES, connection_ids, make_spec

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]
MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]

PLANTED = "planted-Pa55word-4c1d"
ROTATED = "rotated-Pa55word-9e2b"

#: Where each backend keeps the host and the password, as a plan names them.
HOST_FIELD = {"fivetran": "config.host", "faraday": "options.host", "hub": "config.host"}
SECRET_FIELDS = {
    "fivetran": ["config.password"],
    "faraday": ["options.password"],
    "hub": ["credentials.username", "credentials.password"],
}


def _writes(sim: SimServer, name: str) -> int:
    """Requests other than GET the simulator counted for backend `name`."""
    return sum(
        int(row["count"])
        for row in sim.request_counts()
        if row["backend"] == name and row["method"] != "GET"
    )


def _plan(driver: Any, sim: SimServer, spec: Any, **kwargs: Any) -> ConnectionPlan:
    """Run a plan, checking that it wrote nothing and that its JSON holds no secret."""
    before = _writes(sim, driver.backend.name)
    plan: ConnectionPlan = driver.run(plan_connection(driver.backend, spec, **kwargs))
    assert _writes(sim, driver.backend.name) == before, "a plan sent a write"
    text = plan.model_dump_json() + repr(plan) + plan.describe()
    assert PLANTED not in text
    assert ROTATED not in text
    assert ConnectionPlan.model_validate_json(plan.model_dump_json()) == plan  # travels as JSON
    return plan


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_plan_of_an_absent_connection_is_a_create_and_creates_nothing(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    plan = _plan(driver, sim, make_spec(name, password=PLANTED))

    assert (plan.backend, plan.action, plan.name) == (name, PlanAction.CREATE, "it_postgres")
    assert plan.connection_id is None
    assert plan.changes == ()
    assert "db.example.com" in plan.model_dump_json()  # the non-secret settings it would send
    assert connection_ids(sim, name) == []
    assert _writes(sim, name) == 0


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_plan_of_a_settled_connection_is_none(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "sync")
    spec = make_spec(name, password=PLANTED)
    ensured = driver.run(ensure_connection(driver.backend, spec))

    plan = _plan(driver, sim, spec)

    assert (plan.action, plan.connection_id) == (
        PlanAction.NONE,
        ensured.connection.connection_id,
    )
    assert (plan.settings, plan.changes, plan.notes) == ({}, (), ())


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_plan_of_a_drifted_connection_lists_the_change_and_ensure_makes_it(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "sync")
    ensured = driver.run(ensure_connection(driver.backend, make_spec(name, password=PLANTED)))
    moved = make_spec(name, host="db2.example.com", password=PLANTED)

    plan = _plan(driver, sim, moved)

    assert (plan.action, plan.connection_id) == (
        PlanAction.UPDATE,
        ensured.connection.connection_id,
    )
    assert plan.changes == (
        FieldChange(field=HOST_FIELD[name], current="db.example.com", desired="db2.example.com"),
    )
    applied = driver.run(ensure_connection(driver.backend, moved))
    assert (applied.created, applied.updated) == (False, True)
    assert _plan(driver, sim, moved).action is PlanAction.NONE


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_a_rotated_secret_is_sent_only_when_asked(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "sync")
    driver.run(ensure_connection(driver.backend, make_spec(name, password=PLANTED)))
    rotated = make_spec(name, password=ROTATED)

    assert _plan(driver, sim, rotated).action is PlanAction.NONE  # secrets are never drift
    quiet = driver.run(ensure_connection(driver.backend, rotated))
    assert quiet.updated is False

    plan = _plan(driver, sim, rotated, resend_secrets=True)
    assert plan.action is PlanAction.UPDATE
    assert [c.field for c in plan.changes] == SECRET_FIELDS[name]
    assert {(c.desired, c.secret) for c in plan.changes} == {("***", True)}

    before = _writes(sim, name)
    resent = driver.run(ensure_connection(driver.backend, rotated, resend_secrets=True))
    assert resent.updated is True
    assert _writes(sim, name) == before + 1  # one update carrying the secrets


#: A spec with the identity of `make_spec(name)` but of another kind: (spec, existing raw) -> spec.
#: The hub identifies by slug across providers, by name only within one provider.
ANOTHER_KIND: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "fivetran": lambda spec, _: spec.model_copy(update={"service": "mysql"}),
    "faraday": lambda spec, _: spec.model_copy(
        update={"options": {**spec.options, "type": "snowflake"}}
    ),
    "hub": lambda spec, raw: spec.model_copy(update={"provider": "mlflow", "slug": raw["slug"]}),
}
EXPECTED_KIND = {
    "fivetran": ("mysql", "postgres"),
    "faraday": ("snowflake", "postgres"),
    "hub": ("mlflow", "postgres"),
}


@pytest.mark.parametrize(
    "verb",
    [
        pytest.param(ensure_connection, id="ensure"),
        pytest.param(plan_connection, id="plan"),
    ],
)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_a_namesake_of_another_kind_is_an_identity_conflict(
    sim: SimServer, drivers: DriverFactory, name: str, verb: Any
) -> None:
    driver = drivers(name, "sync")
    existing = driver.run(ensure_connection(driver.backend, make_spec(name))).connection
    writes = _writes(sim, name)

    with pytest.raises(IdentityConflictError, match=existing.connection_id) as caught:
        driver.run(verb(driver.backend, ANOTHER_KIND[name](make_spec(name), existing.raw)))

    assert caught.value.connection_id == existing.connection_id
    assert (caught.value.expected, caught.value.found) == EXPECTED_KIND[name]
    assert caught.value.backend == name
    assert _writes(sim, name) == writes
    assert connection_ids(sim, name) == [existing.connection_id]
