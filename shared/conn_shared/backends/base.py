"""The seam between the lifecycle and the vendors: the `Backend` protocol and `BaseBackend`.

A backend object holds one account's settings (base URL, credentials,
timeouts, retry policy) and does no I/O: its methods return `Call`s and flows
(see `conn_shared.calls`) that `SyncExecutor` / `AsyncExecutor` run. The verbs
in `conn_shared.lifecycle` check `capabilities` and the spec's class, then call
the `*_flow` methods below. `Backend` is generic in its spec class, so mypy
refuses `ensure_connection(fivetran_backend, faraday_spec)`.

`BaseBackend` holds what every vendor would otherwise write again:

- the constructor (a settings object, or its fields as keywords, not both) and a
  `repr` without secrets;
- `profile()`, built from the settings plus small hooks: `auth()`,
  `error_mapper()`, `default_headers()`, `api_root()`, `scrubbed_secrets()`;
- `connection_url()`, from `ui_root()` (the settings' `ui_base_url`, else the
  vendor's `default_ui_root()`);
- the capability and spec-class checks (`require`, `check_spec`);
- ensure and its dry run (`plan_flow`, `ensure_flow`), inherited from
  `conn_shared.backends.ensure`;
- a default for every other `*_flow` that raises `UnsupportedStepError` without
  sending anything, for the steps a vendor lacks.

What vendors' calls share on the wire (`BearerAuth`, `path_id`, ...) is in
`conn_shared.backends.wire`.
"""

import ipaddress
import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

import httpx
from pydantic import BaseModel, ConfigDict, Field

from conn_shared.backends.ensure import ConnectionSpec, EnsureFlows
from conn_shared.backends.wire import path_id
from conn_shared.calls import Flow, value_flow
from conn_shared.errors import InsecureTransportError, SpecMismatchError, UnsupportedStepError
from conn_shared.http import ApiProfile, ErrorMapper, Timeouts
from conn_shared.retry import RetryPolicy
from conn_shared.states import (
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    ConnectionPlan,
    EnsureResult,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    TableRef,
)

__all__ = [
    "Backend",
    "BackendSettings",
    "BaseBackend",
    "check_transport",
    "sync_step",
    "unsupported_step",
]

logger = logging.getLogger("conn_shared.backends")

SpecT = TypeVar("SpecT", bound=ConnectionSpec)
SpecT_contra = TypeVar("SpecT_contra", contravariant=True)
SettingsT = TypeVar("SettingsT", bound="BackendSettings")
LiveT = TypeVar("LiveT")


class BackendSettings(BaseModel):
    """Settings every backend takes besides its credentials.

    Attributes:
        base_url: the API root (each backend documents its default and what it appends).
        ui_base_url: the root of the vendor's web UI, to which `/connections/{id}` is
            appended by `connection_url`; None derives it (each backend documents how).
        timeouts: per-attempt connect/read/write/pool timeouts in seconds.
        retry: which failures are retried, how long to back off, the overall deadline.
        max_connections: size of the connection pool.
        extra_headers: sent with every request (never logged).
        verify_tls: verify the server's TLS certificate (on by default; turning it off
            logs a warning for every backend built).
        ca_bundle: a CA bundle file to verify against instead of the default one.
        allow_insecure_http: allow plain http to a host that is not loopback (the
            credentials then cross the network unencrypted); off by default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    base_url: str
    ui_base_url: str | None = None
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    max_connections: int = Field(default=20, ge=1)
    extra_headers: Mapping[str, str] = Field(default_factory=dict, repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None
    allow_insecure_http: bool = False


class Backend(Protocol[SpecT_contra]):
    """One vendor API as the lifecycle sees it; generic in the spec class `ensure` takes."""

    #: "fivetran", "faraday" or "hub": the registry's key.
    name: ClassVar[str]
    #: The lifecycle steps this backend supports; others raise UnsupportedStepError.
    capabilities: ClassVar[frozenset[Step]]
    #: The class of spec `ensure` and `plan` take; another raises SpecMismatchError.
    spec_class: ClassVar[type[Any]]

    def profile(self) -> ApiProfile:
        """How executors talk to this account: base URL, auth, error mapping, retry policy."""
        ...

    def connection_url(self, connection_id: str) -> str | None:
        """The connection's page in the vendor's UI, or None where there is none."""
        ...

    def plan_flow(
        self, spec: SpecT_contra, *, resend_secrets: bool = False
    ) -> Flow[ConnectionPlan]:
        """What `ensure_flow` would do, found out with reads only."""
        ...

    def ensure_flow(
        self, spec: SpecT_contra, *, update: bool, resend_secrets: bool = False
    ) -> Flow[EnsureResult]:
        """Find the connection `spec` identifies or create it; update drifted settings if asked."""
        ...

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """Run setup tests / verification, then report readiness."""
        ...

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """Read readiness once."""
        ...

    def prepare_sync_flow(
        self, connection_id: str, *, kind: SyncKind, tables: tuple[TableRef, ...] | None
    ) -> Flow[SyncHandle]:
        """Record the before-state of a sync or resync as its handle; sends no write."""
        ...

    def request_sync_flow(self, handle: SyncHandle, *, force: bool) -> Flow[None]:
        """Send the request for the sync or resync `handle` describes."""
        ...

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """Compare the current state with `handle.before` and report the sync's outcome."""
        ...

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Stop scheduled syncs."""
        ...

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Resume scheduled syncs."""
        ...

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """Delete; refuse with ConnectionInUseError while other resources use it."""
        ...

    def health_flow(self, connection_id: str) -> Flow[ConnectionHealth]:
        """Read readiness, pause and the last sync times with one GET."""
        ...

    def catalog_flow(self, connection_id: str, *, columns: bool = True) -> Flow[ConnectionCatalog]:
        """Read the connection's tables (with their columns), contents and datasets (GETs)."""
        ...


