"""How this package speaks HTTP: profiles, error mapping and the one attempt loop.

`ApiProfile` holds what a backend account needs (base URL, auth, headers,
timeouts, retry policy, error mapper, secrets to scrub). `attempts` is a
generator that decides everything about one call: when to wait for an
exhausted quota, how to classify a failure, whether to retry and how long to
sleep, how to map an error body. The executors in `conn_shared.executors` only send
requests and sleep, so the sync and async clients share every decision.

Logs carry the backend, method, path, status, attempt and delay: never a body,
a header or a credential.
"""

import functools
import hashlib
import json
import logging
import random
import ssl
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx

from conn_shared.calls import Call, Sleep
from conn_shared.errors import (
    ApiError,
    ConnectionInUseError,
    ConnError,
    FieldError,
    InvalidRequestError,
    NetworkError,
    RateLimitedError,
    RequestTimeoutError,
    UnexpectedResponseError,
    api_error_class,
)
from conn_shared.redaction import scrub
from conn_shared.retry import FailureKind, RetryPolicy, exhausted_quota_wait, rate_limit_wait

__all__ = [
    "ApiProfile",
    "ErrorMapper",
    "Send",
    "Throttle",
    "Timeouts",
    "attempts",
    "build_api_error",
    "request_id_of",
]

logger = logging.getLogger("conn_shared.http")

T = TypeVar("T")

ErrorMapper = Callable[[httpx.Response], ApiError]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-attempt timeouts in seconds (the retry policy's deadline bounds the whole call)."""

    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0

    def to_httpx(self) -> httpx.Timeout:
        """The equivalent `httpx.Timeout`."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class ApiProfile:
    """Everything an executor needs to talk to one backend account.

    Backends build it (`backend.profile()`); users rarely touch it.
    `secrets` are literal values scrubbed from any error text.
    """

    backend: str
    base_url: str
    map_error: ErrorMapper = field(repr=False)
    auth: httpx.Auth | None = field(default=None, repr=False)
    # Hidden from repr: extra headers may carry tokens (BackendSettings says never logged).
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_connections: int = 20
    secrets: tuple[str, ...] = field(default=(), repr=False)
    user_agent: str = "conn-providers/0.1"
    #: TLS verification: True (the default CA bundle), False (off), or a CA bundle path.
    verify: bool | str = True

    def pool_key(self) -> tuple[Any, ...]:
        """What two profiles must share to share one pooled client: never a secret in clear.

        Credentials and extra headers enter as a digest, so a key in a cache dump
        or a debugger shows nothing usable. Computed once per profile.
        """
        cached: tuple[Any, ...] | None = self.__dict__.get("_pool_key")
        if cached is not None:
            return cached
        digest = hashlib.sha256()
        for part in (*self.secrets, *sorted(f"{k}:{v}" for k, v in self.headers.items())):
            digest.update(part.encode())
            digest.update(b"\0")
        key = (
            self.backend,
            self.base_url.rstrip("/"),
            digest.hexdigest(),
            type(self.auth).__name__,
            self.timeouts,
            self.max_connections,
            self.user_agent,
            self.verify,
        )
        self.__dict__["_pool_key"] = key  # frozen: the dataclass's setattr refuses
        return key

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments shared by the sync and async httpx clients."""
        return {
            "verify": _ssl_context(self.verify),
            "base_url": self.base_url.rstrip("/"),
            "auth": self.auth,
            "headers": {"User-Agent": self.user_agent, **self.headers},
            "timeout": self.timeouts.to_httpx(),
            "limits": httpx.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            ),
            "follow_redirects": False,
        }


@functools.cache
def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    # httpx builds a context per client (about 21 ms of CPU and 840 KiB, even for
    # plain http); one shared context per setting verifies the same way.
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid")


def request_id_of(response: httpx.Response) -> str | None:
    """The vendor's request id from the usual response headers, if any."""
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def build_api_error(
    response: httpx.Response,
    *,
    backend: str,
    message: str,
    code: str | None = None,
    request_id: str | None = None,
    field_errors: tuple[FieldError, ...] = (),
    users: tuple[str, ...] = (),
) -> ApiError:
    """The ApiError subclass for `response.status_code`, filled with request context.

    Backends call this from their error mapper once they have read the vendor's
    body; `users` (names of resources still using a connection) turns a 409 into
    a ConnectionInUseError.
    """
    status = response.status_code
    context: dict[str, Any] = {
        "backend": backend,
        "status": status,
        "code": code,
        "request_id": request_id or request_id_of(response),
        "method": response.request.method,
        "path": response.request.url.path,
    }
    cls = api_error_class(status)
    if status == 409 and users:
        return ConnectionInUseError(message, users=users, **context)
    if cls is RateLimitedError:
        return RateLimitedError(message, retry_after=rate_limit_wait(response.headers), **context)
    if cls is InvalidRequestError:
        return InvalidRequestError(message, field_errors=field_errors, **context)
    return cls(message, **context)


