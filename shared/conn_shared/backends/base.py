"""The seam between the lifecycle and the vendors: the `Backend` protocol and `BaseBackend`.

A backend object holds one account's settings (base URL, credentials,
timeouts, retry policy) and does no I/O: its methods return `Call`s and flows
(see `conn_shared.calls`) that `SyncExecutor` / `AsyncExecutor` run. The verbs
in `conn_shared.lifecycle` check `capabilities` and the spec's class, then call
the `*_flow` methods below.

`BaseBackend` holds what every vendor would otherwise write again:

- the constructor (a settings object, or its fields as keywords, not both) and a
  `repr` without secrets;
- `profile()`, built from the settings plus small hooks: `auth()`, `map_error()`,
  `default_headers()`, `api_root()`, `scrubbed_secrets()`;
- `connection_url()`, from `ui_root()` (the settings' `ui_base_url`, else the
  vendor's `default_ui_root()`);
- ensure and its dry run, written once as *decide, then apply*: `plan_flow` reads
  (GETs only) and returns the `ConnectionPlan`; `ensure_flow` makes the same
  decision and carries it out. A vendor supplies the pieces: `find_flow`,
  `check_kind`, `drift_flow`, `planned_settings`, `create_flow`, `update_call`,
  `info_of`;
- a default for every other `*_flow` that raises `UnsupportedStepError` without
  sending anything, for the steps a vendor lacks.

Module helpers: `BearerAuth`, `path_id` (one quoting rule for path segments),
`delete_if_present` (a DELETE whose 404 means "already gone") and `plan_value`
(a value fit for a plan: secrets replaced by the redacted marker).
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from conn_shared.calls import Call, Flow
from conn_shared.errors import NotFoundError, SpecMismatchError, UnsupportedStepError
from conn_shared.http import ApiProfile, ErrorMapper, Timeouts
from conn_shared.redaction import REDACTED, is_secret_key, redact, scrub_values
from conn_shared.retry import RetryPolicy
from conn_shared.states import (
    ConnectionInfo,
    ConnectionPlan,
    EnsureResult,
    FieldChange,
    PlanAction,
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
    "BearerAuth",
    "ConnectionSpec",
    "Decision",
    "Drift",
    "check_limit",
    "delete_if_present",
    "path_id",
    "plan_value",
    "reveal",
    "sync_step",
    "unsupported_step",
]

logger = logging.getLogger("conn_shared.backends")

SpecT = TypeVar("SpecT", bound="ConnectionSpec")
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
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    base_url: str
    ui_base_url: str | None = None
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    max_connections: int = Field(default=20, ge=1)
    extra_headers: Mapping[str, str] = Field(default_factory=dict, repr=False)


class ConnectionSpec(Protocol):
    """What every vendor's `*ConnectionSpec` offers besides its own fields."""

    @property
    def connection_name(self) -> str:
        """The connection's name as the vendor shows it."""
        ...

    def secret_values(self) -> tuple[str, ...]:
        """The literal secrets the spec holds; scrubbed from anything it produces."""
        ...


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

    def trigger_sync_flow(
        self,
        connection_id: str,
        *,
        kind: SyncKind,
        tables: tuple[TableRef, ...] | None,
        force: bool,
    ) -> Flow[SyncHandle]:
        """Record the before-state, ask for the sync or resync, return its handle."""
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


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request; the token never appears in repr."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send the request once."""
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth(token={REDACTED!r})"


