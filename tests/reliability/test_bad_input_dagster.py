"""Bad input to the Dagster integration: op and asset config, resources, the component's YAML.

Everything is enumerated from the package's public names and pydantic fields,
so a new config class, resource or field is fuzzed without editing this file.
Hypothesis draws junk (`tests.reliability.junk`) into one field of an
otherwise valid value:

- op config: the op that takes the class runs by direct invocation against the
  simulator (a class no op takes, e.g. the assets' `SyncConfig`, runs in a
  probe op that only builds it): Dagster's config check, the pydantic model
  and the op body give a result or a `DagsterInvalidConfigError`, pydantic
  `ValidationError` or `dg.Failure` naming the field;
- resources: construction, `get_backend()` and one readiness read;
- the component: `from_attributes_dict` and `build_defs`, as `dg` loads it
  (no request is sent), for each attribute, account, connection and sensor field.

No planted secret may appear in any error.
"""

import asyncio
import inspect
import math
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pytest
from dagster.components.core.component_tree import ComponentTree
from dagster.components.testing import create_defs_folder_sandbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import dagster_conn
from conn_shared import get_readiness, trigger_sync
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionResource,
    ConnectionsComponent,
    build_delete_op,
    build_ensure_op,
    build_resync_op,
    build_sync_op,
    build_wait_ready_op,
    build_wait_sync_op,
)
from dagster_conn.components.connections.component import (
    AccountModel,
    ConnectionModel,
    SensorModel,
)
from tests.dagster.support import PLANTED, PLANTED_VAR, ready_connection, secrets_of, spec_of
from tests.reliability.conftest import PLANTED_CREDENTIALS
from tests.reliability.junk import assert_refused_clearly, json_junk
from tests.support.profiles import EXAMPLES, scaled
from tests.support.secrets import credential_values

#: Every config class and resource class the integration exports.
CONFIGS: dict[str, type[dg.Config]] = {
    name: obj
    for name in dagster_conn.__all__
    if inspect.isclass(obj := getattr(dagster_conn, name))
    and issubclass(obj, dg.Config)
    and not issubclass(obj, dg.ConfigurableResource)
}
RESOURCES: dict[str, type[ConnectionResource]] = {
    name: obj
    for name in dagster_conn.__all__
    if inspect.isclass(obj := getattr(dagster_conn, name))
    and issubclass(obj, ConnectionResource)
    and obj is not ConnectionResource
}
ALLOWED = (dg.DagsterInvalidConfigError, ValidationError, dg.Failure, ValueError, TypeError)
SECRETS = (PLANTED, *credential_values(PLANTED_CREDENTIALS).values())
#: Fields whose refusal must list the allowed values.
CHOICES = {
    "on_paused": ("fail", "wait"),
    "on_rescheduled": ("wait", "retry", "fail"),
    "backend": ("fivetran", "faraday", "hub"),
}

_FIXTURES = settings(
    suppress_health_check=[
        *settings.default.suppress_health_check,
        HealthCheck.function_scoped_fixture,
    ],
)


def _settings(fraction: float) -> settings:
    return settings(scaled(fraction), suppress_health_check=_FIXTURES.suppress_health_check)


def _check(error: BaseException, field: str, value: Any = None) -> None:
    # An unknown name must be answered with the known ones; a wrong type needs only the field.
    choices = CHOICES.get(field, ()) if isinstance(value, str) else ()
    assert_refused_clearly(error, field, allowed=ALLOWED, choices=choices, secrets=SECRETS)


def _text_of(error: BaseException) -> BaseException:
    """`dg.Failure` keeps its text in `description`; the others in str()."""
    if isinstance(error, dg.Failure) and error.description and not str(error):
        return ValueError(error.description)
    return error


# --- op config --------------------------------------------------------------------------


class Run:
    """How one config class is run: the op taking it, its inputs, a valid config."""

    def __init__(
        self,
        op: Callable[[], dg.OpDefinition],
        config: dict[str, Any],
        inputs: Callable[[dict[str, Any]], dict[str, Any]] = lambda _: {},
        nest: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        in_a_run: bool = False,
    ) -> None:
        self.op, self.config, self.inputs, self.nest = op, config, inputs, nest
        #: The op reads its run (the sync ops store their handle there): run it in a job.
        self.in_a_run = in_a_run


