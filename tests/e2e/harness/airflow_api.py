"""A small client for Airflow 3's REST API v2, as the end-to-end tests use it.

Authentication is the simple auth manager's: `POST /auth/token` with a user name and
password gives a JWT that every other call sends as a bearer token (fetched again
once on a 401, since tokens expire). Every method names the endpoint it calls.

On a busy machine the API server (one worker, SQLite shared with the scheduler) can
take longer than the timeout to answer: a GET that times out or loses its connection
is sent again (`GET_ATTEMPTS` in all); other methods are sent once.

`RunWatch` polls a DAG run and keeps each task instance's sequence of states, so a
test can ask whether a task was seen `deferred` on its way to `success`.
"""

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

__all__ = [
    "FINISHED_RUN_STATES",
    "AirflowApi",
    "AirflowApiError",
    "RunWatch",
    "TaskKey",
    "wait_for_all",
]

#: DAG run states after which nothing changes by itself.
FINISHED_RUN_STATES = frozenset({"success", "failed"})

#: (task_id, map_index): map_index is -1 for a task that is not mapped.
TaskKey = tuple[str, int]

#: Attempts of a GET whose answer timed out or whose connection failed (reads only).
GET_ATTEMPTS = 3


class AirflowApiError(RuntimeError):
    """An API call answered with an unexpected status; the message has method, path and body."""


def _q(part: str) -> str:
    # Run ids contain ':' and '+' (manual__2026-...+00:00); keep them one path segment.
    return quote(part, safe="")