def path_id(field: str, value: str) -> str:
    """`value` quoted as one path segment (`/` included); ValueError naming `field` if empty."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def check_limit(limit: int | None, *, maximum: int = 1000) -> int | None:
    """`limit` unchanged when None or within 1..`maximum`; ValueError naming it otherwise."""
    if limit is not None and (isinstance(limit, bool) or not 1 <= limit <= maximum):
        raise ValueError(f"limit: must be within 1..{maximum}, got {limit!r}")
    return limit


def reveal(value: Any) -> Any:
    """A deep copy of `value` with every `SecretStr` replaced by its secret, for request bodies.

    Pydantic models become dicts without their None fields. Only request bodies
    ever hold the result.
    """
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return reveal(value.model_dump(mode="python", exclude_none=True))
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def delete_if_present(call: Call[Any], *, missing_ok: bool) -> Flow[bool]:
    """Send a DELETE: True when it deleted, False on a 404 when `missing_ok`.

    Raises NotFoundError on a 404 without `missing_ok`, and whatever else the call raises.
    """
    try:
        yield call
    except NotFoundError:
        if missing_ok:
            return False
        raise
    return True


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


def plan_value(value: Any, *, secret: bool = False) -> Any:
    """`value` as a plan may show it: plain JSON, secrets replaced by the marker `***`.

    `secret` hides the whole value; otherwise `SecretStr` values and credential-named
    keys are hidden at any depth.
    """
    if secret or isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): plan_value(v, secret=_secret_entry(k, v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plan_value(v) for v in value]
    return redact(value)


def _secret_entry(key: object, value: object) -> bool:
    # A flag such as `has_password` names a credential but cannot carry one.
    if value is None or isinstance(value, bool):
        return False
    return isinstance(key, str) and is_secret_key(key)


@dataclass(frozen=True)
class Drift(Generic[LiveT]):
    """What an update of an existing connection would change.

    Attributes:
        changes: the plan's field-level diff (secrets only as the redacted marker).
        patch: the request body (or fields) that makes the change; may hold secrets,
            so it is never shown.
        notes: drift that is deliberately left alone, and why.
        live: a fresher read of the connection made while comparing, if any.
    """

    changes: tuple[FieldChange, ...] = ()
    patch: Mapping[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    live: LiveT | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Decision(Generic[LiveT]):
    """What ensure will do: the public plan, the connection found and the patch to send."""

    plan: ConnectionPlan
    live: LiveT | None = field(default=None, repr=False)
    patch: Mapping[str, Any] = field(default_factory=dict, repr=False)


class BaseBackend(ABC, Generic[SettingsT, SpecT, LiveT]):
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
        """Everything an executor needs: API root, auth, headers, error mapper, retries."""
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

    # --- ensure, written once: decide (reads only), then apply --------------------------

    def plan_flow(self, spec: SpecT, *, resend_secrets: bool = False) -> Flow[ConnectionPlan]:
        """What `ensure_flow(spec, update=True, resend_secrets=...)` would do; sends GETs only.

        Raises at once (before a flow exists) UnsupportedStepError without ENSURE and
        SpecMismatchError for a spec of another class; while running,
        IdentityConflictError when the identity names a connection of another kind.
        """
        self.require(Step.ENSURE)
        return self._plan(self.check_spec(spec), resend_secrets=resend_secrets)

    def _plan(self, spec: SpecT, *, resend_secrets: bool) -> Flow[ConnectionPlan]:
        decision = yield from self._decide(spec, update=True, resend_secrets=resend_secrets)
        return decision.plan

    def ensure_flow(
        self, spec: SpecT, *, update: bool, resend_secrets: bool = False
    ) -> Flow[EnsureResult]:
        """Find the connection `spec` identifies or create it; never a duplicate.

        With `update`, drifted non-secret settings are changed in place; with
        `resend_secrets` too, the spec's secret fields are sent again (secrets never
        count as drift). The decision is `plan_flow`'s; then it is carried out.
        Raises like `plan_flow`, and the API's errors of the create or update.
        """
        self.require(Step.ENSURE)
        return self._ensure(self.check_spec(spec), update=update, resend_secrets=resend_secrets)

    def _ensure(self, checked: SpecT, *, update: bool, resend_secrets: bool) -> Flow[EnsureResult]:
        decision = yield from self._decide(checked, update=update, resend_secrets=resend_secrets)
        live = decision.live
        if live is None:
            live, created = yield from self.create_flow(checked)
            # A lost create's look-up may have found a namesake of another kind.
            self.check_kind(checked, live)
            if created:
                return EnsureResult(connection=self.info_of(live, checked), created=True)
            # Someone else created it first (a 409): judge it as if it had been found.
            decision = yield from self._compare(
                checked, live, update=update, resend_secrets=resend_secrets
            )
            live = decision.live
            assert live is not None  # _compare always keeps the connection it judged
        if not decision.patch:
            return EnsureResult(connection=self.info_of(live, checked), created=False)
        logger.info(
            "%s connection %s: updating %s",
            self.name,
            decision.plan.connection_id,
            ", ".join(c.field for c in decision.plan.changes),
        )
        updated = yield self.update_call(live, decision.patch)
        return EnsureResult(connection=self.info_of(updated, checked), created=False, updated=True)

    def _decide(self, spec: SpecT, *, update: bool, resend_secrets: bool) -> Flow[Decision[LiveT]]:
        live = yield from self.find_flow(spec)
        if live is None:
            plan = ConnectionPlan(
                backend=self.name,
                action=PlanAction.CREATE,
                name=spec.connection_name,
                settings=self.planned_settings(spec),
            )
            return Decision(plan=self._scrubbed(plan, spec))
        return (yield from self._compare(spec, live, update=update, resend_secrets=resend_secrets))

    def _compare(
        self, spec: SpecT, live: LiveT, *, update: bool, resend_secrets: bool
    ) -> Flow[Decision[LiveT]]:
        self.check_kind(spec, live)
        drift: Drift[LiveT] = Drift()
        if update:
            drift = yield from self.drift_flow(spec, live, resend_secrets=resend_secrets)
        current = drift.live if drift.live is not None else live
        info = self.info_of(current, spec)
        plan = ConnectionPlan(
            backend=self.name,
            action=PlanAction.UPDATE if drift.patch else PlanAction.NONE,
            name=info.name,
            connection_id=info.connection_id,
            changes=drift.changes,
            notes=drift.notes,
        )
        return Decision(plan=self._scrubbed(plan, spec), live=current, patch=drift.patch)

    @staticmethod
    def _scrubbed(plan: ConnectionPlan, spec: SpecT) -> ConnectionPlan:
        # Belt and braces: a secret under a key that does not look like one still
        # never reaches a plan, since the spec knows its own secret values.
        hidden = spec.secret_values()
        if not hidden:
            return plan
        return ConnectionPlan.model_validate(scrub_values(plan.model_dump(mode="json"), hidden))

    # Hooks of ensure; a backend without ENSURE leaves them raising UnsupportedStepError.

    def find_flow(self, spec: SpecT) -> Flow[LiveT | None]:
        """The connection `spec` identifies, or None (GETs only)."""
        raise self.unsupported(Step.ENSURE)

    def check_kind(self, spec: SpecT, live: LiveT) -> None:
        """Raise IdentityConflictError when `live` is another kind than `spec` asks for."""
        raise self.unsupported(Step.ENSURE)

    def drift_flow(self, spec: SpecT, live: LiveT, *, resend_secrets: bool) -> Flow[Drift[LiveT]]:
        """What an update would change in `live` (GETs only)."""
        raise self.unsupported(Step.ENSURE)

    def planned_settings(self, spec: SpecT) -> dict[str, Any]:
        """The settings a create would send, secret values as the redacted marker."""
        raise self.unsupported(Step.ENSURE)

    def create_flow(self, spec: SpecT) -> Flow[tuple[LiveT, bool]]:
        """Create it without ever a duplicate: `(connection, created by this flow)`."""
        raise self.unsupported(Step.ENSURE)

    def update_call(self, live: LiveT, patch: Mapping[str, Any]) -> Call[LiveT]:
        """The request that applies `patch` to `live`."""
        raise self.unsupported(Step.ENSURE)

    def info_of(self, live: LiveT, spec: SpecT | None = None) -> ConnectionInfo:
        """The backend-neutral view of `live`; `spec`'s secrets are scrubbed from it."""
        raise self.unsupported(Step.ENSURE)

    # --- the other steps: unsupported unless the vendor overrides them ------------------

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """Run the vendor's setup tests; unsupported by default."""
        raise self.unsupported(Step.VERIFY)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """Read readiness once; unsupported by default."""
        raise self.unsupported(Step.READINESS)

    def trigger_sync_flow(
        self,
        connection_id: str,
        *,
        kind: SyncKind,
        tables: tuple[TableRef, ...] | None,
        force: bool,
    ) -> Flow[SyncHandle]:
        """Ask for a sync or resync; unsupported by default."""
        raise self.unsupported(sync_step(kind, tables))

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