def _probe(cls: type[dg.Config]) -> dg.OpDefinition:
    def probe(config: Any) -> None:
        assert isinstance(config, cls)

    probe.__annotations__["config"] = cls  # Dagster reads the class off the annotation
    return dg.op(name=f"probe_{cls.__name__}")(probe)


def _on(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda given: {key: given[key]}


TABLE = {"schema_name": "public", "table": "orders"}
RUNS: dict[str, Run] = {
    "EnsureConfig": Run(
        lambda: build_ensure_op(backend="fivetran"),
        {"spec": spec_of("fivetran", "junk"), "secrets": secrets_of("fivetran")},
    ),
    "WaitConfig": Run(
        lambda: build_wait_ready_op(backend="fivetran"), {"timeout": 5}, _on("connection_id")
    ),
    "WaitSyncConfig": Run(
        lambda: build_wait_sync_op(backend="fivetran"), {"timeout": 5}, _on("handle")
    ),
    "TriggerConfig": Run(
        lambda: build_sync_op(backend="fivetran"), {}, _on("connection_id"), in_a_run=True
    ),
    "ResyncConfig": Run(
        lambda: build_resync_op(backend="fivetran"), {}, _on("connection_id"), in_a_run=True
    ),
    "TableConfig": Run(
        lambda: build_resync_op(backend="fivetran"),
        TABLE,
        _on("connection_id"),
        nest=lambda table: {"tables": [table]},
        in_a_run=True,
    ),
    "DeleteConfig": Run(lambda: build_delete_op(backend="fivetran"), {}, _on("connection_id")),
}


@pytest.fixture
def given_(
    resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> dict[str, Any]:
    """A ready Fivetran connection and a sync's handle on the simulator; resources, instance."""
    resource = resources["fivetran"]
    connection_id = ready_connection(resource, "junk")
    handle = resource.run(trigger_sync(resource.get_backend(), connection_id))
    return {
        "connection_id": connection_id,
        "handle": handle.model_dump(mode="json"),
        "resources": resources,
        "instance": instance,
    }


def _invoke(given_: dict[str, Any], run: Run | None, op: dg.OpDefinition, config: Any) -> None:
    """Run `op` once with `config`: invoked directly, or in a one-op job (raising its error)."""
    inputs = run.inputs(given_) if run else {}
    if run is None or not run.in_a_run:
        with dg.build_op_context(
            resources=given_["resources"], op_config=config, instance=given_["instance"]
        ) as context:
            result = op(context, **inputs)
            if inspect.iscoroutine(result):
                asyncio.run(result)
        return

    @dg.graph(name="bad_input")
    def graph(connection_id: str) -> None:
        op(connection_id)

    graph.to_job(resource_defs=given_["resources"]).execute_in_process(
        run_config={"ops": {op.name: {"config": config}}},
        input_values=inputs,
        instance=given_["instance"],
    )


def config_targets() -> Iterator[Any]:
    for name, cls in sorted(CONFIGS.items()):
        for field in cls.model_fields:
            yield pytest.param(name, field, id=f"{name}.{field}")


def _config_junk(field: str) -> st.SearchStrategy[Any]:
    if field == "spec":
        keys = st.sampled_from([*spec_of("fivetran"), "config", "unknown_field"])
        edits = st.dictionaries(keys, json_junk(), min_size=1, max_size=3)
        return st.one_of(json_junk(), edits.map(lambda e: {**spec_of("fivetran", "junk"), **e}))
    if field == "secrets":
        paths = st.sampled_from(["config.password", "config", "", ".", "a..b", "config.port.x"])
        return st.one_of(json_junk(), st.dictionaries(paths, json_junk(), min_size=1, max_size=2))
    return st.one_of(st.sampled_from(ODD_VALUES), json_junk())


#: Values most likely to slip through: odd numbers, unknown choices, odd names.
ODD_VALUES = (0, -1, math.nan, math.inf, -math.inf, 1e308, "sometimes", "", "\x00", None)


def config_refused_clearly(given_: dict[str, Any], name: str, field: str, value: Any) -> None:
    """The property: `value` in `field` of an otherwise valid config is refused clearly."""
    run = RUNS.get(name)
    op = run.op() if run else _probe(CONFIGS[name])
    config = {**(run.config if run else {}), field: value}
    if run and run.nest:
        config = run.nest(config)
    try:
        _invoke(given_, run, op, config)
    except dg.Failure as error:
        if "error_type" in (error.metadata or {}) and field not in (error.description or ""):
            # A value of the right form that the vendor refused (a service name that
            # conflicts with an earlier example's connection): typed, and no secret.
            assert_refused_clearly(_text_of(error), "", allowed=ALLOWED, secrets=SECRETS)
        else:
            _check(_text_of(error), field, value)
    except Exception as error:  # the property is about which errors
        _check(_text_of(error), field, value)


@pytest.mark.parametrize(("name", "field"), list(config_targets()))
@_settings(0.1)
@given(data=st.data())
def test_junk_in_op_config_is_refused_clearly(
    given_: dict[str, Any], name: str, field: str, data: Any
) -> None:
    EXAMPLES[f"dagster config: {name}.{field}"] += 1
    config_refused_clearly(given_, name, field, data.draw(_config_junk(field), label=field))


# --- resources -----------------------------------------------------------------------------


def resource_targets() -> Iterator[Any]:
    for name, cls in sorted(RESOURCES.items()):
        for field in cls.model_fields:
            yield pytest.param(name, field, id=f"{name}.{field}")


def resource_refused_clearly(given_: dict[str, Any], name: str, field: str, value: Any) -> None:
    """The property: a resource with `value` in `field` is refused clearly, or works."""
    valid: BaseModel = given_["resources"][RESOURCES[name].backend_name]
    settings_ = {
        k: getattr(valid, k) for k in RESOURCES[name].model_fields if k in valid.model_fields_set
    }
    try:
        resource = RESOURCES[name](**{**settings_, "request_max_attempts": 1, field: value})
        backend = resource.get_backend()
        resource.run(get_readiness(backend, given_["connection_id"]))
    except dg.Failure as error:
        if field not in (error.description or ""):
            # A value of the right form that the vendor or the network refused: typed.
            assert_refused_clearly(_text_of(error), "", allowed=ALLOWED, secrets=SECRETS)
        else:
            _check(_text_of(error), field, value)
    except Exception as error:
        _check(error, field, value)


@pytest.mark.parametrize(("name", "field"), list(resource_targets()))
@_settings(0.1)
@given(data=st.data())
def test_junk_in_a_resource_field_is_refused_clearly(
    given_: dict[str, Any], name: str, field: str, data: Any
) -> None:
    EXAMPLES[f"dagster resource: {name}.{field}"] += 1
    value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), json_junk()), label=field)
    resource_refused_clearly(given_, name, field, value)


