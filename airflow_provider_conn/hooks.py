"""Airflow Connections -> `conn_shared` backends: one base hook and one small subclass per backend.

    hook = hook_for("fivetran", "conn_fivetran_default")
    backend = hook.get_backend()                 # in a worker (sync connection look-up)
    backend = await hook.aget_backend()          # in a trigger (async look-up, never blocks)

A hook builds the backend's settings from the Connection and nothing else: it
sends no request. The connection types (`conn_fivetran`, `conn_faraday`,
`conn_hub`) and their form fields are declared in `get_provider_info`; the
fields they share live in the Connection's extra under their bare names:

    base_url      API root override (proxies, the simulator); required for the hub
    ui_base_url   root of the vendor's web UI, for extra links
    timeout       seconds each HTTP attempt may take to read or write (default 30)
    max_attempts  attempts per request, the first included (default 5)
    verify_tls    verify the server's certificate (default true)
    ca_bundle     path of a CA bundle file to verify against instead of the default
    allow_insecure_http  allow plain http to a host that is not loopback (default false)

Each credential value is registered with Airflow's secrets masker as soon as
the backend is built, in workers and in the triggerer.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from airflow.sdk import BaseHook
from airflow.sdk.definitions.connection import Connection
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret
from pydantic import SecretStr

from airflow_provider_conn._compat import amask, extra_of
from conn_shared import (
    TRANSPORT_SETTINGS,
    Backend,
    ConnError,
    RetryPolicy,
    Timeouts,
    backend_entry,
    backend_names,
)

__all__ = [
    "ConnHook",
    "ConnectionTypeError",
    "FaradayHook",
    "FivetranHook",
    "HubHook",
    "hook_class",
    "hook_for",
]

_DEFAULT_TIMEOUT = 30.0


class ConnectionTypeError(ConnError, ValueError):
    """The Airflow connection is missing, of another type, or its fields cannot build the backend.

    A `ConnError`, so it crosses a trigger event like the client's own errors.
    """


class ConnHook(BaseHook):
    """Base hook: maps an Airflow Connection to a `conn_shared` backend.

    Subclasses set the class attributes and `credentials()`; nothing else differs
    between backends. A hook holds no client and sends nothing until asked
    (`test_connection`); run the backend's flows through `conn_shared` executors.

    Args:
        conn_id: the Airflow connection id; `default_conn_name` when None.

    Raises ConnectionTypeError naming `conn_id` when it is not a non-empty string
    (a template that rendered to nothing, or to a list, must not pick a connection).
    """

    #: The registry's backend name ("fivetran", ...).
    backend_name: ClassVar[str]
    conn_name_attr = "conn_id"
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if conn_id is not None and (not isinstance(conn_id, str) or not conn_id.strip()):
            raise ConnectionTypeError(
                f"conn_id: expected the id of an Airflow connection (non-empty text) or None "
                f"for {self.default_conn_name!r}, got {conn_id!r:.80}"
            )
        self.conn_id = conn_id if conn_id is not None else self.default_conn_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(conn_id={self.conn_id!r})"

    # --- per backend ----------------------------------------------------------------

    #: settings field -> (the Connection attribute it comes from, how the form labels it)
    credential_fields: ClassVar[Mapping[str, tuple[str, str]]]

    @classmethod
    def credentials(cls, connection: Connection) -> dict[str, SecretStr]:
        """The backend's credential settings, read from the connection's login or password."""
        return {
            name: _secret(getattr(connection, attribute), label, connection)
            for name, (attribute, label) in cls.credential_fields.items()
        }

    # --- building the backend -------------------------------------------------------

    def get_backend(self) -> Backend[Any]:
        """The backend for this connection (sync look-up: workers, not triggers).

        Raises ConnectionTypeError for a missing connection, one of another type
        or one with invalid fields.
        """
        try:
            connection = self.get_connection(self.conn_id)
        except AirflowNotFoundException:
            raise self._missing() from None
        backend = self.backend_from(connection, connection.extra_dejson)
        for secret in backend.profile().secrets:
            mask_secret(secret)
        return backend

    async def aget_backend(self) -> Backend[Any]:
        """The backend for this connection, looked up without blocking the event loop.

        For triggers: the connection comes from `BaseHook.aget_connection`, its
        extra from the async reader, and the credentials are masked asynchronously.
        Raises as `get_backend`.
        """
        try:
            connection = await self.aget_connection(self.conn_id)
        except AirflowNotFoundException:
            raise self._missing() from None
        backend = self.backend_from(connection, await extra_of(connection))
        for secret in backend.profile().secrets:
            await amask(secret)
        return backend

    def _missing(self) -> "ConnectionTypeError":
        return ConnectionTypeError(
            f"conn_id {self.conn_id!r}: no such Airflow connection; add a {self.conn_type!r} "
            f"connection (UI, CLI or an AIRFLOW_CONN_{self.conn_id.upper()} variable)"
        )

    @classmethod
    def backend_from(cls, connection: Connection, extra: Mapping[str, Any]) -> Backend[Any]:
        """Build the backend from a connection and its parsed extra; sends nothing."""
        if connection.conn_type != cls.conn_type:
            raise ConnectionTypeError(
                f"conn_id {connection.conn_id!r}: connection type {connection.conn_type!r}, "
                f"but the {cls.backend_name} backend needs a {cls.conn_type!r} connection"
            )
        entry = backend_entry(cls.backend_name)
        fields: dict[str, Any] = {**cls.transport(extra), **cls.credentials(connection)}
        try:
            settings = entry.settings_class(**fields)
            return entry.build(settings)
        except (ValueError, TypeError) as exc:
            raise ConnectionTypeError(
                f"conn_id {connection.conn_id!r}: cannot build {cls.backend_name} settings: "
                + _first_line(exc)
            ) from None

    @classmethod
    def transport(cls, extra: Mapping[str, Any]) -> dict[str, Any]:
        """Base URLs, timeouts, retries and TLS settings from the extra fields every type shares.

        The TLS and plain-http settings (`conn_shared.TRANSPORT_SETTINGS`) are
        passed as the form stored them; the backend's settings model checks them.
        """
        fields: dict[str, Any] = {}
        for name in ("base_url", "ui_base_url"):
            value = extra.get(name)
            if value:
                fields[name] = str(value)
        for name in TRANSPORT_SETTINGS:
            if extra.get(name) not in (None, ""):
                fields[name] = extra[name]
        timeout = _number(extra, "timeout", _DEFAULT_TIMEOUT)
        fields["timeouts"] = Timeouts(read=timeout, write=timeout)
        attempts = extra.get("max_attempts")
        if attempts not in (None, ""):
            fields["retry"] = RetryPolicy(max_attempts=int(_number(extra, "max_attempts", 5)))
        return fields

    # --- the UI's Test button -------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call, for the UI's Test button and `airflow connections test`.

        Reads the first page of connections (Fivetran `GET /v1/connections`,
        Faraday `GET /v1/connections`, hub `GET /api/v1/connections`) through the
        backend's own call, so the credentials and base URL are checked.
        Returns (ok, message); the message never holds a credential.
        """
        from conn_shared import SyncExecutor  # noqa: PLC0415 (kept off the import path)

        try:
            backend = self.get_backend()
            with SyncExecutor(backend.profile()) as executor:
                executor.call(_probe_call(backend))
        except (ConnError, ConnectionTypeError) as exc:
            return False, str(exc)
        return True, f"{self.backend_name}: authenticated"


