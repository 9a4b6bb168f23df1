"""Fault injection: the plan (parsing, matching, seeding, `times`) and every fault kind
as a client sees it through a real server."""

import json
from typing import Any

import httpx
import pytest

from conn_shared.sim.faults import FaultPlan, FaultRule, parse_fault
from conn_shared.sim.server import SimServer
from tests.sim.conftest import FivetranApi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("503:0.1", FaultRule("error", 503, 0.1), id="error-with-probability"),
        pytest.param("500", FaultRule("error", 500, 0.25), id="default-probability"),
        pytest.param(
            "429=5:0.05@POST /fivetran/v1/connections",
            FaultRule("rate_limit", 429, 0.05, None, "POST", "/fivetran/v1/connections", 5.0),
            id="rate-limit-on-a-route",
        ),
        pytest.param(
            "dropx2@/faraday/v1/*",
            FaultRule("drop", None, 1.0, 2, "*", "/faraday/v1/*"),
            id="next-two-on-a-glob",
        ),
        pytest.param(
            "latency=2.5:1", FaultRule("latency", probability=1.0, seconds=2.5), id="latency"
        ),
        pytest.param("malformed:0.5", FaultRule("malformed_json", probability=0.5), id="malformed"),
        pytest.param(
            "commit_then_lose x1@post /hub/*",
            FaultRule("commit_then_lose", times=1, method="POST", path="/hub/*"),
            id="commit-then-lose",
        ),
        pytest.param(
            "429=none:0.5",
            FaultRule("rate_limit", 429, 0.5, retry_after=False),
            id="rate-limit-without-retry-after",
        ),
        pytest.param(
            "503x5@GET /fivetran/v1/connections/{connectionId}",
            FaultRule(
                "error", 503, 1.0, 5, "GET", "/fivetran/*", route="/v1/connections/{connectionId}"
            ),
            id="next-five-on-a-route-template",
        ),
    ],
)
def test_parse_fault(text: str, expected: FaultRule) -> None:
    assert parse_fault(text, default_probability=0.25) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("418", id="unknown-status"),
        pytest.param("503:often", id="probability-not-a-number"),
        pytest.param("503:1.5", id="probability-above-one"),
        pytest.param("explode", id="unknown-kind"),
    ],
)
def test_parse_fault_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_fault(text)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        pytest.param(
            {"kind": "error", "status": 503, "retry_after": False},
            "rate_limit faults only",
            id="retry-after-off-on-an-error",
        ),
        pytest.param(
            {"kind": "rate_limit", "retry_after": "no"},
            "retry_after must be a boolean",
            id="retry-after-not-a-boolean",
        ),
        pytest.param(
            {"kind": "error", "route": "v1/connections"},
            "route must be a template starting with '/'",
            id="route-not-a-path",
        ),
    ],
)
def test_rule_fields_are_checked(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan.from_dict({"rules": [rule]})


def test_a_rule_with_a_route_asks_for_the_template_only_when_the_rest_matches() -> None:
    asked: list[str] = []

    def template() -> str:
        asked.append("asked")
        return "/v1/connections/{connectionId}"

    plan = FaultPlan(
        [FaultRule("error", 503, method="GET", route="/v1/connections/{connectionId}")]
    )
    assert plan.pick("POST", "/fivetran/v1/connections/a", template) is None
    assert asked == []
    assert plan.pick("GET", "/fivetran/v1/connections/a", template) is not None
    assert plan.pick("GET", "/fivetran/v1/connections/a", lambda: "/v1/connections") is None
    assert asked == ["asked"]


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param({"rules": [{"kind": "error", "status": 404}]}, id="status-not-5xx"),
        pytest.param({"rules": [{"kind": "error", "oops": 1}]}, id="unknown-rule-field"),
        pytest.param({"rules": {}}, id="rules-not-a-list"),
        pytest.param({"seed": "x", "rules": []}, id="seed-not-an-integer"),
        pytest.param({"other": 1}, id="unknown-plan-field"),
    ],
)
def test_plan_from_dict_rejects(plan: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"."):
        FaultPlan.from_dict(plan)


def test_same_seed_same_faults() -> None:
    def draws(seed: int) -> list[bool]:
        plan = FaultPlan([FaultRule("error", 503, probability=0.5)], seed=seed)
        return [plan.pick("GET", "/x") is not None for _ in range(50)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)
    assert 5 < sum(draws(1)) < 45


def test_times_limits_a_rule_then_the_next_rule_applies() -> None:
    plan = FaultPlan(
        [
            FaultRule("error", 500, times=2, method="POST", path="/fivetran/v1/connections/*/sync"),
            FaultRule("error", 503, path="/fivetran/*"),
        ]
    )
    picks = [plan.pick("POST", "/fivetran/v1/connections/a/sync") for _ in range(3)]
    assert [rule.status if rule else None for rule in picks] == [500, 500, 503]
    assert plan.pick("GET", "/faraday/v1/connections") is None
    assert plan.as_dict()["fired"] == {"error": 3}


