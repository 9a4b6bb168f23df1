"""What every operator and sensor of this provider shares: parse-time checks, errors, values.

- `check_backend` runs when a task is constructed (DAG parsing): the backend name
  goes through the registry and the steps the task needs through its capabilities,
  so a sync on the hub fails the DAG file, naming backend and step. No connection
  is read and nothing is sent.
- `airflow_errors` decides what a retry can fix. Transient failures (5xx, 429,
  network, unreadable answers, a failed or rescheduled sync, a wait deadline)
  propagate unchanged so Airflow retries the task. Everything else (bad
  credentials, permissions, invalid input, a missing or wrong Airflow connection,
  an unsupported step, a spec mismatch, an identity conflict, failed setup
  tests, a paused connection, a connection in use) becomes AirflowFailException,
  which fails the task without using up its retries, chained with `from`.
- The value checks give errors that name the parameter and the allowed values.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret
from pydantic import BaseModel, ValidationError

from airflow_provider_conn.events import EventError
from conn_shared import (
    TRANSIENT_ERRORS,
    Backend,
    BackendEntry,
    ConnError,
    Step,
    SyncExecutor,
    UnsupportedStepError,
    WaitPolicy,
    backend_entry,
)
from conn_shared.calls import Flow

__all__ = [
    "TRANSIENT",
    "airflow_errors",
    "as_bool",
    "as_seconds",
    "check_backend",
    "default_deferrable",
    "has_template",
    "mask_spec",
    "optional_seconds",
    "run_flow",
    "validate_model",
    "wait_policy",
]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: Failures a later try may not meet again: re-raised as they are, so Airflow retries.
TRANSIENT = TRANSIENT_ERRORS


def check_backend(backend: str, steps: Iterable[Step]) -> BackendEntry:
    """The registry entry of `backend`, once it is known to support every step in `steps`.

    Raises UnknownBackendError (a ValueError naming the allowed names) or
    UnsupportedStepError (naming backend, step and the supported steps).
    """
    entry = backend_entry(backend)
    for step in steps:
        if step not in entry.capabilities:
            raise UnsupportedStepError(
                backend=entry.name,
                step=step.value,
                supported=tuple(s.value for s in Step if s in entry.capabilities),
            )
    return entry


def default_deferrable() -> bool:
    """`[operators] default_deferrable`, read now (at construction), not at import."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


@contextmanager
def airflow_errors() -> Iterator[None]:
    """Turn errors no retry can fix into AirflowFailException; let the transient ones through."""
    try:
        yield
    except TRANSIENT:
        raise
    except (ConnError, EventError) as exc:
        raise AirflowFailException(str(exc)) from exc


def run_flow(backend: Backend[Any], flow: Flow[T]) -> T:
    """Run one lifecycle flow with the process's pooled sync client."""
    with SyncExecutor(backend.profile()) as executor:
        return executor.run(flow)


def has_template(value: Any) -> bool:
    """True when `value` holds a Jinja string or an unresolved object (an XComArg, ...)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(has_template(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_template(v) for v in value)
    return not isinstance(value, int | float | bool | type(None) | BaseModel)


def validate_model(model: type[M], value: Any, parameter: str) -> M:
    """`value` as `model` (a model instance passes as is); ValueError naming each bad field.

    The message never quotes an input value: a spec holds credentials.
    """
    if isinstance(value, model):
        return value
    if isinstance(value, BaseModel):
        raise ValueError(
            f"{parameter}: expected a {model.__name__} or a dict, got {type(value).__name__}"
        )
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            ".".join([parameter, *map(str, e["loc"])]) + ": " + e["msg"]
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ValueError(f"{parameter}: invalid {model.__name__}: {problems}") from None


def mask_spec(spec: Any) -> None:
    """Register every secret value of a connection spec with the secrets masker."""
    for secret in spec.secret_values():
        mask_secret(secret)


def as_bool(value: Any, parameter: str) -> bool:
    """A bool, or its rendered text ("true"/"false", any case); ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{parameter}: expected true or false, got {value!r}")


def optional_seconds(value: Any, parameter: str) -> float | None:
    """`as_seconds`, but None passes (no limit)."""
    return None if value is None else as_seconds(value, parameter, optional=True)


def as_seconds(value: Any, parameter: str, *, optional: bool = False) -> float:
    """Seconds > 0 from a number, a timedelta or rendered text; ValueError naming `parameter`."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds <= 0 or isinstance(value, bool):
        allowed = "a number of seconds > 0" + (" or None" if optional else "")
        raise ValueError(f"{parameter}: expected {allowed}, got {value!r}")
    return seconds


def wait_policy(
    *,
    poll_interval: Any,
    max_poll_interval: Any,
    timeout: Any,
    backoff: float = 1.5,
    on_rescheduled: str = "wait",
) -> WaitPolicy:
    """A WaitPolicy from task parameters, each checked and named in the error."""
    poll = as_seconds(poll_interval, "poll_interval")
    cap = as_seconds(max_poll_interval, "max_poll_interval")
    if cap < poll:
        raise ValueError(f"max_poll_interval: must be >= poll_interval ({poll}), got {cap}")
    return WaitPolicy(
        poll_interval=poll,
        max_poll_interval=cap,
        backoff=backoff,
        timeout=optional_seconds(timeout, "timeout"),
        on_rescheduled="fail" if on_rescheduled == "fail" else "wait",
    )
