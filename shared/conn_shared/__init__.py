"""conn_shared: drive ELT connections (Fivetran, Faraday, a connections hub) as code.

Everything a user needs is importable from here; module paths are internal.

    from conn_shared import FivetranBackend, FivetranConnectionSpec, SyncExecutor
    from conn_shared import ensure_connection, trigger_sync, wait_for_sync, wait_until_ready

    backend = FivetranBackend(api_key="...", api_secret="...")
    spec = FivetranConnectionSpec(group_id="g", service="postgres", schema_name="shop")
    with SyncExecutor(backend.profile()) as executor:
        ensured = executor.run(ensure_connection(backend, spec))
        connection_id = ensured.connection.connection_id
        executor.run(wait_until_ready(backend, connection_id))
        handle = executor.run(trigger_sync(backend, connection_id))
        outcome = executor.run(wait_for_sync(backend, handle))

Backends by name: `backend_entry("hub")` (see `BACKENDS`). The simulator is
`conn_shared.sim`. This module imports httpx and pydantic only.
"""

from conn_shared.backends import BACKENDS, BackendEntry, backend_entry, backend_names
from conn_shared.backends.base import Backend, BackendSettings
from conn_shared.backends.faraday import FaradayBackend, FaradayConnectionSpec, FaradaySettings
from conn_shared.backends.fivetran import (
    FivetranBackend,
    FivetranConnectionSpec,
    FivetranSettings,
)
from conn_shared.backends.hub import HubBackend, HubConnectionSpec, HubSettings
from conn_shared.calls import Call, Flow
from conn_shared.errors import (
    TRANSIENT_ERRORS,
    ApiError,
    AuthenticationError,
    ConflictError,
    ConnectionFailedError,
    ConnectionInUseError,
    ConnectionPausedError,
    ConnError,
    FieldError,
    IdentityConflictError,
    InsecureTransportError,
    InvalidRequestError,
    LifecycleError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    SpecMismatchError,
    SyncFailedError,
    SyncRescheduledError,
    UnexpectedResponseError,
    UnknownBackendError,
    UnsupportedStepError,
    WaitTimeoutError,
    is_transient,
)
from conn_shared.executors import AsyncExecutor, SyncExecutor, aclose_shared_clients
from conn_shared.http import Timeouts
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    get_sync_outcome,
    pause_connection,
    plan_connection,
    prepare_sync,
    reattach_sync,
    request_sync,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.observing import get_catalog, get_connection_health
from conn_shared.retry import RetryPolicy
from conn_shared.states import (
    ColumnInfo,
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    ConnectionPlan,
    DatasetInfo,
    EnsureResult,
    FieldChange,
    PlanAction,
    Readiness,
    ReadinessState,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncReport,
    SyncState,
    TableInfo,
    TableRef,
)
from conn_shared.waiting import WaitPolicy, WaitProgress

__all__ = [
    "BACKENDS",
    "TRANSIENT_ERRORS",
    "ApiError",
    "AsyncExecutor",
    "AuthenticationError",
    "Backend",
    "BackendEntry",
    "BackendSettings",
    "Call",
    "ColumnInfo",
    "ConflictError",
    "ConnError",
    "ConnectionCatalog",
    "ConnectionFailedError",
    "ConnectionHealth",
    "ConnectionInUseError",
    "ConnectionInfo",
    "ConnectionPausedError",
    "ConnectionPlan",
    "DatasetInfo",
    "EnsureResult",
    "FaradayBackend",
    "FaradayConnectionSpec",
    "FaradaySettings",
    "FieldChange",
    "FieldError",
    "FivetranBackend",
    "FivetranConnectionSpec",
    "FivetranSettings",
    "Flow",
    "HubBackend",
    "HubConnectionSpec",
    "HubSettings",
    "IdentityConflictError",
    "InsecureTransportError",
    "InvalidRequestError",
    "LifecycleError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlanAction",
    "RateLimitedError",
    "Readiness",
    "ReadinessState",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "SpecMismatchError",
    "Step",
    "SyncExecutor",
    "SyncFailedError",
    "SyncHandle",
    "SyncKind",
    "SyncOutcome",
    "SyncReport",
    "SyncRescheduledError",
    "SyncState",
    "TableInfo",
    "TableRef",
    "Timeouts",
    "UnexpectedResponseError",
    "UnknownBackendError",
    "UnsupportedStepError",
    "WaitPolicy",
    "WaitProgress",
    "WaitTimeoutError",
    "aclose_shared_clients",
    "backend_entry",
    "backend_names",
    "delete_connection",
    "ensure_connection",
    "get_catalog",
    "get_connection_health",
    "get_readiness",
    "get_sync_outcome",
    "is_transient",
    "pause_connection",
    "plan_connection",
    "prepare_sync",
    "reattach_sync",
    "request_sync",
    "resume_connection",
    "trigger_resync",
    "trigger_sync",
    "verify_connection",
    "wait_for_sync",
    "wait_until_ready",
]