def _probe_call(backend: Backend[Any]) -> Any:
    # Every vendor backend lists connections with no arguments (one page, GET only);
    # it is not part of the lifecycle protocol, which has no credentials check.
    return backend.list_connections()  # type: ignore[attr-defined]


def _number(extra: Mapping[str, Any], name: str, default: float) -> float:
    value = extra.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConnectionTypeError(f"extra.{name}: expected a number, got {value!r}") from None
    if number <= 0:
        raise ConnectionTypeError(f"extra.{name}: must be > 0, got {value!r}")
    return number


def _first_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        # pydantic: name each field, never echo its input (it may be a credential).
        return "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
            for e in errors(include_input=False, include_url=False)
        )
    return str(exc).splitlines()[0]


def _secret(value: str | None, field: str, connection: Connection) -> SecretStr:
    if not value:
        raise ConnectionTypeError(f"conn_id {connection.conn_id!r}: {field} is empty")
    return SecretStr(value)


class FivetranHook(ConnHook):
    """Fivetran: login = API key, password = API secret (HTTP Basic)."""

    backend_name = "fivetran"
    default_conn_name = "conn_fivetran_default"
    conn_type = "conn_fivetran"
    hook_name = "Fivetran (conn-providers)"

    credential_fields: ClassVar[Mapping[str, tuple[str, str]]] = MappingProxyType(
        {
            "api_key": ("login", "login (API key)"),
            "api_secret": ("password", "password (API secret)"),
        }
    )


class FaradayHook(ConnHook):
    """Faraday: password = API key (Bearer)."""

    backend_name = "faraday"
    default_conn_name = "conn_faraday_default"
    conn_type = "conn_faraday"
    hook_name = "Faraday (conn-providers)"

    credential_fields: ClassVar[Mapping[str, tuple[str, str]]] = MappingProxyType(
        {"api_key": ("password", "password (API key)")}
    )


class HubHook(ConnHook):
    """The connections hub: password = bearer token; extra `base_url` is required."""

    backend_name = "hub"
    default_conn_name = "conn_hub_default"
    conn_type = "conn_hub"
    hook_name = "Connections hub (conn-providers)"

    credential_fields: ClassVar[Mapping[str, tuple[str, str]]] = MappingProxyType(
        {"token": ("password", "password (token)")}
    )


_HOOKS: Mapping[str, type[ConnHook]] = {
    h.backend_name: h for h in (FivetranHook, FaradayHook, HubHook)
}
if set(_HOOKS) != set(backend_names()):  # a new backend needs its hook, and nothing else
    raise RuntimeError(f"hooks for {sorted(_HOOKS)}, backends {sorted(backend_names())}")


def hook_class(backend: str) -> type[ConnHook]:
    """The hook class of a registered backend; UnknownBackendError names the allowed names."""
    return _HOOKS[backend_entry(backend).name]


def hook_for(backend: str, conn_id: str | None = None) -> ConnHook:
    """A hook of `backend` for `conn_id` (the backend's default connection when None)."""
    return hook_class(backend)(conn_id)
