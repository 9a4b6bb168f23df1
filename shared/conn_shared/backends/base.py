"""What every backend module provides, and the settings they share.

A backend object holds one account's settings (base URL, credentials,
timeouts, retry policy) and does no I/O: its methods return `Call`s and flows
(see `conn_shared.calls`) that `SyncExecutor` / `AsyncExecutor` run. The lifecycle
verbs in `conn_shared.lifecycle` check `capabilities` and then call the `*_flow`
methods below; each backend documents how it maps its vendor's states onto
`Readiness` and `SyncOutcome`.
"""

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from conn_shared.calls import Flow
from conn_shared.http import ApiProfile, Timeouts
from conn_shared.lifecycle import (
    ConnectionInfo,
    EnsureResult,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    TableRef,
)
from conn_shared.retry import RetryPolicy

__all__ = ["Backend", "BackendSettings", "SecretStr"]


class BackendSettings(BaseModel):
    """Settings every backend takes besides its credentials.

    Attributes:
        base_url: the API root (each backend documents its default and what it appends).
        timeouts: per-attempt connect/read/write/pool timeouts in seconds.
        retry: which failures are retried, how long to back off, the overall deadline.
        max_connections: size of the connection pool.
        extra_headers: sent with every request (never logged).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    base_url: str
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    max_connections: int = Field(default=20, ge=1)
    extra_headers: Mapping[str, str] = Field(default_factory=dict, repr=False)


class Backend(Protocol):
    """One vendor API as the lifecycle sees it."""

    #: "fivetran", "faraday" or "hub".
    name: ClassVar[str]
    #: The lifecycle steps this backend supports; others raise UnsupportedStepError.
    capabilities: ClassVar[frozenset[Step]]

    def profile(self) -> ApiProfile:
        """How executors talk to this account: base URL, auth, error mapping, retry policy."""
        ...

    def ensure_flow(self, spec: Any, *, update: bool) -> Flow[EnsureResult]:
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
