"""The hub's verification state machine, and the outcome switch that decides a verdict.

Statuses: `needs_verification` (after create, or after config/credentials change),
`verifying` (only while a verification runs, when verify_seconds > 0), `verified`,
`error` (verification failed) and `disabled`. Only `needs_verification` appears in
the hub's document; the others are this simulator's choice (see the docs). A
verification lands lazily: `settle(now)` applies it once its time has come.
Nothing here does I/O.
"""

from typing import Any

__all__ = ["Verification"]


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """Every string inside a JSON value, with a dotted path to it."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in sorted(value.items()) for s in _strings(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return []


class Verification:
    """The verification transitions of a hub connection (`records.HubConnection` mixes it in).

    Times are SimClock epoch seconds. The attributes below are the record's fields.
    """

    provider: str
    config: dict[str, Any]
    credentials: dict[str, str]
    status: str
    updated_at: float
    last_verified_at: float | None
    verification_error: str | None
    verification_error_code: str | None
    verification_details: dict[str, Any]
    verify_started_at: float | None
    verify_seconds: float

    def failure(self) -> tuple[str, str] | None:
        """The outcome switch: (code, message) when verification must fail, else None.

        A credential value containing "fail" (any case) is rejected; failing that,
        a string anywhere in `config` containing "fail" makes the system unreachable.
        """
        for key in sorted(self.credentials):
            if "fail" in self.credentials[key].lower():
                return "invalid_credentials", f"{self.provider} rejected the credential {key!r}"
        for path, value in _strings(self.config, "config"):
            if "fail" in value.lower():
                return "connection_failed", f"Could not reach {self.provider} using {path}"
        return None

    def start_verification(self, now: float, seconds: float) -> None:
        """Begin verifying; with `seconds` == 0 the verdict is immediate."""
        self.status = "verifying"
        self.verify_started_at = now
        self.verify_seconds = seconds
        self.settle(now)

    def settle(self, now: float) -> None:
        """Land a running verification whose time has come."""
        if self.status != "verifying" or self.verify_started_at is None:
            return
        finished = self.verify_started_at + self.verify_seconds
        if now < finished:
            return
        outcome = self.failure()
        checks = [
            {"name": "reachable", "ok": outcome is None or outcome[0] != "connection_failed"},
            {"name": "authenticated", "ok": outcome is None},
        ]
        self.verification_details = {"provider": self.provider, "checks": checks}
        self.verify_started_at = None
        self.updated_at = finished
        if outcome is None:
            self.status = "verified"
            self.last_verified_at = finished
            self.verification_error = self.verification_error_code = None
        else:
            self.status = "error"
            self.verification_error_code, self.verification_error = outcome

    def reset_verification(self) -> None:
        """Configuration changed: whatever was verified no longer holds."""
        if self.status != "disabled":
            self.status = "needs_verification"
        self.verify_started_at = None
        self.verification_error = self.verification_error_code = None
        self.verification_details = {}
