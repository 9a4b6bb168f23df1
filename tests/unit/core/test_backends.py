"""What every backend shares: the registry, BaseBackend's constructor, repr, capabilities,
spec check, connection_url, and the public face that exports them.

Backends are built from the registry with planted credentials, so a fourth
vendor is covered as soon as its registry line exists (plus one spec in `SPECS`).
"""

import subprocess
import sys
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import conn_shared
from conn_shared import (
    BACKENDS,
    FaradayBackend,
    FaradayConnectionSpec,
    FivetranBackend,
    FivetranConnectionSpec,
    FivetranSettings,
    HubBackend,
    HubConnectionSpec,
    HubSettings,
    SpecMismatchError,
    Step,
    SyncExecutor,
    SyncHandle,
    SyncKind,
    TableRef,
    UnsupportedStepError,
    backend_entry,
    backend_names,
    delete_connection,
    ensure_connection,
    errors,
    get_readiness,
    get_sync_outcome,
    pause_connection,
    plan_connection,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
)
from conn_shared.backends import BackendEntry
from conn_shared.backends.base import BaseBackend
from conn_shared.backends.ensure import plan_value
from conn_shared.backends.wire import delete_if_present, path_id
from conn_shared.calls import Call
from conn_shared.errors import NotFoundError
from conn_shared.http import ApiProfile, build_api_error

PLANTED = "planted-secret-7f3a9c2e"
BASE_URL = "https://api.vendor.test"
HANDLE_TIME = "2026-01-01T00:00:00Z"

#: One valid spec per registered backend (a new vendor adds one here).
SPECS: dict[str, Any] = {
    "fivetran": FivetranConnectionSpec(group_id="g", service="postgres", schema_name="shop"),
    "faraday": FaradayConnectionSpec(name="shop", options={"type": "postgres"}),
    "hub": HubConnectionSpec(name="shop", provider="postgres"),
}

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]


def _secret_fields(entry: BackendEntry) -> dict[str, str]:
    """Every credential field of the backend's settings, filled with the planted secret."""
    return {
        name: PLANTED
        for name, field in entry.settings_class.model_fields.items()
        if field.annotation is SecretStr
    }


def _build(name: str, **extra: Any) -> BaseBackend[Any, Any, Any]:
    entry = backend_entry(name)
    return entry.build(base_url=BASE_URL, **_secret_fields(entry), **extra)