class AirflowApi:
    """REST v2 client for one API server.

    `base_url` is the server root, e.g. `http://127.0.0.1:8181`; `timeout` is the
    per-request timeout in seconds. Use as a context manager or call `close()`.
    """

    def __init__(
        self, base_url: str, *, username: str, password: str, timeout: float = 60.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._token: str | None = None
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> "AirflowApi":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------

    def token(self) -> str:
        """A fresh JWT from `POST /auth/token` (simple auth manager; answers 201)."""
        response = self._client.post(
            "/auth/token", json={"username": self._username, "password": self._password}
        )
        if response.status_code not in (200, 201):
            raise AirflowApiError(f"POST /auth/token answered {response.status_code}")
        token: str = response.json()["access_token"]
        self._token = token
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        expect: Iterable[int] = (200,),
    ) -> httpx.Response:
        """Send an authenticated request; `AirflowApiError` unless its status is in `expect`.

        A GET whose answer times out or whose connection fails is sent again, up to
        `GET_ATTEMPTS` times in all (the last failure propagates).
        """
        if self._token is None:
            self.token()
        attempts = GET_ATTEMPTS if method == "GET" else 1
        for attempt in range(attempts):
            try:
                response = self._send(method, path, params=params, json=json)
            except httpx.TransportError:
                if attempt + 1 == attempts:
                    raise
                continue
            break
        if response.status_code not in set(expect):
            raise AirflowApiError(
                f"{method} {path} answered {response.status_code}: {response.text[:500]}"
            )
        return response

    def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any
    ) -> httpx.Response:
        for attempt in range(2):
            response = self._client.request(
                method,
                path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if response.status_code == 401 and attempt == 0:
                self.token()  # expired: log in again, once
                continue
            break
        return response

    def get(self, path: str, **params: Any) -> Any:
        """`GET path` with query `params`; the JSON body."""
        return self.request("GET", path, params=params or None).json()

    def _paged(self, path: str, key: str, *, page: int = 100, **params: Any) -> list[Any]:
        items: list[Any] = []
        while True:
            body = self.get(path, limit=page, offset=len(items), **params)
            chunk = body[key]
            items.extend(chunk)
            if not chunk or len(items) >= body["total_entries"]:
                return items

    # -- deployment -----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """`GET /api/v2/monitor/health` (no authentication needed)."""
        response = self._client.get("/api/v2/monitor/health")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def version(self) -> dict[str, Any]:
        """`GET /api/v2/version`: `{"version": ..., "git_version": ...}`."""
        body: dict[str, Any] = self.get("/api/v2/version")
        return body

    def import_errors(self) -> list[dict[str, Any]]:
        """`GET /api/v2/importErrors`: DAG files the dag-processor could not import."""
        return self._paged("/api/v2/importErrors", "import_errors")

    def hook_meta(self) -> list[dict[str, Any]]:
        """`GET /ui/connections/hook_meta`: the connection form's metadata, one item per type.

        Each item has `connection_type`, `hook_name`, `standard_fields` and
        `extra_fields` (built from provider info by the API server).
        """
        body: list[dict[str, Any]] = self.get("/ui/connections/hook_meta")
        return body

    def hook_meta_for(self, connection_type: str) -> dict[str, Any]:
        """The `hook_meta` item of `connection_type`; `KeyError` naming the types if absent."""
        items = self.hook_meta()
        for item in items:
            if item.get("connection_type") == connection_type:
                return item
        known = sorted(str(i.get("connection_type")) for i in items)
        raise KeyError(f"no connection type {connection_type!r} in hook_meta; known: {known}")

    # -- DAGs and runs ----------------------------------------------------------------------

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        """`GET /api/v2/dags/{dag_id}`, or None while the DAG is not parsed yet."""
        response = self.request("GET", f"/api/v2/dags/{_q(dag_id)}", expect=(200, 404))
        if response.status_code == 404:
            return None
        body: dict[str, Any] = response.json()
        return body

    def dag_ids(self) -> list[str]:
        """`GET /api/v2/dags`: the ids of every DAG the deployment knows."""
        return [d["dag_id"] for d in self._paged("/api/v2/dags", "dags")]

    def wait_for_dags(
        self, dag_ids: Iterable[str], *, timeout: float = 180.0, poll: float = 1.0
    ) -> None:
        """Wait until every DAG in `dag_ids` is parsed (seconds).

        Raises `AirflowApiError` at once when an import error appears, with its text,
        and `TimeoutError` naming the DAGs still missing after `timeout`.
        """
        wanted = set(dag_ids)
        deadline = time.monotonic() + timeout
        while True:
            missing = {d for d in wanted if self.dag(d) is None}
            if not missing:
                return
            errors = self.import_errors()
            if errors:
                text = "\n".join(f"{e['filename']}: {e['stack_trace']}" for e in errors)
                raise AirflowApiError(f"import errors while waiting for {sorted(missing)}:\n{text}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"DAGs {sorted(missing)} not parsed within {timeout} s")
            time.sleep(poll)

    def trigger(
        self, dag_id: str, *, conf: Mapping[str, Any] | None = None, run_id: str | None = None
    ) -> str:
        """`POST /api/v2/dags/{dag_id}/dagRuns` (no logical date); returns the `dag_run_id`."""
        body: dict[str, Any] = {"logical_date": None, "conf": dict(conf or {})}
        if run_id is not None:
            body["dag_run_id"] = run_id
        response = self.request("POST", f"/api/v2/dags/{_q(dag_id)}/dagRuns", json=body)
        run: str = response.json()["dag_run_id"]
        return run

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """`GET /api/v2/dags/{dag_id}/dagRuns/{run_id}`."""
        body: dict[str, Any] = self.get(f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}")
        return body

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """`GET /api/v2/dags/{dag_id}/dagRuns`: every run of the DAG, oldest first."""
        return self._paged(f"/api/v2/dags/{_q(dag_id)}/dagRuns", "dag_runs", order_by="id")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """`GET .../dagRuns/{run_id}/taskInstances`, every page (mapped instances included)."""
        path = f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances"
        return self._paged(path, "task_instances")

    def _ti_path(self, dag_id: str, run_id: str, task_id: str) -> str:
        return f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}"

    def task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, Any]:
        """`GET .../taskInstances/{task_id}[/{map_index}]`: state, try_number, pid, hostname..."""
        path = self._ti_path(dag_id, run_id, task_id)
        body: dict[str, Any] = self.get(path if map_index < 0 else f"{path}/{map_index}")
        return body

    def tries(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> list[dict[str, Any]]:
        """`GET .../taskInstances/{task_id}[/{map_index}]/tries`: one record per try."""
        path = self._ti_path(dag_id, run_id, task_id)
        path = f"{path}/tries" if map_index < 0 else f"{path}/{map_index}/tries"
        items: list[dict[str, Any]] = self.get(path)["task_instances"]
        return items

    def xcom_entries(self, dag_id: str, run_id: str, task_id: str = "~") -> list[dict[str, Any]]:
        """`GET .../taskInstances/{task_id}/xcomEntries` (`~`: every task of the run).

        The listing holds keys and metadata, not values: read those with `xcom_value`.
        """
        path = f"{self._ti_path(dag_id, run_id, task_id)}/xcomEntries"
        return self._paged(path, "xcom_entries")

    def xcom_value(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        """`GET .../xcomEntries/{key}`: the value as stored (JSON), `KeyError` when absent."""
        path = f"{self._ti_path(dag_id, run_id, task_id)}/xcomEntries/{_q(key)}"
        response = self.request("GET", path, params={"map_index": map_index}, expect=(200, 404))
        if response.status_code == 404:
            raise KeyError(f"no XCom {key!r} for {dag_id}.{task_id}[{map_index}] in {run_id}")
        return response.json()["value"]

    def run_xcoms(self, dag_id: str, run_id: str) -> dict[tuple[str, int, str], Any]:
        """Every XCom value of a run, keyed by (task_id, map_index, key)."""
        return {
            (e["task_id"], e["map_index"], e["key"]): self.xcom_value(
                dag_id, run_id, e["task_id"], e["key"], e["map_index"]
            )
            for e in self.xcom_entries(dag_id, run_id)
        }

    def extra_links(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str | None]:
        """`GET .../taskInstances/{task_id}/links`: link name -> URL."""
        path = f"{self._ti_path(dag_id, run_id, task_id)}/links"
        links: dict[str, str | None] = self.get(path, map_index=map_index)["extra_links"]
        return links

    def state_store(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, Any]:
        """`GET .../taskInstances/{task_id}/state-store`: the task state store as key -> value."""
        path = f"{self._ti_path(dag_id, run_id, task_id)}/state-store"
        rows = self.get(path, map_index=map_index)["task_state_store"]
        return {row["key"]: row["value"] for row in rows}

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1
    ) -> str:
        """`GET .../taskInstances/{task_id}/logs/{try_number}` as plain text (what the UI shows)."""
        path = f"{self._ti_path(dag_id, run_id, task_id)}/logs/{try_number}"
        response = self.request("GET", path, params={"map_index": map_index, "full_content": True})
        body = response.json()
        content = body.get("content", [])
        if isinstance(content, str):
            return content
        return "\n".join(
            str(item.get("event", item)) if isinstance(item, dict) else str(item)
            for item in content
        )

    def asset_events(self, **filters: Any) -> list[dict[str, Any]]:
        """`GET /api/v2/assets/events` with filters such as `asset_id` or `source_dag_id`."""
        return self._paged("/api/v2/assets/events", "asset_events", **filters)

    def assets(self, **filters: Any) -> list[dict[str, Any]]:
        """`GET /api/v2/assets` with filters such as `uri_pattern`."""
        return self._paged("/api/v2/assets", "assets", **filters)

    def asset_state_store(self, asset_id: int) -> dict[str, Any]:
        """`GET /api/v2/assets/{asset_id}/state-store`: the asset's state store as key -> value.

        Event triggers of asset watchers keep their state here (Airflow 3.3+).
        """
        rows = self._paged(f"/api/v2/assets/{asset_id}/state-store", "asset_state_store")
        return {row["key"]: row["value"] for row in rows}

    def event_logs(self, **filters: Any) -> list[dict[str, Any]]:
        """`GET /api/v2/eventLogs` (the audit log), oldest first, with filters such as
        `dag_id`, `run_id`, `task_id` or `event`.

        Every state a worker reports through the Execution API is recorded here,
        `deferred` included, so a deferral shows even when it lasted less than a poll.
        """
        return self._paged("/api/v2/eventLogs", "event_logs", order_by="event_log_id", **filters)

    def deferrals(self, dag_id: str, run_id: str) -> set[TaskKey]:
        """Task instances of a run that a worker reported `deferred` (from the audit log).

        A task the scheduler defers itself (`start_from_trigger`) writes no such entry.
        """
        entries = self.event_logs(dag_id=dag_id, run_id=run_id, event="deferred")
        return {(e["task_id"], -1 if e["map_index"] is None else e["map_index"]) for e in entries}

    def watch(self, dag_id: str, run_id: str) -> "RunWatch":
        """A `RunWatch` over one run."""
        return RunWatch(self, dag_id, run_id)


@dataclass
class RunWatch:
    """Polls one DAG run and records every task instance's sequence of states.

    Only states seen at a poll are recorded: a state that lasts less than the poll
    interval can be missed, so tests ask for states that last (e.g. `deferred`).
    `history[(task_id, map_index)]` lists distinct consecutive states; `tries` holds
    the highest `try_number` seen.
    """

    api: AirflowApi
    dag_id: str
    run_id: str
    history: dict[TaskKey, list[str | None]] = field(default_factory=dict)
    tries: dict[TaskKey, int] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    def poll(self) -> dict[str, Any]:
        """Read the run and its task instances once; returns the run."""
        self.run = self.api.dag_run(self.dag_id, self.run_id)
        for ti in self.api.task_instances(self.dag_id, self.run_id):
            key = (ti["task_id"], ti["map_index"])
            states = self.history.setdefault(key, [])
            if not states or states[-1] != ti["state"]:
                states.append(ti["state"])
            self.tries[key] = max(self.tries.get(key, 0), ti["try_number"])
        return self.run

    def wait(
        self,
        *,
        timeout: float = 300.0,
        poll: float = 0.5,
        until: Callable[["RunWatch"], bool] | None = None,
    ) -> dict[str, Any]:
        """Poll every `poll` s until the run finishes (or `until(self)` is true); the run.

        Raises `TimeoutError` after `timeout` seconds with the states seen so far.
        """
        deadline = time.monotonic() + timeout
        while True:
            run = self.poll()
            if until is not None and until(self):
                return run
            if until is None and run["state"] in FINISHED_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {self.dag_id}/{self.run_id} still {run['state']} after {timeout} s; "
                    f"task states seen: {self.summary()}"
                )
            time.sleep(poll)

    def states(self, task_id: str, map_index: int = -1) -> list[str | None]:
        """States seen for one task instance, in order."""
        return list(self.history.get((task_id, map_index), []))

    def seen(self, state: str, task_id: str | None = None) -> set[TaskKey]:
        """Task instances (all, or those of `task_id`) seen in `state` at some poll."""
        return {
            key
            for key, states in self.history.items()
            if state in states and (task_id is None or key[0] == task_id)
        }

    def final_states(self) -> dict[TaskKey, str | None]:
        """Each task instance's latest state."""
        return {key: states[-1] for key, states in self.history.items() if states}

    def summary(self) -> dict[str, list[str | None]]:
        """History as `"task_id[map_index]" -> states`, for error messages."""
        return {
            f"{task}[{index}]" if index >= 0 else task: states
            for (task, index), states in sorted(self.history.items())
        }


def wait_for_all(
    watches: Iterable[RunWatch], *, timeout: float = 600.0, poll: float = 0.5
) -> dict[str, dict[str, Any]]:
    """Poll several runs in turn until every one has finished; `dag_id` -> its run.

    Polling them together keeps each watch's history as fine as one run's would be.
    Raises `TimeoutError` after `timeout` seconds naming the runs still going.
    """
    pending = list(watches)
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while pending:
        for watch in list(pending):
            run = watch.poll()
            if run["state"] in FINISHED_RUN_STATES:
                done[watch.dag_id] = run
                pending.remove(watch)
        if not pending:
            return done
        if time.monotonic() > deadline:
            going = {w.dag_id: w.summary() for w in pending}
            raise TimeoutError(f"runs still going after {timeout} s: {going}")
        time.sleep(poll)
    return done