# --- the component's YAML ------------------------------------------------------------------

CREDENTIAL_VARS = {
    "fivetran": {"api_key": "CONN_TEST_FIVETRAN_KEY", "api_secret": "CONN_TEST_FIVETRAN_SECRET"},
    "hub": {"token": "CONN_TEST_HUB_TOKEN"},
}


def _attributes() -> dict[str, Any]:
    accounts = {
        b: {"secrets": dict(v), "base_url": f"http://127.0.0.1:9/{b}"}
        for b, v in CREDENTIAL_VARS.items()
    }
    connections = [
        {"name": f"{b}_shop", "backend": b, "spec": spec_of(b), "secrets": secrets_of(b)}
        for b in CREDENTIAL_VARS
    ]
    return {"accounts": accounts, "connections": connections, "sensor": {"name": "s"}}


#: Where each model's fields sit in the attributes: (model, path to the dict holding them).
PLACES: list[tuple[type[BaseModel], tuple[Any, ...]]] = [
    (ConnectionsComponent, ()),
    (AccountModel, ("accounts", "fivetran")),
    (ConnectionModel, ("connections", 0)),
    (SensorModel, ("sensor",)),
]


def component_targets() -> Iterator[Any]:
    for model, path in PLACES:
        for field in model.model_fields:
            where = ".".join(str(p) for p in (*path, field))
            yield pytest.param(path, field, id=where)


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Dagster project to load components in (`dg` finds it from the working directory)."""
    with create_defs_folder_sandbox() as sandbox:
        monkeypatch.chdir(sandbox.project_root)
        monkeypatch.syspath_prepend(str(sandbox.project_root / "src"))
        yield


def component_refused_clearly(path: tuple[Any, ...], field: str, value: Any) -> None:
    """The property: the component with `value` at `path`.`field` is refused clearly, or loads."""
    attributes = _attributes()
    node: Any = attributes
    for part in path:
        node = node[part]
    node[field] = value
    try:
        component = ConnectionsComponent.from_attributes_dict(attributes=attributes)
        component.build_defs(ComponentTree.for_test().load_context)
    except Exception as error:
        _check(error, field, value)


@pytest.mark.parametrize(("path", "field"), list(component_targets()))
@_settings(0.1)
@given(data=st.data())
def test_junk_in_a_component_attribute_is_refused_clearly(
    sim: SimServer, project: None, path: tuple[Any, ...], field: str, data: Any
) -> None:
    EXAMPLES[f"dagster component: {'.'.join(map(str, (*path, field)))}"] += 1
    value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), json_junk()), label=field)
    component_refused_clearly(path, field, value)
    assert sum(int(r["count"]) for r in sim.request_counts()) == 0  # loading sends nothing


# --- cases found, each fixed at its root, kept as regressions ----------------------------
# (the properties' `@example`s: their strategies depend on the field, so they are tables)

FOUND_CONFIG = [
    pytest.param(
        "EnsureConfig",
        "spec",
        {**spec_of("fivetran", "junk"), "group_id": None},
        id="spec-null-member-CheckError",
    ),
    pytest.param("TableConfig", "schema_name", "", id="empty-schema-named-scope"),
    pytest.param("WaitConfig", "timeout", math.inf, id="wait-timeout-inf"),
]
FOUND_RESOURCE = [
    pytest.param("FaradayResource", "base_url", "\x00", id="base-url-nul-InvalidURL"),
    pytest.param("FivetranResource", "request_timeout", math.inf, id="timeout-inf-OverflowError"),
    pytest.param("HubResource", "request_timeout", 1e308, id="timeout-huge-OverflowError"),
]
FOUND_COMPONENT = [
    pytest.param((), "name", " ", id="name-blank-named-derived"),
    pytest.param(("sensor",), "name", "\x00", id="sensor-name-nul"),
    pytest.param(("connections", 0), "group_name", " ", id="group-name-blank"),
    pytest.param((), "freshness_fail_window_seconds", 0, id="window-0-CheckError"),
]


@pytest.mark.parametrize(("name", "field", "value"), FOUND_CONFIG)
def test_found_config_cases_stay_refused_clearly(
    given_: dict[str, Any], name: str, field: str, value: Any
) -> None:
    config_refused_clearly(given_, name, field, value)


@pytest.mark.parametrize(("name", "field", "value"), FOUND_RESOURCE)
def test_found_resource_cases_stay_refused_clearly(
    given_: dict[str, Any], name: str, field: str, value: Any
) -> None:
    resource_refused_clearly(given_, name, field, value)


@pytest.mark.parametrize(("path", "field", "value"), FOUND_COMPONENT)
def test_found_component_cases_stay_refused_clearly(
    project: None, path: tuple[Any, ...], field: str, value: Any
) -> None:
    component_refused_clearly(path, field, value)


def test_every_config_and_resource_is_enumerated() -> None:
    assert {"EnsureConfig", "WaitSyncConfig", "SyncConfig", "TableConfig"} <= set(CONFIGS)
    assert set(RESOURCES) == {"FivetranResource", "FaradayResource", "HubResource"}
    assert PLANTED_VAR in secrets_of("fivetran").values()
