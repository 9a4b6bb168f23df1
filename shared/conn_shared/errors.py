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
    └── LifecycleError             the connection reached a state the caller did not want
        ├── ConnectionFailedError  readiness ended in `failed`
        ├── SyncFailedError        a sync ended in `failed`
        └── WaitTimeoutError       a wait passed its deadline

Every vendor's error body is mapped into this tree by its backend module; an
unparseable body still yields the status-based class. Messages never contain
request bodies or credentials.
"""

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "ConnError",
    "ConnectionFailedError",
    "ConnectionInUseError",
    "FieldError",
    "InvalidRequestError",
    "LifecycleError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "SyncFailedError",
    "UnexpectedResponseError",
    "UnsupportedStepError",
    "WaitTimeoutError",
    "api_error_class",
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

    def __init__(self, message: str, *, users: tuple[str, ...] = (), **context: Any) -> None:
        self.users = users
        super().__init__(message, **context)


class InvalidRequestError(ApiError):
    """400 / 422: the vendor rejected the input; `field_errors` says which fields and why."""

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

    def __init__(self, *, backend: str, step: str, supported: tuple[str, ...]) -> None:
        self.step = step
        self.supported = supported
        super().__init__(
            f"the {backend} backend does not support step {step!r}; "
            f"supported steps: {', '.join(supported)}",
            backend=backend,
        )


class LifecycleError(ConnError):
    """A connection or sync reached a state the caller did not want."""


class ConnectionFailedError(LifecycleError):
    """The connection's readiness is `failed` (setup tests failed, broken, error)."""


class SyncFailedError(LifecycleError):
    """The sync (or resync, or rebuild) ended in failure."""


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
