"""ConnectionsComponent loaded from YAML in Dagster's components sandbox.

The scaffold is a valid defs.yaml; loading it sends nothing; the reconcile dry run
plans and changes nothing (simulator counters), the real run creates and a later
dry run shows the diff of an edited spec; refreshed state gives one asset per
table; bad YAML fails naming the field; secrets stay environment variable names.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

from conn_shared.sim.server import SimServer
from dagster_conn import ConnectionsComponent
from tests.dagster.support import (
    CREATE_ROUTE,
    PLANTED,
    event_text,
    secrets_of,
    spec_of,
    writes,
)

CREDENTIAL_VARS = {
    "fivetran": {"api_key": "CONN_TEST_FIVETRAN_KEY", "api_secret": "CONN_TEST_FIVETRAN_SECRET"},
    "faraday": {"api_key": "CONN_TEST_FARADAY_KEY"},
    "hub": {"token": "CONN_TEST_HUB_TOKEN"},
}
FAST = {"poll_interval": 0.02, "max_poll_interval": 0.2, "wait_timeout": 60.0}


def attributes(sim: SimServer, **overrides: Any) -> dict[str, Any]:
    """A component with one connection per backend on the simulator."""
    accounts = {
        b: {"secrets": dict(CREDENTIAL_VARS[b]), "base_url": sim.base_url(b), **FAST}
        for b in CREDENTIAL_VARS
    }
    connections = [
        {
            "name": f"{b}_shop",
            "backend": b,
            "spec": spec_of(b, f"{b}_shop"),
            "secrets": secrets_of(b),
        }
        for b in CREDENTIAL_VARS
    ]
    return {"accounts": accounts, "connections": connections, "name": "conns", **overrides}


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    with create_defs_folder_sandbox() as made:
        yield made


def _place(sandbox: DefsFolderSandbox, attrs: dict[str, Any]) -> Path:
    return sandbox.scaffold_component(
        component_cls=ConnectionsComponent,
        defs_path="conns",
        defs_yaml_contents={"type": "dagster_conn.ConnectionsComponent", "attributes": attrs},
    )


def _requests(sim: SimServer) -> int:
    return sum(int(r["count"]) for r in sim.request_counts())


@pytest.mark.parametrize("backend", [pytest.param(b, id=b) for b in CREDENTIAL_VARS])
def test_the_scaffold_is_a_loadable_defs_yaml(
    sim: SimServer, sandbox: DefsFolderSandbox, backend: str
) -> None:
    path = sandbox.scaffold_component(
        component_cls=ConnectionsComponent,
        defs_path="scaffolded",
        scaffold_params={"backend": backend},
    )
    written = yaml.safe_load((path / "defs.yaml").read_text())
    # The sandbox writes the class's module path; `dg scaffold` writes what was typed.
    assert written["type"] in {
        "dagster_conn.ConnectionsComponent",
        "dagster_conn.components.connections.component.ConnectionsComponent",
    }
    assert written["attributes"]["connections"][0]["backend"] == backend

    with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
        assert isinstance(component, ConnectionsComponent)
        keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert keys == {dg.AssetKey(["shop"])}
    assert _requests(sim) == 0


def test_loading_builds_assets_checks_sensor_and_jobs_without_a_request(
    sim: SimServer, sandbox: DefsFolderSandbox
) -> None:
    path = _place(sandbox, attributes(sim, max_sync_age_seconds=3600))

    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        graph = defs.resolve_asset_graph()
        keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
        checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
        jobs = {j.name for j in defs.resolve_all_job_defs()}
        sensors = {s.name for s in defs.sensors or []}
        dg.Definitions.validate_loadable(defs)

    assert keys == {"fivetran_shop", "faraday_shop", "hub_shop"}
    assert ("hub_shop", "connection_not_paused") in checks
    assert ("fivetran_shop", "last_sync_age") in checks
    assert {"conns_reconcile", "conns_observe"} <= jobs
    assert sensors == {"conns_vendor_syncs"}
    assert _requests(sim) == 0


def _reconcile(defs: dg.Definitions, instance: dg.DagsterInstance, *, dry_run: bool) -> Any:
    job = defs.resolve_job_def("conns_reconcile")
    return job.execute_in_process(run_config={"dry_run": dry_run}, instance=instance)


def test_reconcile_dry_run_changes_nothing_then_the_real_run_creates_and_a_diff_shows(
    sim: SimServer, sandbox: DefsFolderSandbox, instance: dg.DagsterInstance
) -> None:
    path = _place(sandbox, attributes(sim))
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        planned = _reconcile(defs, instance, dry_run=True)
        assert all(writes(sim, b) == 0 for b in CREDENTIAL_VARS)
        applied = _reconcile(defs, instance, dry_run=False)

    assert planned.output_for_node("reconcile_fivetran_shop")["action"] == "create"
    assert applied.output_for_node("reconcile_hub_shop")["action"] == "created"
    assert applied.output_for_node("reconcile_faraday_shop")["readiness"] == "ready"
    assert all(sim.count(b, "POST", CREATE_ROUTE[b]) == 1 for b in CREDENTIAL_VARS)

    edited = attributes(sim)
    edited["connections"][0]["spec"]["config"]["host"] = "db2.example.com"
    (path / "defs.yaml").write_text(
        yaml.safe_dump({"type": "dagster_conn.ConnectionsComponent", "attributes": edited})
    )
    before = {b: writes(sim, b) for b in CREDENTIAL_VARS}
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        diff = _reconcile(defs, instance, dry_run=True)

    assert {b: writes(sim, b) for b in CREDENTIAL_VARS} == before
    plan = diff.output_for_node("reconcile_fivetran_shop")
    assert plan["action"] == "update"
    assert {
        "field": "config.host",
        "current": "db.example.com",
        "desired": "db2.example.com",
        "secret": False,
    } in plan["changes"]
    assert diff.output_for_node("reconcile_hub_shop")["action"] == "none"
    logged = event_text(instance, diff.run_id)
    assert "config.host: 'db.example.com' -> 'db2.example.com'" in logged
    for run in (planned, applied, diff):
        assert PLANTED not in event_text(instance, run.run_id)


def test_refreshed_state_gives_one_asset_per_table_and_loading_still_sends_nothing(
    sim: SimServer, sandbox: DefsFolderSandbox, instance: dg.DagsterInstance
) -> None:
    path = _place(sandbox, attributes(sim))
    with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
        _reconcile(defs, instance, dry_run=False)
        assert isinstance(component, ConnectionsComponent)
        asyncio.run(component.refresh_state(sandbox.project_root))

    requests = _requests(sim)
    with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
        keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert _requests(sim) == requests
    assert "fivetran_shop" not in keys
    assert any(k.startswith("fivetran_shop/fivetran_shop_public/") for k in keys)
    assert any(k.startswith("hub_shop/public/") for k in keys)
    assert "faraday_shop" in keys
    stored = "\n".join(p.read_text() for p in sandbox.project_root.rglob("state") if p.is_file())
    assert "CONN_TEST_PG_PASSWORD" in stored
    assert PLANTED not in stored


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda a: a["connections"][0].update(backend="airbyte"),
            "connections[0]: backend: unknown 'airbyte'; expected one of fivetran, faraday, hub",
            id="unknown-backend",
        ),
        pytest.param(
            lambda a: a["accounts"]["fivetran"]["secrets"].pop("api_secret"),
            "accounts.fivetran.secrets: the fivetran resource takes api_key, api_secret; "
            "got api_key",
            id="missing-credential",
        ),
        pytest.param(
            lambda a: a["connections"][1].pop("spec"),
            "connections[1]: connection 'faraday_shop': give connection_id or spec",
            id="no-identity",
        ),
        pytest.param(
            lambda a: a["accounts"].pop("hub"),
            "connections[2].backend: 'hub' has no entry in accounts",
            id="no-account",
        ),
        pytest.param(
            lambda a: a["accounts"].update(airbyte={"secrets": {}}),
            "accounts.airbyte: backend: unknown 'airbyte'; expected one of fivetran",
            id="unknown-account",
        ),
        pytest.param(
            lambda a: a["accounts"]["hub"].update(poll_interval=0),
            "accounts.hub.poll_interval: Input should be greater than 0",
            id="bad-setting",
        ),
        pytest.param(
            lambda a: a.update(max_sync_age_seconds="a day"),
            "max_sync_age_seconds",
            id="wrong-type",
        ),
    ],
)
def test_bad_yaml_fails_naming_the_field(
    sim: SimServer, sandbox: DefsFolderSandbox, edit: Any, message: str
) -> None:
    attrs = attributes(sim)
    edit(attrs)
    path = _place(sandbox, attrs)
    with (
        pytest.raises(Exception) as caught,  # noqa: PT011 - Dagster wraps the cause
        sandbox.load_component_and_build_defs(defs_path=path),
    ):
        pass
    chain = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    assert message in "\n".join(chain)
