"""Seeded fault injection: which request fails, and how.

A `FaultPlan` is an ordered list of `FaultRule`s plus one `random.Random(seed)`.
For each vendor request the core asks the plan for the first rule that matches
the method, the path (a glob over the full path, e.g. `/fivetran/v1/connections/*/sync`)
and, when the rule names one, the route template the request reaches (e.g.
`/v1/connections/{connectionId}`: connection details, and nothing below it), still has
firings left (`times`) and wins its draw (`probability`). The same seed and the same
request sequence give the same faults.

Kinds (what the client sees):

- `error`: HTTP 500/502/503 with the vendor's error body; the handler does not run.
- `rate_limit`: 429 with `Retry-After: seconds` and the vendor's error body (no
  `Retry-After` at all with `retry_after=False`, as some real 429s come).
- `latency`: the request is delayed `seconds` (real time), then handled normally.
- `drop`: headers and part of a body, then the connection closes (a protocol error);
  the handler does not run.
- `malformed_json`: 200 with a truncated JSON body; the handler does not run.
- `commit_then_lose`: the handler runs (the write happens), then the connection closes
  after the headers, so the client sees a failure for a request that succeeded.
"""

import fnmatch
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FAULT_KINDS", "FaultPlan", "FaultRule", "parse_fault"]

FAULT_KINDS = ("error", "rate_limit", "latency", "drop", "malformed_json", "commit_then_lose")
_ERROR_STATUSES = (500, 502, 503)


@dataclass
class FaultRule:
    """One way to fail some requests.

    `status` is the HTTP status for `error` (500, 502 or 503); `seconds` is the delay
    for `latency` and the `Retry-After` value for `rate_limit`; `times` limits the rule
    to the next N matching requests (None: unlimited); `method` is an HTTP method or "*";
    `path` is a glob over the full path; `route`, when given, is the route template the
    request must reach, relative to the vendor's mount (as `/_sim/requests` names it);
    `retry_after=False` sends a `rate_limit` 429 without the `Retry-After` header.
    """

    kind: str
    status: int | None = None
    probability: float = 1.0
    times: int | None = None
    method: str = "*"
    path: str = "*"
    seconds: float = 1.0
    retry_after: bool = True
    route: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.kind == "error":
            if self.status is None:
                self.status = 503
            if self.status not in _ERROR_STATUSES:
                raise ValueError(f"error faults use status 500, 502 or 503, got {self.status!r}")
        elif self.kind == "rate_limit":
            self.status = 429
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within 0..1, got {self.probability!r}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"times must be >= 0, got {self.times!r}")
        if self.seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {self.seconds!r}")
        if not isinstance(self.retry_after, bool):
            raise ValueError(f"retry_after must be a boolean, got {self.retry_after!r}")
        if not self.retry_after and self.kind != "rate_limit":
            raise ValueError("retry_after=False applies to rate_limit faults only")
        if self.route is not None and not self.route.startswith("/"):
            raise ValueError(f"route must be a template starting with '/', got {self.route!r}")
        self.method = self.method.upper()

    def matches(self, method: str, path: str, route: Callable[[], str] | None = None) -> bool:
        """Whether this rule applies to a request (ignores `times` and `probability`).

        `route` gives the request's route template; it is called only when the rule
        names one (finding the template costs a routing pass).
        """
        if self.method not in ("*", method):
            return False
        if self.path != "*" and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.route is None or (route is not None and route() == self.route)


class FaultPlan:
    """An ordered, seeded set of fault rules; safe to share between threads."""

    def __init__(self, rules: Sequence[FaultRule] = (), *, seed: int = 0) -> None:
        self.rules = list(rules)
        self.seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: Counter[str] = Counter()

    def __bool__(self) -> bool:
        return bool(self.rules)

    def pick(
        self, method: str, path: str, route: Callable[[], str] | None = None
    ) -> FaultRule | None:
        """The rule that fires for this request, if any (spends one of its `times`).

        `route` gives the request's route template, for rules that name one.
        """
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path, route):
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                self.fired[rule.kind] += 1
                return rule
        return None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FaultPlan":
        """Build a plan from its JSON form: `{"seed": 0, "rules": [{"kind": ...}, ...]}`."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault plan is a JSON object with 'rules' (and optional 'seed')")
        unknown = set(data) - {"seed", "rules"}
        if unknown:
            raise ValueError(f"unknown fault plan fields: {sorted(unknown)}")
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise ValueError("'rules' must be a list")
        fields = set(FaultRule.__dataclass_fields__)
        rules = []
        for raw in raw_rules:
            if not isinstance(raw, Mapping):
                raise ValueError("each rule must be a JSON object")
            extra = set(raw) - fields
            if extra:
                raise ValueError(f"unknown fault rule fields: {sorted(extra)}")
            try:
                rules.append(FaultRule(**raw))
            except TypeError as exc:
                raise ValueError(str(exc)) from exc
        seed = data.get("seed", 0)
        if not isinstance(seed, int):
            raise ValueError("'seed' must be an integer")
        return cls(rules, seed=seed)

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON (remaining `times` included), plus how often each kind fired."""
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [asdict(rule) for rule in self.rules],
                "fired": dict(self.fired),
            }


_KIND_ALIASES = {
    "429": "rate_limit",
    "latency": "latency",
    "drop": "drop",
    "malformed": "malformed_json",
    "malformed_json": "malformed_json",
    "commit_then_lose": "commit_then_lose",
    "lose": "commit_then_lose",
}


def parse_fault(text: str, *, default_probability: float = 1.0) -> FaultRule:
    """Parse the CLI form `KIND[=SECONDS][:PROBABILITY | xN][@[METHOD ]PATH_GLOB]`.

    KIND is 500, 502, 503, 429, latency, drop, malformed or commit_then_lose.
    `=SECONDS` sets the latency or the 429's Retry-After (`429=none`: no Retry-After).
    A PATH with a `{parameter}` is a route template after the vendor's mount:
    `/fivetran/v1/connections/{connectionId}` matches connection details only.
    Examples: `503:0.1`, `429=5:0.05@POST /fivetran/v1/connections`,
    `dropx2@* /faraday/v1/*`, `503x5@GET /fivetran/v1/connections/{connectionId}`.
    """
    head, _, where = text.partition("@")
    method, path = "*", "*"
    if where:
        parts = where.strip().split(None, 1)
        if len(parts) == 2:
            method, path = parts
        else:
            path = parts[0]
    probability, times = default_probability, None
    if ":" in head:
        head, _, prob_text = head.partition(":")
        probability = _number(prob_text, text)
    elif "x" in head and head.rsplit("x", 1)[1].isdigit():
        head, _, times_text = head.rpartition("x")
        times, probability = int(times_text), 1.0
    route = None
    if "{" in path:
        vendor, _, rest = path.lstrip("/").partition("/")
        path, route = f"/{vendor}/*", "/" + rest
    kind_text, _, value_text = head.partition("=")
    kind_text = kind_text.strip().lower()
    retry_after = value_text.strip().lower() != "none"
    seconds = _number(value_text, text) if value_text and retry_after else 1.0
    if kind_text in ("500", "502", "503"):
        return FaultRule(
            "error", int(kind_text), probability, times, method, path, seconds, route=route
        )
    if kind_text not in _KIND_ALIASES:
        raise ValueError(f"unknown fault kind {kind_text!r} in {text!r}")
    return FaultRule(
        _KIND_ALIASES[kind_text],
        None,
        probability,
        times,
        method,
        path,
        seconds,
        retry_after=retry_after,
        route=route,
    )


def _number(value: str, whole: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"not a number: {value!r} in fault {whole!r}") from None
