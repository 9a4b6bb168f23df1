"""Fivetran setup tests as the simulator runs them: the config decides the outcome.

- a config value that is null or "" leaves setup `incomplete`;
- a `host` containing "fail" fails "Connecting to host"; a `user`, `username`,
  `password` or `api_key` containing "fail" fails "Validate Login" (setup `broken`);
- a `host` containing "untrusted_cert" fails "Validate certificate" unless certificates
  are trusted; a `host` containing "warn" gives a WARNING (still `connected`).
"""

from typing import Any

__all__ = ["run_setup_tests"]

_LOGIN_KEYS = ("user", "username", "password", "api_key")


def run_setup_tests(
    config: dict[str, Any], *, trust_certificates: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Decide (setup_state, setup_tests) from the config; see the module docstring."""
    missing = sorted(key for key, value in config.items() if value is None or value == "")
    if missing:
        message = "Missing required field(s): " + ", ".join(missing)
        return "incomplete", [_test("Validate configuration", "FAILED", message)]
    host = str(config.get("host", "")).lower()
    tests = []
    if "untrusted_cert" in host and not trust_certificates:
        tests.append(
            _test(
                "Validate certificate",
                "FAILED",
                "The server certificate is not trusted.",
                {"hint": "approve the certificate or pass trust_certificates=true"},
            )
        )
    if "fail" in host:
        tests.append(
            _test(
                "Connecting to host",
                "FAILED",
                f"Could not connect to {config.get('host')!s}.",
                {"reason": "connection refused"},
            )
        )
    elif "host" in config:
        tests.append(_test("Connecting to host", "PASSED"))
    if any("fail" in str(config.get(key, "")).lower() for key in _LOGIN_KEYS):
        tests.append(
            _test(
                "Validate Login",
                "FAILED",
                "Invalid login credentials.",
                {"status": 401, "reason": "Authentication failed"},
            )
        )
    else:
        tests.append(_test("Validate Login", "PASSED"))
    if "warn" in host:
        tests.append(_test("Checking permissions", "WARNING", "Some tables are not readable."))
    else:
        tests.append(_test("Checking permissions", "PASSED"))
    broken = any(test["status"] == "FAILED" for test in tests)
    return ("broken" if broken else "connected"), tests


def _test(
    title: str, status: str, message: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"title": title, "status": status}
    if message is not None:
        out["message"] = message
    if details is not None:
        out["details"] = details
    return out