def check_transport(backend: str, url: str, *, allow_insecure_http: bool) -> None:
    """Raise InsecureTransportError for plain http to a non-loopback host, unless allowed."""
    parsed = httpx.URL(url)
    if parsed.scheme != "http" or allow_insecure_http:
        return
    host = parsed.host
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass  # a name, not an address: only "localhost" is trusted without a lookup
    port = f":{parsed.port}" if parsed.port else ""
    # Rebuilt from parts: a user:password@ in the URL must not reach the message.
    raise InsecureTransportError(backend=backend, url=f"http://{host}{port}{parsed.path}")


def unsupported_step(
    backend: str, capabilities: frozenset[Step], step: Step
) -> UnsupportedStepError:
    """The error for `step` on a backend with `capabilities`, listing the supported ones."""
    return UnsupportedStepError(
        backend=backend,
        step=step.value,
        supported=tuple(s.value for s in Step if s in capabilities),
    )


def sync_step(kind: SyncKind, tables: tuple[TableRef, ...] | None) -> Step:
    """The capability a sync request needs: RESYNC_TABLES with tables, else RESYNC or SYNC."""
    if tables:
        return Step.RESYNC_TABLES
    return Step.RESYNC if kind is SyncKind.RESYNC else Step.SYNC


class BaseBackend(EnsureFlows[SpecT, LiveT], Generic[SettingsT, SpecT, LiveT]):
    """What every vendor backend shares; a vendor subclass fills in the hooks.

    Build it from a settings object or from the same fields as keyword arguments
    (`FivetranBackend(api_key=..., api_secret=...)`), not both. It holds no
    connection and does no I/O: run its calls and flows with
    `SyncExecutor(backend.profile())` or `AsyncExecutor(backend.profile())`.

    Type parameters: the settings class, the spec class and the vendor's
    connection model (what the look-ups return).
    """

    #: The registry's key, e.g. "fivetran".
    name: ClassVar[str]
    #: The lifecycle steps this backend supports; the others raise UnsupportedStepError.
    capabilities: ClassVar[frozenset[Step]]
    #: The settings class the constructor builds from keyword arguments.
    settings_class: ClassVar[type[BackendSettings]]
    #: The spec class `ensure` and `plan` take.
    spec_class: ClassVar[type[Any]]
    #: Path of a connection's page under `ui_root()`; the quoted id is appended.
    ui_connection_path: ClassVar[str] = "/connections/"

    settings: SettingsT

    def __init__(self, settings: SettingsT | None = None, **fields: Any) -> None:
        if settings is not None and fields:
            raise ValueError("pass either settings or keyword arguments, not both")
        if settings is None:
            settings = cast(SettingsT, self.settings_class(**fields))
        elif not isinstance(settings, self.settings_class):
            raise TypeError(
                f"settings: the {self.name} backend takes {self.settings_class.__name__}, "
                f"got {type(settings).__name__}"
            )
        self.settings = settings
        self._api_root = self.api_root()  # a bad base URL fails here, not at the first call
        check_transport(self.name, self._api_root, allow_insecure_http=settings.allow_insecure_http)
        if not settings.verify_tls:
            logger.warning(
                "%s backend at %s: TLS verification is off (verify_tls=False)",
                self.name,
                self._api_root,
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._api_root!r})"

    # --- hooks that build the profile ---------------------------------------------------

    def api_root(self) -> str:
        """The URL every call's path is relative to (default: `settings.base_url`)."""
        return self.settings.base_url

    @abstractmethod
    def auth(self) -> httpx.Auth:
        """The httpx auth that adds the credentials to each request."""

    @abstractmethod
    def error_mapper(self) -> ErrorMapper:
        """The function that maps the vendor's error responses onto `conn_shared.errors`.

        A module-level function, not a bound method, so that the profiles of two
        backends with equal settings compare equal.
        """

    def default_headers(self) -> Mapping[str, str]:
        """Headers sent with every request before `settings.extra_headers` (which win)."""
        return {"Accept": "application/json"}

    @abstractmethod
    def scrubbed_secrets(self) -> tuple[str, ...]:
        """Literal credential values to scrub from any error text."""

    def profile(self) -> ApiProfile:
        """Everything an executor needs: API root, auth, headers, error mapper, retries.

        Built once per backend (its settings are frozen): a thousand waits that each
        make an executor from it share one profile and one pool key.
        """
        built: ApiProfile | None = self.__dict__.get("_profile")
        if built is None:
            built = self.__dict__["_profile"] = self._build_profile()
        return built

    def _build_profile(self) -> ApiProfile:
        settings = self.settings
        return ApiProfile(
            backend=self.name,
            base_url=self._api_root,
            map_error=self.error_mapper(),
            auth=self.auth(),
            headers={**self.default_headers(), **settings.extra_headers},
            timeouts=settings.timeouts,
            retry=settings.retry,
            max_connections=settings.max_connections,
            secrets=self.scrubbed_secrets(),
            verify=settings.ca_bundle or settings.verify_tls,
        )

    # --- the vendor UI ------------------------------------------------------------------

    def default_ui_root(self) -> str | None:
        """The UI root when `settings.ui_base_url` is unset; None: the vendor has no UI."""
        return None

    def ui_root(self) -> str | None:
        """`settings.ui_base_url` (without a trailing slash), else `default_ui_root()`."""
        if self.settings.ui_base_url:
            return self.settings.ui_base_url.rstrip("/")
        return self.default_ui_root()

    def connection_url(self, connection_id: str) -> str | None:
        """`{ui_root}/connections/{id}`: the connection's page in the vendor's UI.

        None when the backend knows no UI. Sends nothing; ValueError for an empty id.
        """
        root = self.ui_root()
        if root is None:
            return None
        return f"{root}{self.ui_connection_path}{path_id('connection_id', connection_id)}"

    # --- capabilities and the spec's class ----------------------------------------------

    def unsupported(self, step: Step) -> UnsupportedStepError:
        """The UnsupportedStepError for `step` on this backend."""
        return unsupported_step(self.name, self.capabilities, step)

    def require(self, step: Step) -> None:
        """Raise UnsupportedStepError unless this backend supports `step`."""
        if step not in self.capabilities:
            raise self.unsupported(step)

    def check_spec(self, spec: object) -> SpecT:
        """`spec` itself when it is this backend's spec class; SpecMismatchError otherwise."""
        if not isinstance(spec, self.spec_class):
            raise SpecMismatchError(
                backend=self.name,
                expected=self.spec_class.__name__,
                got=type(spec).__name__,
            )
        return cast(SpecT, spec)

    # --- the other steps: unsupported unless the vendor overrides them ------------------

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """Run the vendor's setup tests; unsupported by default."""
        raise self.unsupported(Step.VERIFY)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """Read readiness once; unsupported by default."""
        raise self.unsupported(Step.READINESS)

    def prepare_sync_flow(
        self, connection_id: str, *, kind: SyncKind, tables: tuple[TableRef, ...] | None
    ) -> Flow[SyncHandle]:
        """Record a sync's before-state; unsupported by default."""
        raise self.unsupported(sync_step(kind, tables))

    def request_sync_flow(self, handle: SyncHandle, *, force: bool) -> Flow[None]:
        """Send a sync or resync request; unsupported by default."""
        raise self.unsupported(sync_step(handle.kind, handle.tables))

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """Read a sync's outcome; unsupported by default."""
        raise self.unsupported(Step.SYNC_OUTCOME)

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Stop scheduled syncs; unsupported by default."""
        raise self.unsupported(Step.PAUSE)

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Resume scheduled syncs; unsupported by default."""
        raise self.unsupported(Step.RESUME)

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """Delete the connection; unsupported by default."""
        raise self.unsupported(Step.DELETE)

    def health_flow(self, connection_id: str) -> Flow[ConnectionHealth]:
        """Readiness, pause and last sync times in one read; unsupported by default."""
        raise self.unsupported(Step.READINESS)

    def catalog_flow(self, connection_id: str, *, columns: bool = True) -> Flow[ConnectionCatalog]:
        """What the connection holds; by default nothing is known and nothing is sent."""
        return value_flow(
            ConnectionCatalog(
                backend=self.name,
                connection_id=connection_id,
                reason=f"the {self.name} backend does not list a connection's tables",
            )
        )
