"""Operators: one lifecycle step each, the same class for every backend.

    EnsureConnectionOperator   create or reuse a connection from a spec (or plan it: dry_run)
    VerifyConnectionOperator   run setup tests / verification; fail with their messages
    TriggerSyncOperator        sync or resync, optionally waiting (deferrable); see sync.py
    PauseConnectionOperator    stop scheduled syncs
    ResumeConnectionOperator   undo pause
    DeleteConnectionOperator   delete; a missing connection is success

`backend` ("fivetran", "faraday", "hub") is a plain value checked when the DAG
file is parsed, with the steps the operator needs; every other argument is
templated, conn ids included. Errors no retry can fix fail the task at once
(AirflowFailException); transient ones propagate so Airflow retries.
"""

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_conn.common import as_bool, has_template, mask_spec, validate_model
from airflow_provider_conn.sync import TriggerSyncOperator
from airflow_provider_conn.tasks import ConnTaskMixin
from airflow_provider_conn.triggers import readiness_json
from conn_shared import (
    ConnectionFailedError,
    ReadinessState,
    Step,
    backend_entry,
    delete_connection,
    ensure_connection,
    pause_connection,
    plan_connection,
    resume_connection,
    verify_connection,
)

__all__ = [
    "DeleteConnectionOperator",
    "EnsureConnectionOperator",
    "PauseConnectionOperator",
    "ResumeConnectionOperator",
    "TriggerSyncOperator",
    "VerifyConnectionOperator",
]


