"""The end-to-end harness: real Airflow and Dagster deployments, their APIs, logs and processes.

- `deployment`: `Deployment`, the temporary home, environment and process set both
  deployments share.
- `airflow`: `AirflowDeployment` / `AirflowSettings` (separate processes, SQLite,
  LocalExecutor), `short_heartbeat_config`, `TaskProcesses`.
- `airflow_api`: `AirflowApi` (REST v2 with a simple-auth-manager token), `RunWatch`.
- `dagster`: `DagsterDaemon` / `DagsterSettings` (`dagster-daemon run`, observed through
  `DagsterInstance`).
- `browser`: headless Debian Chromium through Playwright; screenshots to `build/e2e/`.
- `logs`: task and trigger log files, and searching files for a string (a secret).
- `compare`: JSON equality except ids and timestamps, listing what it ignored.
- `processes`: process sets stopped by pid, markers that find every descendant, a
  peak RSS / CPU sampler of a process tree.
- `sweep`: `python -m tests.e2e.harness.sweep`, run by `make e2e` after pytest.
"""
