"""One exception tree for every backend.

    ConnError                      base: backend, status, code, request_id, method, path
    ├── ApiError                   the vendor answered with an error status
    │   ├── AuthenticationError    401: missing, malformed, wrong or expired credentials
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404
    │   ├── ConflictError          409
    │   │   └── ConnectionInUseError   delete refused: other resources still use it
    │   ├── InvalidRequestError    400 / 422, with per-field details
    │   ├── RateLimitedError       429, with retry_after seconds
    │   └── ServerError            5xx
    ├── NetworkError               no usable HTTP answer (connect refused, dropped, ...)
    │   └── RequestTimeoutError    connect, read, write or pool timeout; or the retry deadline
    ├── UnexpectedResponseError    a success status whose body we could not parse
    ├── UnsupportedStepError       the backend lacks a lifecycle step (raised before any request)
    ├── SpecMismatchError          a spec of another backend's class (also a TypeError)
    ├── UnknownBackendError        no backend has that name (also a ValueError)
    ├── InsecureTransportError     credentials would cross plain http (also a ValueError)
    └── LifecycleError             the connection reached a state the caller did not want
        ├── ConnectionFailedError  readiness ended in `failed`
        ├── ConnectionPausedError  the connection is paused (or disabled): nothing will run
        ├── IdentityConflictError  the spec's identity names a connection of another kind
        ├── SyncFailedError        a sync ended in `failed`
        ├── SyncRescheduledError   the vendor postponed the sync (when the caller won't wait)
        └── WaitTimeoutError       a wait passed its deadline

Every vendor's error body is mapped into this tree by its backend module; an
unparseable body still yields the status-based class. Messages never contain
request bodies or credentials.

`is_transient(error)` is the one rule both orchestrator adapters use to choose
between a retry of the task and an immediate failure.

Errors cross process boundaries as JSON (an Airflow trigger event, a Dagster
event): `error.to_json()` gives plain JSON with the class name and every field,
`ConnError.from_json(data)` rebuilds the same class. Only this module's classes
are ever built from JSON; an unknown class name gives a plain `ConnError`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "TRANSIENT_ERRORS",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "ConnError",
    "ConnectionFailedError",
    "ConnectionInUseError",
    "ConnectionPausedError",
    "FieldError",
    "IdentityConflictError",
    "InsecureTransportError",
    "InvalidRequestError",
    "LifecycleError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "SpecMismatchError",
    "SyncFailedError",
    "SyncRescheduledError",
    "UnexpectedResponseError",
    "UnknownBackendError",
    "UnsupportedStepError",
    "WaitTimeoutError",
    "api_error_class",
    "is_transient",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One rejected input field: its dotted location, the vendor's message and code."""

    field: str
    message: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConnError(Exception):
    """Base of every error this package raises.

    Attributes are None when they do not apply (a network error has no status).
    `str()` gives one line a person can act on: backend, request, status, vendor
    code, the vendor's message and the request id to quote in a support ticket.
    """

    #: Attributes a subclass adds to the base ones, carried by `to_json`.
    json_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.backend = backend
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        head = []
        if self.backend:
            head.append(self.backend)
        if self.method and self.path:
            head.append(f"{self.method} {self.path}")
        if self.status is not None:
            head.append(str(self.status))
        if self.code:
            head.append(self.code)
        text = f"{' '.join(head)}: {self.message}" if head else self.message
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickling by default; Airflow
        # and Dagster pickle exceptions across processes.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))

    def to_json(self) -> dict[str, Any]:
        """This error as plain JSON: `type` (the class name), `message` and every field.

        Field errors become `{"field", "message", "code"}` objects and tuples become
        lists, so the result survives `json.dumps` and an Airflow trigger event.
        """
        data: dict[str, Any] = {"type": type(self).__name__}
        for name in (*_BASE_FIELDS, *self.json_fields):
            data[name] = _plain(getattr(self, name, None))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ConnError":
        """Rebuild an error from `to_json()` output, keeping its class.

        Only this package's classes are built; an unknown `type` gives a plain
        `ConnError` whose message names the type. Unknown keys are ignored, so
        a newer sender cannot break an older receiver.

        Raises:
            ValueError: `data` is not an object with a string `message`.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("message"), str):
            raise ValueError("error JSON: expected an object with a string 'message'")
        kind = data.get("type")
        target = _JSON_CLASSES.get(kind) if isinstance(kind, str) else None
        message = data["message"]
        if target is None:
            target = ConnError
            message = f"{kind}: {message}" if isinstance(kind, str) and kind else message
        state: dict[str, Any] = {name: data.get(name) for name in _BASE_FIELDS}
        state["message"] = message
        for name in target.json_fields:
            state[name] = _revive(name, data.get(name))
        status = state.get("status")
        state["status"] = status if isinstance(status, int) else None
        return _rebuild(target, message, state)


_BASE_FIELDS = ("message", "backend", "status", "code", "request_id", "method", "path")


def _plain(value: Any) -> Any:
    if isinstance(value, FieldError):
        return {"field": value.field, "message": value.message, "code": value.code}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _revive(name: str, value: Any) -> Any:
    if name == "field_errors":
        items = value if isinstance(value, list) else []
        return tuple(
            FieldError(str(i.get("field", "?")), str(i.get("message", "")), i.get("code"))
            for i in items
            if isinstance(i, Mapping)
        )
    if isinstance(value, list):
        return tuple(value)
    return value


def _rebuild(cls: type[ConnError], message: str, state: dict[str, Any]) -> ConnError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    Exception.__init__(error, error._render())
    return error


class ApiError(ConnError):
    """The vendor answered with an HTTP error status."""


class AuthenticationError(ApiError):
    """401: the credentials are missing, malformed, wrong or expired."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but may not do this."""


