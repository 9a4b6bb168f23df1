"""What differs between the Airflow versions this provider supports (3.2 and 3.3+), in one place.

Airflow 3.3 added the task state store, `amask_secret`, `Connection.aextra_dejson`
and the asset state store of event triggers; 3.2 has none of them. Every other
module (and every test whose expectation differs by version) asks here instead
of testing the version itself.
"""

import json
from collections.abc import Mapping
from typing import Any, Protocol

from airflow.sdk.definitions.connection import Connection
from airflow.sdk.execution_time import context as _context
from airflow.sdk.log import mask_secret

__all__ = [
    "HAS_STATE_STORES",
    "AsyncStateStore",
    "StateStore",
    "amask",
    "asset_state_store",
    "extra_of",
    "state_store",
]

#: Whether this Airflow keeps a task state store for each task instance and an
#: asset state store for each event trigger (3.3+). Without them a retried
#: `TriggerSyncOperator` cannot find its first try's intent, and an asset watcher
#: keeps its watermark in memory only (docs/airflow.md).
HAS_STATE_STORES = hasattr(_context, "TaskStateStoreAccessor")


class StateStore(Protocol):
    """The part of Airflow 3.3's task state store (and asset state store) this provider uses."""

    def get(self, key: str, default: Any = None) -> Any:
        """The stored JSON value, or `default`."""

    def set(self, key: str, value: Any) -> None:
        """Store a JSON value (never None)."""

    def delete(self, key: str) -> None:
        """Forget `key`."""


async def amask(value: str) -> None:
    """Register `value` with the secrets masker without blocking the event loop.

    3.3 has `amask_secret`. 3.2 has only the sync `mask_secret`, whose message to
    the supervisor would block a trigger's loop; there the value is masked in this
    process only, which is where a trigger logs.
    """
    try:
        from airflow.sdk.log import amask_secret  # noqa: PLC0415 (3.3+)
    except ImportError:
        from airflow.sdk._shared.secrets_masker import _secrets_masker  # noqa: PLC0415 (3.2)

        _secrets_masker().add_mask(value)
        return
    await amask_secret(value)


def mask(value: str) -> None:
    """Register `value` with the secrets masker of this process and of its supervisor."""
    mask_secret(value)


async def extra_of(connection: Connection) -> Mapping[str, Any]:
    """The connection's extra as a mapping, read without a blocking call.

    3.3: `await connection.aextra_dejson()` (which masks sensitive keys asynchronously).
    3.2 lacks it, and its `extra_dejson` masks through a blocking call, so the JSON
    is parsed here; this provider's extra fields hold no secret.
    """
    reader = getattr(connection, "aextra_dejson", None)
    if reader is not None:
        extra = await reader()
        return extra if isinstance(extra, Mapping) else {}
    return _parse_extra(connection.extra)


def _parse_extra(raw: str | None) -> Mapping[str, Any]:
    if not raw:
        return {}
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise ValueError("extra: the connection's extra is not valid JSON") from exc
    return extra if isinstance(extra, Mapping) else {}


def state_store(context: Mapping[str, Any]) -> StateStore | None:
    """The task state store of the running try (Airflow 3.3+), or None on 3.2."""
    store = context.get("task_state_store")
    return store if store is not None else None


class AsyncStateStore(Protocol):
    """The async half of Airflow 3.3's asset state store, which an event trigger uses."""

    async def aget(self, key: str, default: Any = None) -> Any:
        """The stored JSON value, or `default`; ValueError when several assets share the trigger."""

    async def aset(self, key: str, value: Any) -> None:
        """Store a JSON value."""


def asset_state_store(trigger: object) -> AsyncStateStore | None:
    """The asset state store the triggerer gave an event trigger (3.3+), or None.

    3.2 gives none; 3.3 sets the trigger's `asset_state_store` attribute before `run()`.
    """
    return getattr(trigger, "asset_state_store", None)
