"""Keep secrets out of reprs, logs, error text and anything serialized for users.

Vendors put secrets inside free-form option maps (Fivetran `config`/`auth`,
Faraday `options`, hub `credentials`), so redaction works on key names: any key
that looks like a credential has its value replaced, at any depth. Literal
secret values known to a client (API keys) can be scrubbed from text as well.
"""

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact", "scrub", "scrub_values"]

REDACTED = "***"

# Matched against normalized key names (lower case, separators removed) so that
# `clientSecret`, `client_secret` and `client-secret` are all caught.
_SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "authorization",
    "cookie",
    "signingkey",
    "sessionkey",
)
_EXACT_SECRET_KEYS = frozenset({"key", "pat", "auth", "pwd", "jwt", "sas", "dsn"})
_SEPARATORS = re.compile(r"[\s_\-.]")
_SCALARS = (str, int, float, type(None))


@functools.lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """True when a mapping key names a credential (password, api_key, clientSecret, ...).

    Cached: vendors reuse a few hundred key names, and redacting a listing asks
    about each of them thousands of times.
    """
    norm = _SEPARATORS.sub("", name.lower())
    if norm in _EXACT_SECRET_KEYS:
        return True
    return any(word in norm for word in _SECRET_WORDS)


def redact(value: Any) -> Any:
    """A deep copy of `value` with every credential-named key's value replaced by `***`.

    None and booleans stay as they are: they cannot hold a secret.
    """
    if isinstance(value, _SCALARS):  # most values: skip the costlier Mapping check
        return value
    if isinstance(value, Mapping):
        return {k: REDACTED if _hides(k, v) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _hides(key: object, value: object) -> bool:
    # A flag such as `hasCredentials` names a credential but cannot carry one.
    if value is None or isinstance(value, bool):
        return False
    return isinstance(key, str) and is_secret_key(key)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every literal occurrence of the given secrets (4+ chars) replaced.

    Longest first, so a secret that contains another is hidden whole.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def scrub_values(value: Any, secrets: Sequence[str]) -> Any:
    """A deep copy of `value` (JSON-like) with `scrub` applied to every string in it."""
    if not secrets:
        return value
    if isinstance(value, Mapping):
        return {k: scrub_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_values(v, secrets) for v in value]
    return scrub(value, secrets) if isinstance(value, str) else value