class NotFoundError(ApiError):
    """404: the resource (or route) does not exist."""


class ConflictError(ApiError):
    """409: the request conflicts with the resource's current state."""


class ConnectionInUseError(ConflictError):
    """Delete refused because other resources still use the connection; `users` names them."""

    json_fields = ("users",)

    def __init__(self, message: str, *, users: tuple[str, ...] = (), **context: Any) -> None:
        self.users = users
        super().__init__(message, **context)


class InvalidRequestError(ApiError):
    """400 / 422: the vendor rejected the input; `field_errors` says which fields and why."""

    json_fields = ("field_errors",)

    def __init__(
        self, message: str, *, field_errors: tuple[FieldError, ...] = (), **context: Any
    ) -> None:
        self.field_errors = field_errors
        super().__init__(message, **context)

    def _render(self) -> str:
        text = super()._render()
        if self.field_errors:
            text += "; " + "; ".join(str(e) for e in self.field_errors)
        return text


class RateLimitedError(ApiError):
    """429: too many requests; `retry_after` is the vendor's wait in seconds, when given."""

    json_fields = ("retry_after",)

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **context)


class ServerError(ApiError):
    """5xx: the vendor failed; usually transient."""


class NetworkError(ConnError):
    """No usable HTTP answer: connection refused or dropped, protocol error."""


class RequestTimeoutError(NetworkError):
    """A connect, read, write or pool timeout, or the retry deadline passed."""


class UnexpectedResponseError(ConnError):
    """A success status whose body is not what the API documents."""


class UnsupportedStepError(ConnError):
    """The backend has no such lifecycle step; raised before any request is sent."""

    json_fields = ("step", "supported")

    def __init__(self, *, backend: str, step: str, supported: tuple[str, ...]) -> None:
        self.step = step
        self.supported = supported
        super().__init__(
            f"the {backend} backend does not support step {step!r}; "
            f"supported steps: {', '.join(supported)}",
            backend=backend,
        )


class SpecMismatchError(ConnError, TypeError):
    """A spec of the wrong class for the backend, e.g. a Faraday spec given to Fivetran."""

    json_fields = ("expected", "got")

    def __init__(self, *, backend: str, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        super().__init__(
            f"spec: the {backend} backend takes a {expected}, got {got}", backend=backend
        )


class UnknownBackendError(ConnError, ValueError):
    """No registered backend has this name; `known` lists the names there are."""

    json_fields = ("name", "known")

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"backend: unknown {name!r}; expected one of {', '.join(known)}")