def _fault(sim: SimServer, **rule: Any) -> None:
    sim.set_faults({"seed": 0, "rules": [rule]})


@pytest.mark.parametrize("status", [500, 502, 503])
def test_error_faults_answer_in_the_vendor_format(fivetran: FivetranApi, status: int) -> None:
    _fault(fivetran.sim, kind="error", status=status, method="GET", path="/fivetran/v1/connections")
    answer = fivetran.request("GET", "/v1/connections")
    assert answer.status_code == status
    assert set(answer.json()) == {"code", "message"}
    assert "simulated fault" in answer.json()["message"]
    assert fivetran.request("POST", "/v1/connections", json={}).status_code == 400  # not matched


def test_error_faults_on_faraday_use_faradays_format(conn_sim: SimServer) -> None:
    _fault(conn_sim, kind="error", status=503)
    answer = httpx.get(
        conn_sim.base_url("faraday") + "/connections",
        headers={"Authorization": f"Bearer {conn_sim.credentials.faraday_api_key}"},
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "INTERNAL_SERVER_ERROR"


def test_rate_limit_fault_sends_retry_after(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="rate_limit", seconds=7, times=1)
    storm = fivetran.request("GET", "/v1/connections")
    assert (storm.status_code, storm.headers["retry-after"]) == (429, "7")
    assert storm.json()["code"] == "TooManyRequests"
    assert fivetran.request("GET", "/v1/connections").status_code == 200


def test_rate_limit_fault_without_retry_after(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="rate_limit", retry_after=False, times=1)
    storm = fivetran.request("GET", "/v1/connections")
    assert storm.status_code == 429
    assert "retry-after" not in storm.headers
    assert storm.json() == {
        "code": "TooManyRequests",
        "message": "Too many requests (simulated fault)",
    }
    assert fivetran.request("GET", "/v1/connections").status_code == 200


def test_connection_details_answer_503_five_times_in_a_row(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.sim.set_faults(
        FaultPlan([parse_fault("503x5@GET /fivetran/v1/connections/{connectionId}")])
    )
    details = [fivetran.request("GET", f"/v1/connections/{cid}") for _ in range(6)]
    # The rest of the API answers meanwhile: a list, the schemas, and a sync.
    assert fivetran.request("GET", "/v1/connections").status_code == 200
    assert fivetran.request("GET", f"/v1/connections/{cid}/schemas").status_code == 200
    assert fivetran.post(cid, "sync", {}).status_code == 200
    assert [answer.status_code for answer in details] == [503] * 5 + [200]
    assert details[0].json() == {
        "code": "ServiceUnavailable",
        "message": "Service temporarily unavailable (simulated fault)",
    }
    route = "/v1/connections/{connectionId}"
    assert fivetran.sim.count("fivetran", "GET", route, 503) == 5


def test_latency_fault_delays_but_answers(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="latency", seconds=0.05, times=1)
    assert fivetran.request("GET", "/v1/connections").status_code == 200
    assert fivetran.sim.state()["faults"]["fired"] == {"latency": 1}


def test_drop_cuts_the_response_short(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        fivetran.request("GET", "/v1/connections")
    assert fivetran.request("GET", "/v1/connections").status_code == 200


def test_malformed_json_is_a_200_that_does_not_parse(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="malformed_json", times=1, path="/fivetran/v1/connections/*")
    cid = fivetran.create(paused=True)["id"]
    raw = httpx.get(
        f"{fivetran.sim.base_url('fivetran')}/v1/connections/{cid}",
        auth=(
            fivetran.sim.credentials.fivetran_api_key,
            fivetran.sim.credentials.fivetran_api_secret,
        ),
    )
    assert raw.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        raw.json()


def test_commit_then_lose_writes_but_the_client_sees_a_failure(fivetran: FivetranApi) -> None:
    _fault(fivetran.sim, kind="commit_then_lose", times=1, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        fivetran.request(
            "POST",
            "/v1/connections",
            json={"group_id": "g1", "service": "postgres", "config": {"schema_prefix": "lost"}},
        )
    listed = fivetran.request("GET", "/v1/connections", params={"schema": "lost"})
    assert [item["schema"] for item in listed.json()["data"]["items"]] == ["lost"]
    assert fivetran.sim.count("fivetran", "POST", "/v1/connections", 201) == 1


def test_faults_never_touch_the_admin_api(conn_sim: SimServer) -> None:
    _fault(conn_sim, kind="error", status=500)
    assert conn_sim.state()["faults"]["rules"][0]["status"] == 500


def test_base_latency_applies_to_every_vendor_request() -> None:
    with SimServer(names=["fivetran"], latency=0.01) as sim:
        assert sim.core.latency == 0.01
        answer = httpx.get(sim.base_url("fivetran") + "/v1/connections")
        assert answer.status_code == 401
        assert sim.state()["latency"] == 0.01