class EnsureConnectionOperator(ConnTaskMixin, BaseOperator):
    """Create the connection a spec describes, or reuse it; never a duplicate.

    Runs `ensure_connection` (or `plan_connection` with `dry_run`). The spec is
    validated into the backend's spec class when the DAG is parsed if it holds no
    template, and again after rendering, before any request; its secret values
    are registered with the secrets masker as soon as they are rendered, so the
    task's rendered fields and logs show them as `***`.

    Args:
        backend: "fivetran", "faraday" or "hub" (plain, not templated).
        spec: the backend's connection spec as a dict (or the spec object):
            `FivetranConnectionSpec`, `FaradayConnectionSpec`, `HubConnectionSpec`.
        conn_id: the Airflow connection (default `conn_<backend>_default`).
        update: PATCH non-secret settings that drifted from the spec (default True).
        resend_secrets: send the spec's secrets again, e.g. after a rotation.
        dry_run: log what ensure would do (reads only, GET) and change nothing.

    Returns (XCom): the connection id; with `dry_run`, the id of the existing
    connection or None when it would be created.

    Vendor endpoints: each backend's look-up (GET) and create (POST) / update (PATCH).
    """

    template_fields: Sequence[str] = (
        "conn_id",
        "spec",
        "update_on_drift",
        "resend_secrets",
        "plan_only",
    )
    template_fields_renderers = {"spec": "json"}  # noqa: RUF012 (Airflow's own attribute)

    def __init__(
        self,
        *,
        backend: str,
        spec: Any,
        conn_id: str | None = None,
        update: bool = True,
        resend_secrets: bool = False,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.setup_conn_task(backend, conn_id, [Step.ENSURE])
        if not has_template(spec):
            mask_spec(self._spec(spec))
        self.spec = spec
        self.update_on_drift = update  # `update` is taken: BaseOperator.update
        self.resend_secrets = resend_secrets
        self.plan_only = dry_run  # `dry_run` is taken: BaseOperator.dry_run

    def _spec(self, value: Any) -> Any:
        return validate_model(backend_entry(self.backend).spec_class, value, "spec")

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render, then validate the spec and mask its secrets before Airflow records the fields."""
        super().render_template_fields(context, jinja_env)
        mask_spec(self._spec(self.spec))

    def execute(self, context: Any) -> str | None:
        """Ensure (or plan) the connection and return its id."""
        spec = self._spec(self.spec)
        mask_spec(spec)
        backend = self.get_backend()
        resend = as_bool(self.resend_secrets, "resend_secrets")
        if as_bool(self.plan_only, "dry_run"):
            plan = self.drive(backend, plan_connection(backend, spec, resend_secrets=resend))
            self.log.info("dry run, nothing changed; ensure would:\n%s", plan.describe())
            self.push_url(context, backend, plan.connection_id)
            planned: str | None = plan.connection_id
            return planned
        update = as_bool(self.update_on_drift, "update")
        result = self.drive(
            backend, ensure_connection(backend, spec, update=update, resend_secrets=resend)
        )
        connection_id: str = result.connection.connection_id
        verb = "created" if result.created else "updated" if result.updated else "found"
        self.log.info("%s %s connection %s", verb, self.backend, connection_id)
        self.push_url(context, backend, connection_id)
        return connection_id


class _OnConnection(ConnTaskMixin, BaseOperator):
    """An operator acting on one existing connection, by id (templated)."""

    template_fields: Sequence[str] = ("conn_id", "connection_id")
    step: Step

    def __init__(
        self, *, backend: str, connection_id: str, conn_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.setup_conn_task(backend, conn_id, [self.step])
        self.connection_id = connection_id


class VerifyConnectionOperator(_OnConnection):
    """Run the vendor's setup tests / verification; fail with each failing test's message.

    Args:
        backend: "fivetran" or "hub" (Faraday has no verification step).
        connection_id: the connection (templated, e.g. an ensure task's XCom).
        conn_id: the Airflow connection (default `conn_<backend>_default`).

    Returns (XCom): the resulting Readiness as JSON (backend, connection_id, state, reason).
    A `failed` readiness fails the task without retries (ConnectionFailedError's
    message lists the failing tests); `pending` succeeds: wait with
    ConnectionReadySensor. Vendor endpoints: Fivetran `POST /v1/connections/{id}/test`,
    hub `POST /api/v1/connections/{id}/verify`.
    """

    step = Step.VERIFY

    def execute(self, context: Any) -> dict[str, Any]:
        """Verify the connection and return its readiness."""
        backend = self.get_backend()
        self.push_url(context, backend, self.connection_id)
        readiness = self.drive(backend, verify_connection(backend, self.connection_id))
        if readiness.state is ReadinessState.FAILED:
            self.fail(
                ConnectionFailedError(
                    f"connection {self.connection_id} failed verification: "
                    f"{readiness.reason or 'no reason given'}",
                    backend=self.backend,
                    connection_id=self.connection_id,
                )
            )
        self.log.info(
            "%s connection %s: %s", self.backend, self.connection_id, readiness.state.value
        )
        return readiness_json(readiness)


class PauseConnectionOperator(_OnConnection):
    """Stop the connection's scheduled syncs (Fivetran `PATCH paused`, hub `POST .../disable`).

    Returns (XCom): the connection as JSON (backend, connection_id, name, paused).
    """

    step = Step.PAUSE

    def execute(self, context: Any) -> dict[str, Any]:
        """Pause the connection."""
        backend = self.get_backend()
        self.push_url(context, backend, self.connection_id)
        info = self.drive(backend, pause_connection(backend, self.connection_id))
        return dict(info.model_dump(mode="json", exclude={"raw"}))


class ResumeConnectionOperator(_OnConnection):
    """Resume scheduled syncs (Fivetran `PATCH paused`, hub `POST .../reactivate`).

    Returns (XCom): the connection as JSON (backend, connection_id, name, paused).
    """

    step = Step.RESUME

    def execute(self, context: Any) -> dict[str, Any]:
        """Resume the connection."""
        backend = self.get_backend()
        self.push_url(context, backend, self.connection_id)
        info = self.drive(backend, resume_connection(backend, self.connection_id))
        return dict(info.model_dump(mode="json", exclude={"raw"}))


class DeleteConnectionOperator(_OnConnection):
    """Delete the connection (`DELETE .../connections/{id}`); a missing one is success.

    A connection still in use is refused (ConnectionInUseError naming its users)
    and fails the task without retries. Returns (XCom): True when this task
    deleted it, False when it was already gone.
    """

    step = Step.DELETE

    def execute(self, context: Any) -> bool:
        """Delete the connection."""
        backend = self.get_backend()
        deleted: bool = self.drive(backend, delete_connection(backend, self.connection_id))
        self.log.info(
            "%s connection %s %s",
            self.backend,
            self.connection_id,
            "deleted" if deleted else "was already gone",
        )
        return deleted