class InsecureTransportError(ConnError, ValueError):
    """Credentials would be sent over plain http to a host that is not this machine.

    Raised when a backend is built, before any request. Loopback addresses
    (127.0.0.0/8, ::1, localhost) are allowed, for simulators and tunnels; any
    other host needs https, or the explicit `allow_insecure_http=True` setting.
    """

    json_fields = ("url",)

    def __init__(self, *, backend: str, url: str) -> None:
        self.url = url
        super().__init__(
            f"base_url: {url} is plain http to a host that is not loopback, so the "
            "credentials would cross the network unencrypted; use https, or set "
            "allow_insecure_http=True if a trusted proxy terminates TLS",
            backend=backend,
        )


class LifecycleError(ConnError):
    """A connection or sync reached a state the caller did not want."""

    json_fields: ClassVar[tuple[str, ...]] = ("connection_id",)

    def __init__(self, message: str, *, connection_id: str | None = None, **context: Any) -> None:
        self.connection_id = connection_id
        super().__init__(message, **context)


class ConnectionFailedError(LifecycleError):
    """The connection's readiness is `failed` (setup tests failed, broken, error)."""


class ConnectionPausedError(LifecycleError):
    """The connection is paused (Fivetran) or disabled (hub): no sync will run until resumed.

    Raised by a sync request to a paused connection and by waits that see the
    pause (unless their `WaitPolicy` says to keep waiting).
    """


class IdentityConflictError(LifecycleError):
    """The spec's identity (name, slug, group + schema) matches a connection of another kind.

    `found` describes the existing connection (its service, type or provider)
    and `expected` what the spec asks for; nothing was created or changed.
    """

    json_fields = ("connection_id", "expected", "found")

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        **context: Any,
    ) -> None:
        self.expected = expected
        self.found = found
        super().__init__(message, **context)


class SyncFailedError(LifecycleError):
    """The sync (or resync, or rebuild) ended in failure."""


class SyncRescheduledError(LifecycleError):
    """The vendor postponed the sync until `rescheduled_until` (epoch seconds, or None).

    Raised only when the wait's policy says `on_rescheduled="fail"`, so that an
    orchestrator can retry at that time instead of holding a worker.
    """

    json_fields = ("connection_id", "rescheduled_until")

    def __init__(
        self, message: str, *, rescheduled_until: float | None = None, **context: Any
    ) -> None:
        self.rescheduled_until = rescheduled_until
        super().__init__(message, **context)


class WaitTimeoutError(LifecycleError):
    """A wait reached its deadline before the expected state."""


_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
    429: RateLimitedError,
}


def api_error_class(status: int) -> type[ApiError]:
    """The exception class for an HTTP error status (any 5xx is a ServerError)."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, ApiError)


#: Failures a later try of the same step may not meet again.
TRANSIENT_ERRORS: tuple[type[ConnError], ...] = (
    NetworkError,
    ServerError,
    RateLimitedError,
    UnexpectedResponseError,
    SyncFailedError,
    SyncRescheduledError,
    WaitTimeoutError,
)


def is_transient(error: BaseException) -> bool:
    """Whether retrying the step (the Airflow task, the Dagster op) may get past `error`.

    True for network errors, 5xx, 429, an unreadable answer, a wait that reached
    its deadline, and a sync that failed or was postponed (the next one may
    succeed). False for everything that stays the same however often the step
    runs: bad credentials, missing permission, invalid input, a missing
    connection, an unsupported step, a spec of the wrong class, an identity
    conflict, failed setup tests, a paused connection, a connection in use.
    """
    return isinstance(error, TRANSIENT_ERRORS)


#: Every class `ConnError.from_json` may build, by name: this module's own, nothing else.
_JSON_CLASSES: dict[str, type[ConnError]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, ConnError)
}