@dataclass(frozen=True, slots=True)
class Send:
    """Attempt-loop instruction: send this call once and reply with the response or error."""

    call: Call[Any]


@dataclass
class Throttle:
    """Shared by all calls of one executor: no request before `resume_at` (monotonic)."""

    resume_at: float = 0.0


def _classify(exc: httpx.HTTPError) -> FailureKind:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return FailureKind.NOT_SENT
    return FailureKind.MAYBE_APPLIED


def _network_error(profile: ApiProfile, call: Call[Any], exc: httpx.HTTPError) -> NetworkError:
    cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else NetworkError
    detail = scrub(f"{type(exc).__name__}: {exc}", profile.secrets)
    return cls(detail, backend=profile.backend, method=call.method, path=call.path)


def attempts(
    profile: ApiProfile,
    call: Call[T],
    throttle: Throttle,
    monotonic: Callable[[], float],
    rng: random.Random,
) -> Generator[Send | Sleep, httpx.Response | httpx.HTTPError, T]:
    """Send `call` until it succeeds or the policy gives up; written once for both executors.

    It yields `Send` and `Sleep` and receives each response (or httpx error).
    """
    policy = profile.retry
    started = monotonic()
    attempt = 0
    while True:
        attempt += 1
        pause = throttle.resume_at - monotonic()
        if pause > 0:
            yield Sleep(pause)
        reply = yield Send(call)
        elapsed = monotonic() - started

        error: ConnError
        if isinstance(reply, httpx.HTTPError):
            error = _network_error(profile, call, reply)
            delay = policy.delay_before_retry(
                attempt=attempt,
                idempotent=call.is_idempotent,
                elapsed=elapsed,
                failure=_classify(reply),
                rng=rng,
            )
        elif reply.is_success:
            quota_wait = exhausted_quota_wait(reply.headers)
            if quota_wait:
                throttle.resume_at = max(throttle.resume_at, monotonic() + quota_wait)
            try:
                return call.parse(reply)
            except json.JSONDecodeError as exc:
                # A truncated or garbled body: as ambiguous as a dropped connection.
                error = _unexpected(profile, call, reply, exc)
                delay = policy.delay_before_retry(
                    attempt=attempt,
                    idempotent=call.is_idempotent,
                    elapsed=elapsed,
                    failure=FailureKind.MAYBE_APPLIED,
                    rng=rng,
                )
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                raise _unexpected(profile, call, reply, exc) from exc
        else:
            error = _mapped_error(profile, reply)
            delay = policy.delay_before_retry(
                attempt=attempt,
                idempotent=call.is_idempotent,
                elapsed=elapsed,
                status=reply.status_code,
                headers=reply.headers,
                rng=rng,
            )
            if reply.status_code == 429 and delay is not None:
                # Every call on this account shares the vendor's quota: all of them wait,
                # so the wait moves to the shared throttle that the next attempt honours.
                throttle.resume_at = max(throttle.resume_at, monotonic() + delay)

        if delay is None:
            if isinstance(reply, httpx.HTTPError):
                raise error from reply
            raise error
        logger.warning(
            "%s %s %s failed (%s); retry %d of %d in %.2fs",
            profile.backend,
            call.method,
            call.path,
            error.status or type(error).__name__,
            attempt,
            policy.max_attempts - 1,
            delay,
        )
        if delay and not (isinstance(reply, httpx.Response) and reply.status_code == 429):
            yield Sleep(delay)


def _mapped_error(profile: ApiProfile, response: httpx.Response) -> ApiError:
    if response.is_redirect:
        # Never followed: a redirect to another host would carry the credentials there.
        target = httpx.URL(response.headers.get("location", ""))
        where = f"{target.scheme}://{target.host}{target.path}" if target.host else target.path
        return build_api_error(
            response,
            backend=profile.backend,
            message=f"the API answered a redirect to {where or 'nowhere'}; redirects are not "
            "followed, so credentials never leave the configured host: set the base URL to "
            "the final address",
        )
    try:
        error = profile.map_error(response)
    except Exception as exc:  # a broken error body must still give a typed error
        logger.debug("error mapper failed for %s: %r", profile.backend, exc)
        error = build_api_error(
            response,
            backend=profile.backend,
            message=f"HTTP {response.status_code} with an unreadable error body",
        )
    if profile.secrets:
        error.message = scrub(error.message, profile.secrets)
        if isinstance(error, InvalidRequestError):
            # Vendors echo rejected input in per-field messages.
            error.field_errors = tuple(
                replace(e, message=scrub(e.message, profile.secrets)) for e in error.field_errors
            )
        error.args = (scrub(str(error), profile.secrets),)
    return error


def _unexpected(
    profile: ApiProfile, call: Call[Any], response: httpx.Response, exc: Exception
) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"could not read the {call.operation} response: {type(exc).__name__}: "
        + scrub(str(exc).splitlines()[0] if str(exc) else "", profile.secrets),
        backend=profile.backend,
        status=response.status_code,
        request_id=request_id_of(response),
        method=call.method,
        path=call.path,
    )
