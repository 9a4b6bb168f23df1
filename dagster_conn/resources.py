"""One Dagster resource per backend: an account's settings, and the executors that use them.

    import dagster as dg
    from dagster_conn import FivetranResource

    fivetran = FivetranResource(
        api_key=dg.EnvVar("FIVETRAN_API_KEY"), api_secret=dg.EnvVar("FIVETRAN_API_SECRET")
    )

Secrets are plain `str` fields so that `dg.EnvVar` works: Dagster stores the
variable's *name* in the resource config and reads its value only when a step
or a sensor runs. They are left out of the resource's repr, and every error
text from `conn_shared` has them scrubbed.

A resource builds its backend through the registry (`backend_entry`) and hands
out `SyncExecutor`s and `AsyncExecutor`s, which borrow `conn_shared`'s pooled
clients (one per process for sync steps, one per event loop for async ones).
`run` / `arun` drive a flow and turn a `conn_shared` error into `dg.Failure`:
at once and without retries for errors no retry can fix (bad credentials,
invalid input, an unsupported step, a connection that failed, is paused or is
missing), retryable otherwise (network errors, 5xx, 429, a wait that timed
out, a failed sync), so a `RetryPolicy` on the op or asset decides.
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, NoReturn, TypeVar

import dagster as dg
from pydantic import Field, PrivateAttr, SecretStr, ValidationError

from conn_shared import (
    AsyncExecutor,
    Backend,
    ConnError,
    Flow,
    RetryPolicy,
    SyncExecutor,
    Timeouts,
    WaitPolicy,
    aclose_shared_clients,
    backend_entry,
    is_transient,
)
from conn_shared.redaction import scrub

__all__ = [
    "ConnectionResource",
    "FaradayResource",
    "FivetranResource",
    "HubResource",
    "connection_resource",
    "failure_from",
    "invalid_fields",
    "raise_failure",
    "resource_class",
]

T = TypeVar("T")


def failure_from(error: ConnError, hide: Sequence[str] = ()) -> dg.Failure:
    """The `dg.Failure` for a `conn_shared` error: its text and fields, no secret.

    Retries are allowed only where `is_transient` says a later try may get past
    the error. `hide` lists literal values (a spec's secrets) to scrub from the
    text as well: the account's own are scrubbed already.
    """
    retryable = is_transient(error)
    metadata: dict[str, Any] = {"error_type": type(error).__name__}
    for name in ("backend", "connection_id", "status", "code", "request_id"):
        value = getattr(error, name, None)
        if value is not None:
            metadata[name] = value
    return dg.Failure(
        description=scrub(str(error), hide), metadata=metadata, allow_retries=retryable
    )


def raise_failure(error: ConnError, hide: Sequence[str] = ()) -> NoReturn:
    """Raise `failure_from(error, hide)`, chained to `error` unless that would show a secret.

    Dagster records a failure's cause in the event log, so when scrubbing changed
    the text, the original error is left out of the chain.
    """
    failure = failure_from(error, hide)
    if failure.description != str(error):
        raise failure from None
    raise failure from error


def invalid_fields(error: ValidationError, *, prefix: str) -> str:
    """A pydantic error as `prefix.field: message` lines, without the input values.

    Input values are left out because they may be secrets.
    """
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        lines.append(f"{prefix}.{where}: {item['msg']}" if where else f"{prefix}: {item['msg']}")
    return "; ".join(lines)


def _secret(value: str) -> str:
    # A resource used outside a run (a script, a test) still holds the EnvVar itself,
    # whose str() is the variable's name: read the variable instead.
    if isinstance(value, dg.EnvVar):
        resolved = value.get_value()
        if resolved is None:
            raise dg.Failure(
                description=f"environment variable {str(value)!r} is not set", allow_retries=False
            )
        return resolved
    return value


class ConnectionResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """What every backend's resource shares; use `FivetranResource`, `FaradayResource` or
    `HubResource`.

    Attributes:
        base_url: the API root; None takes the backend's default (the hub has none).
        ui_base_url: the root of the vendor's web UI for links; None derives it.
        request_timeout: seconds one HTTP attempt may wait for an answer.
        request_max_attempts: attempts per request, the first included; retries
            follow `conn_shared`'s rules (idempotent requests, 429 Retry-After).
        max_connections: size of the HTTP connection pool.
        poll_interval / max_poll_interval: seconds between a wait's polls, at first
            and at most (the interval grows by half after each poll); an op's or
            asset's `WaitConfig` may override them.
        wait_timeout: seconds a wait may take in all; None waits without limit.
    """

    #: The registry name of the backend this resource reaches.
    backend_name: ClassVar[str]
    #: The fields holding credentials, passed to the settings as `SecretStr`.
    secret_fields: ClassVar[tuple[str, ...]]

    base_url: str | None = Field(default=None, description="API root; None: the default.")
    ui_base_url: str | None = Field(default=None, description="Vendor UI root for links.")
    request_timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP attempt.")
    request_max_attempts: int = Field(default=5, ge=1, description="Attempts per request.")
    max_connections: int = Field(default=20, ge=1, description="HTTP connection pool size.")
    poll_interval: float = Field(default=15.0, gt=0, description="Seconds between first polls.")
    max_poll_interval: float = Field(default=300.0, gt=0, description="Cap on the interval (s).")
    wait_timeout: float | None = Field(default=3600.0, gt=0, description="Seconds; None: none.")

    _backend: Backend[Any] | None = PrivateAttr(default=None)

    @property
    def capabilities(self) -> frozenset[Any]:
        """The lifecycle steps this resource's backend supports (`conn_shared.Step`)."""
        return backend_entry(self.backend_name).capabilities

    def get_backend(self) -> Backend[Any]:
        """The backend for these settings, built once; sends nothing.

        Raises `dg.Failure` naming the invalid fields (never their values).
        """
        if self._backend is None:
            entry = backend_entry(self.backend_name)
            fields: dict[str, Any] = {
                name: SecretStr(_secret(getattr(self, name))) for name in self.secret_fields
            }
            if self.base_url is not None:
                fields["base_url"] = self.base_url
            try:
                self._backend = entry.build(
                    ui_base_url=self.ui_base_url,
                    timeouts=Timeouts(read=self.request_timeout, write=self.request_timeout),
                    retry=RetryPolicy(max_attempts=self.request_max_attempts),
                    max_connections=self.max_connections,
                    **fields,
                )
            except ValidationError as exc:
                raise dg.Failure(
                    description=f"{type(self).__name__}: "
                    + invalid_fields(exc, prefix=type(self).__name__),
                    allow_retries=False,
                ) from None
            except ValueError as exc:  # e.g. the hub's empty base_url
                raise dg.Failure(
                    description=f"{type(self).__name__}: {exc}", allow_retries=False
                ) from None
        return self._backend

    def sync_executor(self) -> SyncExecutor:
        """An executor on the process's pooled `httpx.Client` for this account."""
        return SyncExecutor(self.get_backend().profile())

    def async_executor(self) -> AsyncExecutor:
        """An executor on the running event loop's pooled `httpx.AsyncClient`."""
        return AsyncExecutor(self.get_backend().profile())

    def run(self, flow: Flow[T], *, hide: Sequence[str] = ()) -> T:
        """Drive `flow` with a sync executor; `conn_shared` errors become `dg.Failure`.

        `hide`: literal values (a spec's secrets) to scrub from the failure's text.
        """
        with self.sync_executor() as executor:
            try:
                return executor.run(flow)
            except ConnError as exc:
                raise_failure(exc, hide)

    async def arun(self, flow: Flow[T], *, hide: Sequence[str] = ()) -> T:
        """Drive `flow` with an async executor; `conn_shared` errors become `dg.Failure`."""
        async with self.async_executor() as executor:
            try:
                return await executor.run(flow)
            except ConnError as exc:
                raise_failure(exc, hide)

    def wait_policy(
        self,
        *,
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
        timeout: float | None = None,
        on_paused: Literal["fail", "wait"] = "fail",
        on_rescheduled: Literal["wait", "fail"] = "wait",
    ) -> WaitPolicy:
        """This resource's polling (seconds), with any value given here instead."""
        poll = poll_interval or self.poll_interval
        return WaitPolicy(
            poll_interval=poll,
            max_poll_interval=max(max_poll_interval or self.max_poll_interval, poll),
            timeout=timeout or self.wait_timeout,
            on_paused=on_paused,
            on_rescheduled=on_rescheduled,
        )

    def connection_url(self, connection_id: str) -> str | None:
        """The connection's page in the vendor's UI (None where there is none); sends nothing."""
        return self.get_backend().connection_url(connection_id)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the pooled async clients of the run's event loop, which ends with the run."""
        loop = getattr(context, "event_loop", None)
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(aclose_shared_clients())


class FivetranResource(ConnectionResource):
    """A Fivetran account: API key and secret (HTTP Basic), `https://api.fivetran.com` by default.

    Give the secrets as `dg.EnvVar("...")`.
    """

    backend_name: ClassVar[str] = "fivetran"
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "api_secret")

    api_key: str = Field(repr=False, description="Fivetran API key; give a dg.EnvVar.")
    api_secret: str = Field(repr=False, description="Fivetran API secret; give a dg.EnvVar.")