class Counting:
    """A transport that answers 200 and counts what reached it (nothing should)."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={})


# --- the registry ------------------------------------------------------------------------


def test_the_registry_lists_the_three_vendors_in_order() -> None:
    assert backend_names() == ("fivetran", "faraday", "hub")
    assert set(SPECS) == set(BACKENDS)


@pytest.mark.parametrize(
    ("name", "backend_class", "settings_class", "spec_class"),
    [
        pytest.param(
            "fivetran", FivetranBackend, FivetranSettings, FivetranConnectionSpec, id="fivetran"
        ),
        pytest.param(
            "faraday",
            FaradayBackend,
            BACKENDS["faraday"].settings_class,
            FaradayConnectionSpec,
            id="faraday",
        ),
        pytest.param("hub", HubBackend, HubSettings, HubConnectionSpec, id="hub"),
    ],
)
def test_every_name_resolves_to_its_classes(
    name: str, backend_class: type, settings_class: type, spec_class: type
) -> None:
    entry = backend_entry(name)
    assert (entry.name, entry.backend_class, entry.settings_class, entry.spec_class) == (
        name,
        backend_class,
        settings_class,
        spec_class,
    )
    assert backend_class.settings_class is settings_class
    assert backend_class.spec_class is spec_class


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_registered_capabilities_are_the_backends_own(name: str) -> None:
    entry = backend_entry(name)
    backend = _build(name)
    assert entry.capabilities == type(backend).capabilities == backend.capabilities
    assert entry.capabilities <= frozenset(Step)
    assert Step.ENSURE in entry.capabilities


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("airbyte", id="unknown"),
        pytest.param("Fivetran", id="wrong-case"),
        pytest.param("", id="empty"),
    ],
)
def test_an_unknown_name_names_the_allowed_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown .*; expected one of fivetran, faraday, hub$"):
        backend_entry(name)


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        BACKENDS["other"] = BACKENDS["hub"]  # type: ignore[index]


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_build_takes_settings_or_fields(name: str) -> None:
    entry = backend_entry(name)
    settings = entry.settings_class(base_url=BASE_URL, **_secret_fields(entry))
    from_settings = entry.build(settings)
    from_fields = entry.build(base_url=BASE_URL, **_secret_fields(entry))
    assert type(from_settings) is type(from_fields) is entry.backend_class
    assert from_settings.settings == from_fields.settings


# --- BaseBackend: constructor and repr -----------------------------------------------------


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_settings_and_fields_together_are_refused(name: str) -> None:
    entry = backend_entry(name)
    settings = entry.settings_class(base_url=BASE_URL, **_secret_fields(entry))
    with pytest.raises(ValueError, match="pass either settings or keyword arguments, not both"):
        entry.backend_class(settings, base_url=BASE_URL)


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_settings_of_another_backend_are_refused(name: str) -> None:
    other = next(e for e in BACKENDS.values() if e.name != name)
    settings = other.settings_class(base_url=BASE_URL, **_secret_fields(other))
    with pytest.raises(TypeError, match=f"the {name} backend takes .*Settings, got"):
        backend_entry(name).backend_class(settings)


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_no_secret_in_any_repr(name: str) -> None:
    backend = _build(name, extra_headers={"X-Token": PLANTED})
    profile = backend.profile()
    texts = [repr(backend), str(backend), repr(backend.settings), repr(profile), repr(profile.auth)]
    assert all(PLANTED not in text for text in texts), texts
    assert repr(backend).startswith(f"{type(backend).__name__}(base_url='https://api.vendor.test")
    assert PLANTED in profile.secrets  # ...and the executors know what to scrub


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_profiles_of_equal_settings_share_their_error_mapper(name: str) -> None:
    first, second = _build(name).profile(), _build(name).profile()
    assert first.map_error is second.map_error
    assert first.base_url == second.base_url


# --- capabilities: unsupported steps send nothing ------------------------------------------

_HANDLE = {"connection_id": "c1", "kind": SyncKind.SYNC, "requested_at": HANDLE_TIME}
_TABLES = (TableRef(schema="s", table="t"),)

#: How each step is reached through its verb and through the backend's own flow method.
STEP_CALLS: dict[Step, tuple[Any, Any]] = {
    Step.ENSURE: (
        lambda b: ensure_connection(b, SPECS[b.name]),
        lambda b: b.ensure_flow(SPECS[b.name], update=True),
    ),
    Step.VERIFY: (lambda b: verify_connection(b, "c1"), lambda b: b.verify_flow("c1")),
    Step.READINESS: (lambda b: get_readiness(b, "c1"), lambda b: b.readiness_flow("c1")),
    Step.SYNC: (
        lambda b: trigger_sync(b, "c1"),
        lambda b: b.prepare_sync_flow("c1", kind=SyncKind.SYNC, tables=None),
    ),
    Step.RESYNC: (
        lambda b: trigger_resync(b, "c1"),
        lambda b: b.prepare_sync_flow("c1", kind=SyncKind.RESYNC, tables=None),
    ),
    Step.RESYNC_TABLES: (
        lambda b: trigger_resync(b, "c1", tables=list(_TABLES)),
        lambda b: b.prepare_sync_flow("c1", kind=SyncKind.RESYNC, tables=_TABLES),
    ),
    Step.SYNC_OUTCOME: (
        lambda b: get_sync_outcome(b, SyncHandle(backend=b.name, **_HANDLE)),
        lambda b: b.sync_outcome_flow(SyncHandle(backend=b.name, **_HANDLE)),
    ),
    Step.PAUSE: (lambda b: pause_connection(b, "c1"), lambda b: b.pause_flow("c1")),
    Step.RESUME: (lambda b: resume_connection(b, "c1"), lambda b: b.resume_flow("c1")),
    Step.DELETE: (
        lambda b: delete_connection(b, "c1"),
        lambda b: b.delete_flow("c1", missing_ok=True),
    ),
}

UNSUPPORTED = [
    pytest.param(name, step, way, id=f"{name}-{step.value}-{way}")
    for name, entry in BACKENDS.items()
    for step in Step
    if step not in entry.capabilities
    for way in ("verb", "method")
]


def test_every_step_has_a_way_in() -> None:
    assert set(STEP_CALLS) == set(Step)
    assert {p.values[0] for p in UNSUPPORTED} == {"faraday", "hub"}  # Fivetran has every step


@pytest.mark.parametrize(("name", "step", "way"), UNSUPPORTED)
def test_an_unsupported_step_sends_zero_requests(name: str, step: Step, way: str) -> None:
    backend = _build(name)
    verb, method = STEP_CALLS[step]
    transport = Counting()
    with SyncExecutor(backend.profile(), transport=httpx.MockTransport(transport)) as executor:
        with pytest.raises(
            UnsupportedStepError, match=f"does not support step '{step.value}'"
        ) as e:
            executor.run((verb if way == "verb" else method)(backend))
        assert executor.stats.requests == 0
    assert transport.requests == []
    assert e.value.backend == name
    assert e.value.supported == tuple(s.value for s in Step if s in backend.capabilities)


# --- the spec's class ---------------------------------------------------------------------

MISMATCHES = [
    pytest.param(name, other, id=f"{other}-spec-to-{name}")
    for name in BACKENDS
    for other in BACKENDS
    if other != name
] + [pytest.param(name, None, id=f"dict-to-{name}") for name in BACKENDS]


@pytest.mark.parametrize(("name", "other"), MISMATCHES)
@pytest.mark.parametrize(
    "start",
    [
        pytest.param(ensure_connection, id="ensure"),
        pytest.param(plan_connection, id="plan"),
        pytest.param(lambda b, s: b.ensure_flow(s, update=True), id="ensure_flow"),
        pytest.param(lambda b, s: b.plan_flow(s, resend_secrets=True), id="plan_flow"),
    ],
)
def test_a_spec_of_another_class_is_refused_before_any_flow(
    name: str, other: str | None, start: Any
) -> None:
    backend = _build(name)
    spec = SPECS[other] if other else {"name": "shop"}
    expected = backend_entry(name).spec_class.__name__
    got = type(spec).__name__
    with pytest.raises(SpecMismatchError, match=f"takes a {expected}, got {got}$") as caught:
        start(backend, spec)  # raised by the call itself: no flow, so no request, exists
    assert (caught.value.expected, caught.value.got, caught.value.backend) == (expected, got, name)
    assert isinstance(caught.value, TypeError)


# --- connection_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "connection_id", "url"),
    [
        pytest.param(
            FivetranBackend(api_key="k", api_secret="s"),
            "decent_shy",
            "https://fivetran.com/dashboard/connections/decent_shy",
            id="fivetran-dashboard",
        ),
        pytest.param(
            FivetranBackend(api_key="k", api_secret="s", base_url="https://proxy.corp/fivetran"),
            "decent_shy",
            "https://fivetran.com/dashboard/connections/decent_shy",
            id="fivetran-behind-a-proxy-keeps-the-dashboard",
        ),
        pytest.param(
            FivetranBackend(api_key="k", api_secret="s", ui_base_url="https://ui.corp/ft/"),
            "decent_shy",
            "https://ui.corp/ft/connections/decent_shy",
            id="fivetran-override",
        ),
        pytest.param(
            FaradayBackend(api_key="k"),
            "5e0dfa56",
            "https://app.faraday.ai/connections/5e0dfa56",
            id="faraday-app-host",
        ),
        pytest.param(
            FaradayBackend(api_key="k", base_url="http://127.0.0.1:8080/faraday/v1/"),
            "5e0dfa56",
            "http://127.0.0.1:8080/faraday/connections/5e0dfa56",
            id="faraday-other-host-drops-v1",
        ),
        pytest.param(
            FaradayBackend(api_key="k", ui_base_url="https://faraday.corp"),
            "5e0dfa56",
            "https://faraday.corp/connections/5e0dfa56",
            id="faraday-override",
        ),
        pytest.param(
            HubBackend(base_url="https://hub.example.com", token=SecretStr("t")),
            "c-1",
            "https://hub.example.com/connections/c-1",
            id="hub-base",
        ),
        pytest.param(
            HubBackend(base_url="https://hub.example.com/api/v1/", token=SecretStr("t")),
            "c-1",
            "https://hub.example.com/connections/c-1",
            id="hub-base-given-with-api-root",
        ),
        pytest.param(
            HubBackend(base_url="https://hub.example.com", token=SecretStr("t")),
            "a/b c",
            "https://hub.example.com/connections/a%2Fb%20c",
            id="id-quoted-as-one-segment",
        ),
    ],
)
def test_connection_url(backend: Any, connection_id: str, url: str) -> None:
    assert backend.connection_url(connection_id) == url


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_connection_url_needs_an_id(name: str) -> None:
    with pytest.raises(ValueError, match="connection_id: must be a non-empty string"):
        _build(name).connection_url(" ")


# --- module helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        pytest.param("abc", "abc", id="plain"),
        pytest.param("a/b", "a%2Fb", id="slash"),
        pytest.param("../x", "..%2Fx", id="dot-dot"),
        pytest.param("a?b#c", "a%3Fb%23c", id="query-and-fragment"),
    ],
)
def test_path_id_quotes_one_segment(value: str, quoted: str) -> None:
    assert path_id("connection_id", value) == quoted


def test_path_id_refuses_an_id_longer_than_any_vendors() -> None:
    # Found by tests/reliability: 100,000 characters reached httpx, whose bare InvalidURL escaped.
    with pytest.raises(
        ValueError, match="connection_id: must be at most 1024 characters, got 1025"
    ):
        path_id("connection_id", "a" * 1025)


def _delete_call(status: int) -> tuple[Call[None], httpx.MockTransport]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "gone"} if status == 404 else {})

    call: Call[None] = Call("toy.delete", "DELETE", "/things/1", lambda r: None)
    return call, httpx.MockTransport(answer)


def _map(response: httpx.Response) -> Any:
    return build_api_error(response, backend="toy", message="failed")


@pytest.mark.parametrize(
    ("status", "missing_ok", "deleted"),
    [
        pytest.param(204, True, True, id="deleted"),
        pytest.param(404, True, False, id="already-gone"),
    ],
)
def test_delete_if_present(status: int, missing_ok: bool, deleted: bool) -> None:
    call, transport = _delete_call(status)
    profile = ApiProfile(backend="toy", base_url="https://toy.test", map_error=_map)
    with SyncExecutor(profile, transport=transport) as executor:
        assert executor.run(delete_if_present(call, missing_ok=missing_ok)) is deleted


def test_delete_if_present_raises_a_404_without_missing_ok() -> None:
    call, transport = _delete_call(404)
    profile = ApiProfile(backend="toy", base_url="https://toy.test", map_error=_map)
    with (
        SyncExecutor(profile, transport=transport) as executor,
        pytest.raises(NotFoundError, match="failed"),
    ):
        executor.run(delete_if_present(call, missing_ok=False))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(SecretStr(PLANTED), "***", id="secretstr"),
        pytest.param(
            {"password": PLANTED, "port": 5432}, {"password": "***", "port": 5432}, id="key"
        ),
        pytest.param(
            {"tunnel": {"private_key": PLANTED, "host": "h"}},
            {"tunnel": {"private_key": "***", "host": "h"}},
            id="nested",
        ),
        pytest.param({"has_password": True}, {"has_password": True}, id="flag-kept"),
        pytest.param([SecretStr(PLANTED), "x"], ["***", "x"], id="list"),
    ],
)
def test_plan_value_never_shows_a_secret(value: Any, shown: Any) -> None:
    assert plan_value(value) == shown


# --- the public face ------------------------------------------------------------------------


def test_the_public_face_exports_exactly_what_it_lists() -> None:
    missing = [name for name in conn_shared.__all__ if not hasattr(conn_shared, name)]
    assert missing == []
    assert len(conn_shared.__all__) == len(set(conn_shared.__all__))
    for name in ("Backend", "FivetranBackend", "plan_connection", "ConnectionPlan", "RetryPolicy"):
        assert name in conn_shared.__all__


def test_the_public_face_exports_every_error_class() -> None:
    classes = {n for n in errors.__all__ if isinstance(getattr(errors, n), type)}
    assert classes <= set(conn_shared.__all__)


def test_importing_the_public_face_loads_no_server_or_orchestrator() -> None:
    code = "import sys, conn_shared; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    roots = {line.split(".")[0] for line in out.split()}
    assert not roots & {"starlette", "uvicorn", "airflow", "dagster"}
    assert "conn_shared.sim" not in out.split()
