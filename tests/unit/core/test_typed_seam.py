"""The typed seam: mypy refuses a spec of another backend's class, before anything runs.

`Backend` is generic in its spec type, so `ensure_connection(backend, spec)` and
`plan_connection(backend, spec)` type-check only with the backend's own spec class.
The run-time twin (SpecMismatchError) is tested in test_backends.py.
"""

from pathlib import Path

import pytest
from mypy import api

from tests.conftest import REPO_ROOT

SNIPPET = """\
from typing import Any

from conn_shared import (
    Backend,
    FaradayConnectionSpec,
    FivetranBackend,
    FivetranConnectionSpec,
    HubBackend,
    HubConnectionSpec,
    backend_entry,
    ensure_connection,
    plan_connection,
)

fivetran = FivetranBackend(api_key="k", api_secret="s")
hub = HubBackend(base_url="https://hub.test", token="t")
own = FivetranConnectionSpec(group_id="g", service="postgres", schema_name="shop")
faraday_spec = FaradayConnectionSpec(name="n", options={"type": "postgres"})
hub_spec = HubConnectionSpec(name="n", provider="postgres")
ensure_connection(fivetran, own)
plan_connection(fivetran, own, resend_secrets=True)
ensure_connection(hub, hub_spec, resend_secrets=True)
ensure_connection(fivetran, faraday_spec)  # line 23: refused
plan_connection(hub, own)  # line 24: refused
ensure_connection(fivetran, hub_spec, update=False)  # line 25: refused
anything: Backend[Any] = backend_entry("hub").build(base_url="https://hub.test", token="t")
ensure_connection(anything, hub_spec)  # a registry backend takes any spec statically
"""


@pytest.mark.timeout(120)
def test_mypy_refuses_a_spec_of_another_backend(tmp_path: Path) -> None:
    snippet = tmp_path / "seam.py"
    snippet.write_text(SNIPPET)
    out, err, status = api.run(
        [
            "--config-file",
            str(REPO_ROOT / "pyproject.toml"),
            "--cache-dir",
            str(REPO_ROOT / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            str(snippet),
        ]
    )
    assert err == ""
    flagged = sorted({int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line})
    assert flagged == [23, 24, 25], out
    assert status == 1
