"""The extra link "Connection in <vendor UI>" on every task of this provider.

A task that knows its connection pushes the page's URL to XCom under
`CONNECTION_URL_KEY` (`backend.connection_url(id)`, no request); the link reads
it back on the worker when the task finishes, and Airflow shows it as the task's
extra link. A backend without a web UI, or a task that never learnt its
connection (a failed ensure), shows no link.
"""

from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseOperatorLink
from airflow.sdk.bases.xcom import BaseXCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

__all__ = ["CONNECTION_URL_KEY", "ConnectionLink", "push_connection_url"]

#: The XCom key a task pushes its connection's page URL under.
CONNECTION_URL_KEY = "connection_url"


class ConnectionLink(BaseOperatorLink):
    """The connection's page in the vendor's web UI."""

    name = "Connection in vendor UI"

    def get_link(self, operator: "BaseOperator", *, ti_key: "TaskInstanceKey") -> str:
        """The URL the task pushed under `CONNECTION_URL_KEY`, or "" when there is none."""
        # Airflow types ti_key with a protocol of settable fields; its own key is a NamedTuple.
        url = BaseXCom.get_value(ti_key=cast(Any, ti_key), key=CONNECTION_URL_KEY)
        return url if isinstance(url, str) else ""


def push_connection_url(context: Any, url: str | None) -> None:
    """Push `url` for `ConnectionLink` (nothing when the backend has no UI)."""
    if url:
        context["ti"].xcom_push(key=CONNECTION_URL_KEY, value=url)
