"""The core app: mounting, its guards, and imports that must stay light."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conn_shared.sim.app import build_app
from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.fivetran import FivetranSim
from conn_shared.sim.server import SimServer, build_backends

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_each_backend_is_mounted_under_its_name(conn_sim: SimServer) -> None:
    creds = conn_sim.credentials
    fivetran = httpx.get(
        conn_sim.base_url("fivetran") + "/v1/connections",
        auth=(creds.fivetran_api_key, creds.fivetran_api_secret),
    )
    faraday = httpx.get(
        conn_sim.base_url("faraday") + "/connections",
        headers={"Authorization": f"Bearer {creds.faraday_api_key}"},
    )
    hub = httpx.get(
        conn_sim.base_url("hub") + "/api/v1/connections",
        headers={"Authorization": f"Bearer {creds.hub_token}"},
    )
    assert (fivetran.status_code, faraday.status_code, hub.status_code) == (200, 200, 200)
    assert conn_sim.base_url("hub") == conn_sim.url + "/hub"
    assert conn_sim.base_url("fivetran") == conn_sim.url + "/fivetran"
    assert conn_sim.base_url("faraday") == conn_sim.url + "/faraday/v1"
    assert httpx.get(conn_sim.url + "/nobody-here").status_code == 404


def test_base_url_of_a_backend_not_served() -> None:
    with SimServer(names=["fivetran"]) as sim, pytest.raises(KeyError, match="not served"):
        sim.base_url("hub")


@pytest.mark.parametrize(
    "names",
    [pytest.param(["fivetran", "fivetran"], id="duplicate"), pytest.param(["_sim"], id="reserved")],
)
def test_build_app_rejects_clashing_names(names: list[str]) -> None:
    clock = SimClock()
    backends = []
    for name in names:
        backend = FivetranSim(clock)
        backend.name = name
        backends.append(backend)
    with pytest.raises(ValueError, match=r"unique|reserved"):
        build_app(backends=backends, clock=clock)


def test_build_backends_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown backends"):
        build_backends(["fivetran", "stitch"], SimClock(), SimCredentials())


def test_custom_credentials_are_the_ones_accepted() -> None:
    creds = SimCredentials(fivetran_api_key="k2", fivetran_api_secret="s2")
    with SimServer(names=["fivetran"], credentials=creds) as sim:
        url = sim.base_url("fivetran") + "/v1/connections"
        assert httpx.get(url, auth=("k2", "s2")).status_code == 200
        assert httpx.get(url, auth=("sim-fivetran-key", "sim-fivetran-secret")).status_code == 401


@pytest.mark.parametrize(
    "module",
    [
        pytest.param("conn_shared.sim", id="package"),
        pytest.param("conn_shared.sim.pytest_plugin", id="plugin"),
        pytest.param("conn_shared.sim.cli", id="cli"),
        pytest.param("conn_shared.sim.vendors", id="vendor-table"),
    ],
)
def test_importing_does_not_need_the_sim_extra(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_package_exports_its_public_names() -> None:
    import conn_shared.sim as sim  # noqa: PLC0415 (the package object itself is under test)

    assert {"SimServer", "SimClock", "FaultPlan", "FaultRule", "RateLimit"} <= set(sim.__all__)
    assert sim.SimServer is SimServer
    assert sim.FivetranSim is FivetranSim
    assert all(getattr(sim, name) is not None for name in sim.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = sim.Nope
