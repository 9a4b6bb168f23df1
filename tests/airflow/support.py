"""Helpers for the Airflow tests: parse the example DAGs, run one, read what it left behind."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import REPO_ROOT

__all__ = [
    "EXAMPLES",
    "example_dags",
    "recorded",
    "rendered_fields",
    "task_states",
    "try_numbers",
    "xcoms",
]

EXAMPLES = REPO_ROOT / "example_dags"


@contextmanager
def _deferrable(value: bool) -> Iterator[None]:
    # Operators read [operators] default_deferrable when constructed, i.e. while parsing.
    key = "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE"
    before = os.environ.get(key)
    os.environ[key] = str(value)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def example_dags(*, deferrable: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """(dag_id -> DAG, file -> import error) of `example_dags/`, parsed as Airflow would."""
    from airflow.dag_processing.dagbag import DagBag  # noqa: PLC0415

    with _deferrable(deferrable):
        bag = DagBag(dag_folder=str(EXAMPLES))
    return dict(bag.dags), dict(bag.import_errors)


def _task_instances(run: Any) -> list[Any]:
    from airflow.models.taskinstance import TaskInstance  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    with create_session() as session:
        query = select(TaskInstance).where(
            TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id
        )
        tis = session.scalars(query).all()
        session.expunge_all()
        return list(tis)


def task_states(run: Any) -> dict[str, str]:
    """task_id -> final state of a DAG run returned by `dag.test()`."""
    return {ti.task_id: str(ti.state) for ti in _task_instances(run)}


def try_numbers(run: Any) -> dict[str, int]:
    """task_id -> the try number that finished, for a DAG run."""
    return {ti.task_id: ti.try_number for ti in _task_instances(run)}


def xcoms(run: Any) -> dict[tuple[str, str], Any]:
    """(task_id, key) -> value of every XCom a DAG run left."""
    from airflow.models.xcom import XComModel  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id)
        ).all()
        return {(row.task_id, row.key): XComModel.deserialize_value(row) for row in rows}


def rendered_fields(run: Any) -> dict[str, Any]:
    """task_id -> the rendered template fields Airflow recorded for a DAG run."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    with create_session() as session:
        rows = session.scalars(
            select(RenderedTaskInstanceFields).where(
                RenderedTaskInstanceFields.dag_id == run.dag_id,
                RenderedTaskInstanceFields.run_id == run.run_id,
            )
        ).all()
        return {row.task_id: row.rendered_fields for row in rows}


def recorded(run: Any, logs: str) -> dict[str, str]:
    """Every place a DAG run left text in, by name: each XCom, each task's rendered fields, the log.

    `logs` is what `dag.test()` printed: the task logs and, deferred, the trigger
    logs. It is searched as printed, unmasked, which is stricter than the log
    files of a deployment, where Airflow's supervisor masks registered secrets.
    """
    places = {f"xcom {task}/{key}": repr(value) for (task, key), value in xcoms(run).items()}
    places.update({f"rendered {task}": repr(f) for task, f in rendered_fields(run).items()})
    places["log"] = logs
    return {f"{run.dag_id}: {place}": text for place, text in places.items()}