class FaradayResource(ConnectionResource):
    """A Faraday account: its API key (Bearer), `https://api.faraday.ai/v1` by default.

    Give the key as `dg.EnvVar("...")`.
    """

    backend_name: ClassVar[str] = "faraday"
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    api_key: str = Field(repr=False, description="Faraday API key; give a dg.EnvVar.")


class HubResource(ConnectionResource):
    """A connections hub: its server's `base_url` (required) and a bearer token.

    Give the token as `dg.EnvVar("...")`.
    """

    backend_name: ClassVar[str] = "hub"
    secret_fields: ClassVar[tuple[str, ...]] = ("token",)

    token: str = Field(repr=False, description="Hub bearer token; give a dg.EnvVar.")


def connection_resource(context: Any, resource_key: str, backend: str) -> ConnectionResource:
    """The resource under `resource_key`, checked to be a resource of `backend`."""
    resource = getattr(context.resources, resource_key)
    if not isinstance(resource, ConnectionResource) or resource.backend_name != backend:
        raise dg.Failure(
            description=f"resource {resource_key!r}: expected the {backend} resource, "
            f"got {type(resource).__name__}",
            allow_retries=False,
        )
    return resource


def resource_class(backend: str) -> type[ConnectionResource]:
    """The resource class for a registered backend name (ValueError naming the known ones)."""
    backend_entry(backend)  # UnknownBackendError (a ValueError) for a name nobody registered
    classes: Mapping[str, type[ConnectionResource]] = {
        cls.backend_name: cls for cls in (FivetranResource, FaradayResource, HubResource)
    }
    if backend not in classes:
        raise ValueError(f"backend: no Dagster resource for {backend!r}; known: {sorted(classes)}")
    return classes[backend]
