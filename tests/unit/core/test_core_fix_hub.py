"""Core fixes found while building the hub backend: secrets in profile reprs and field errors."""

import httpx
import pytest

from conn_shared.calls import Call
from conn_shared.errors import ApiError, FieldError, InvalidRequestError
from conn_shared.executors import SyncExecutor
from conn_shared.http import ApiProfile, build_api_error
from conn_shared.retry import RetryPolicy

SECRET = "tok-3b9d0c2a7f"


def _map(response: httpx.Response) -> ApiError:
    return build_api_error(
        response,
        backend="demo",
        message="rejected",
        field_errors=(FieldError("token", f"{SECRET} is not valid", "value_error"),),
    )


def test_profile_repr_hides_headers() -> None:
    profile = ApiProfile(
        backend="demo",
        base_url="https://api.example.test",
        map_error=_map,
        headers={"X-Api-Key": SECRET},
    )
    assert SECRET not in repr(profile)


@pytest.mark.parametrize("status", [pytest.param(400, id="400"), pytest.param(422, id="422")])
def test_field_error_messages_are_scrubbed(status: int) -> None:
    profile = ApiProfile(
        backend="demo",
        base_url="https://api.example.test",
        map_error=_map,
        retry=RetryPolicy(max_attempts=1),
        secrets=(SECRET,),
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json={}))
    with (
        SyncExecutor(profile, transport=transport) as executor,
        pytest.raises(InvalidRequestError) as caught,
    ):
        executor.call(Call(operation="demo.get", method="GET", path="/x", parse=lambda r: r.json()))
    error = caught.value
    assert error.field_errors == (FieldError("token", "*** is not valid", "value_error"),)
    assert SECRET not in str(error)
