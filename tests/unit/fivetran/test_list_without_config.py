"""Regression: ensure judges config drift even when list items leave `config` out.

The definition marks a list item's `config` optional (and types every value an
object); a list answer without it once hid drifted config from ensure. The
simulator now sends it, as the vendor's own fixtures do, so this answer is built
by hand.
"""

from typing import Any

import httpx
import pytest

from conn_shared.backends.fivetran import FivetranConnectionSpec
from conn_shared.lifecycle import ensure_connection
from tests.unit.fivetran.support import FakeFivetran, backend

C = "/v1/connections"


class ListWithoutConfig(FakeFivetran):
    """The scripted Fivetran, answering lists without `config` as the simulator does."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if (request.method, request.url.path) != ("GET", C):
            return response
        body = response.json()
        for item in body["data"]["items"]:
            item.pop("config", None)
        return httpx.Response(response.status_code, json=body)


def _spec(**config: Any) -> FivetranConnectionSpec:
    return FivetranConnectionSpec(
        group_id="group_1",
        service="postgres",
        config={"schema_prefix": "pg", "password": "pw-Secret-1", **config},
    )


def test_drifted_config_is_read_from_details_and_patched(run: Any) -> None:
    fake, api = ListWithoutConfig(), backend()
    fake.add(config={"schema_prefix": "pg", "host": "old.internal", "password": "******"})

    result, _ = run(api, fake, ensure_connection(api, _spec(host="db.internal")))

    assert (result.created, result.updated) == (False, True)
    assert fake.sent() == [("GET", C), ("GET", f"{C}/conn_1"), ("PATCH", f"{C}/conn_1")]
    assert fake.bodies("PATCH", f"{C}/conn_1") == [{"config": {"host": "db.internal"}}]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({}, id="only-identity-and-secrets"),
        pytest.param({"host": "db.internal"}, id="unchanged-host"),
    ],
)
def test_no_patch_when_nothing_drifted(run: Any, config: dict[str, Any]) -> None:
    fake, api = ListWithoutConfig(), backend()
    fake.add(config={"schema_prefix": "pg", "host": "db.internal", "password": "******"})

    result, _ = run(api, fake, ensure_connection(api, _spec(**config)))

    assert (result.created, result.updated) == (False, False)
    assert ("PATCH", f"{C}/conn_1") not in fake.sent()
    # Details are read only when the spec has config worth comparing.
    assert (("GET", f"{C}/conn_1") in fake.sent()) is bool(config)
