"""The base every operator and sensor of this provider builds on: backend, conn id, hook, backend.

`ConnTaskMixin.setup_conn_task` runs in each constructor: it validates the
backend through the registry and the task's steps through the backend's
capabilities (a DAG file with a sync on the hub fails to parse), and picks the
backend's default Airflow connection when `conn_id` is None. Nothing reads a
connection or the network until the task runs.
"""

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from airflow_provider_conn.common import airflow_errors, check_backend, has_template, run_flow
from airflow_provider_conn.hooks import ConnHook, hook_class
from airflow_provider_conn.links import ConnectionLink, push_connection_url
from conn_shared import Backend, ConnError, Step
from conn_shared.calls import Flow

__all__ = ["ConnTaskMixin"]


T = TypeVar("T")


class ConnTaskMixin:
    """Backend name, Airflow conn id and the running of flows, for operators and sensors."""

    operator_extra_links: Any = (ConnectionLink(),)

    backend: str
    conn_id: str

    def setup_conn_task(self, backend: str, conn_id: str | None, steps: Iterable[Step]) -> None:
        """Validate `backend` and `steps` at parse time; default `conn_id` per backend."""
        self.backend = check_backend(backend, steps).name
        if not has_template(conn_id):
            hook_class(backend)(conn_id)  # checks the id; reads nothing
        self.conn_id = conn_id if conn_id is not None else hook_class(backend).default_conn_name

    @property
    def hook(self) -> ConnHook:
        """The hook for `conn_id` (built on use: constructing the task reads nothing)."""
        return hook_class(self.backend)(self.conn_id)

    def get_backend(self) -> Backend[Any]:
        """The backend built from the Airflow connection; AirflowFailException when it cannot be."""
        with airflow_errors():
            return self.hook.get_backend()

    def drive(self, backend: Backend[Any], flow: Flow[T]) -> T:
        """Run `flow` once with a sync executor; errors are sorted by `airflow_errors`."""
        with airflow_errors():
            return run_flow(backend, flow)

    def fail(self, error: ConnError) -> NoReturn:
        """Raise `error` sorted as a flow's error would be (`airflow_errors`)."""
        with airflow_errors():
            raise error

    @staticmethod
    def push_url(context: Any, backend: Backend[Any], connection_id: str | None) -> None:
        """Publish the connection's page for the extra link (no request)."""
        if connection_id:
            push_connection_url(context, backend.connection_url(connection_id))
