"""Ensure and its dry run, written once for every backend: decide (reads only), then apply.

`EnsureFlows.plan_flow` looks the connection up and compares it with the spec,
sending GETs only, and returns a `ConnectionPlan`; `ensure_flow` makes the very
same decision and carries it out:

    find_flow(spec)            -> the live connection, or None          (GETs)
      None: plan "create" with planned_settings(spec);
            apply: create_flow(spec), never a duplicate
      found: check_kind(spec, live)    IdentityConflictError for another kind
             drift_flow(spec, live)    -> Drift: field diff + patch     (GETs)
             plan "update" (a patch) or "none"; apply: update_call(live, patch)

A vendor backend fills in those hooks (`BaseBackend` supplies `require`,
`check_spec` and `unsupported`). Secrets never count as drift; `resend_secrets`
asks `drift_flow` to send the spec's secret fields again. A plan never holds a
secret: values go through `plan_value`, and the spec's own secret values are
scrubbed from the finished plan as well.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, SecretStr

from conn_shared.calls import Call, Flow
from conn_shared.errors import UnsupportedStepError
from conn_shared.redaction import REDACTED, is_secret_key, redact, scrub_values
from conn_shared.states import (
    ConnectionInfo,
    ConnectionPlan,
    EnsureResult,
    FieldChange,
    PlanAction,
    Step,
)

__all__ = ["ConnectionSpec", "Decision", "Drift", "EnsureFlows", "plan_value"]

logger = logging.getLogger("conn_shared.backends")

SpecT = TypeVar("SpecT", bound="ConnectionSpec")
LiveT = TypeVar("LiveT")


class ConnectionSpec(Protocol):
    """What every vendor's `*ConnectionSpec` offers besides its own fields."""

    @property
    def connection_name(self) -> str:
        """The connection's name as the vendor shows it."""
        ...

    def secret_values(self) -> tuple[str, ...]:
        """The literal secrets the spec holds; scrubbed from anything it produces."""
        ...


def plan_value(value: Any, *, secret: bool = False) -> Any:
    """`value` as a plan may show it: plain JSON, secrets replaced by the marker `***`.

    `secret` hides the whole value; otherwise `SecretStr` values and credential-named
    keys are hidden at any depth.
    """
    if secret or isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): plan_value(v, secret=_secret_entry(k, v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plan_value(v) for v in value]
    return redact(value)


def _secret_entry(key: object, value: object) -> bool:
    # A flag such as `has_password` names a credential but cannot carry one.
    if value is None or isinstance(value, bool):
        return False
    return isinstance(key, str) and is_secret_key(key)


@dataclass(frozen=True)
class Drift(Generic[LiveT]):
    """What an update of an existing connection would change.

    Attributes:
        changes: the plan's field-level diff (secrets only as the redacted marker).
        patch: the request body (or fields) that makes the change; may hold secrets,
            so it is never shown.
        notes: drift that is deliberately left alone, and why.
        live: a fresher read of the connection made while comparing, if any.
    """

    changes: tuple[FieldChange, ...] = ()
    patch: Mapping[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    live: LiveT | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Decision(Generic[LiveT]):
    """What ensure will do: the public plan, the connection found and the patch to send."""

    plan: ConnectionPlan
    live: LiveT | None = field(default=None, repr=False)
    patch: Mapping[str, Any] = field(default_factory=dict, repr=False)


class EnsureFlows(ABC, Generic[SpecT, LiveT]):
    """The ensure/plan template; `SpecT` is the spec class, `LiveT` the vendor's connection."""

    name: ClassVar[str]

    @abstractmethod
    def require(self, step: Step) -> None:
        """Raise UnsupportedStepError unless the backend supports `step`."""

    @abstractmethod
    def check_spec(self, spec: object) -> SpecT:
        """`spec` when it is of the backend's spec class; SpecMismatchError otherwise."""

    @abstractmethod
    def unsupported(self, step: Step) -> UnsupportedStepError:
        """The UnsupportedStepError for `step` on this backend."""

    def plan_flow(self, spec: SpecT, *, resend_secrets: bool = False) -> Flow[ConnectionPlan]:
        """What `ensure_flow(spec, update=True, resend_secrets=...)` would do; sends GETs only.

        Raises at once (before a flow exists) UnsupportedStepError without ENSURE and
        SpecMismatchError for a spec of another class; while running,
        IdentityConflictError when the identity names a connection of another kind.
        """
        self.require(Step.ENSURE)
        return self._plan(self.check_spec(spec), resend_secrets=resend_secrets)

    def _plan(self, spec: SpecT, *, resend_secrets: bool) -> Flow[ConnectionPlan]:
        decision = yield from self._decide(spec, update=True, resend_secrets=resend_secrets)
        return decision.plan

    def ensure_flow(
        self, spec: SpecT, *, update: bool, resend_secrets: bool = False
    ) -> Flow[EnsureResult]:
        """Find the connection `spec` identifies or create it; never a duplicate.

        With `update`, drifted non-secret settings are changed in place; with
        `resend_secrets` too, the spec's secret fields are sent again (secrets never
        count as drift). The decision is `plan_flow`'s; then it is carried out.
        Raises like `plan_flow`, and the API's errors of the create or update.
        """
        self.require(Step.ENSURE)
        return self._ensure(self.check_spec(spec), update=update, resend_secrets=resend_secrets)

    def _ensure(self, checked: SpecT, *, update: bool, resend_secrets: bool) -> Flow[EnsureResult]:
        decision = yield from self._decide(checked, update=update, resend_secrets=resend_secrets)
        live = decision.live
        if live is None:
            live, created = yield from self.create_flow(checked)
            # A lost create's look-up may have found a namesake of another kind.
            self.check_kind(checked, live)
            if created:
                return EnsureResult(connection=self.info_of(live, checked), created=True)
            # Someone else created it first (a 409): judge it as if it had been found.
            decision = yield from self._compare(
                checked, live, update=update, resend_secrets=resend_secrets
            )
            live = decision.live
            assert live is not None  # _compare always keeps the connection it judged
        if not decision.patch:
            return EnsureResult(connection=self.info_of(live, checked), created=False)
        logger.info(
            "%s connection %s: updating %s",
            self.name,
            decision.plan.connection_id,
            ", ".join(c.field for c in decision.plan.changes),
        )
        updated = yield self.update_call(live, decision.patch)
        return EnsureResult(connection=self.info_of(updated, checked), created=False, updated=True)

    def _decide(self, spec: SpecT, *, update: bool, resend_secrets: bool) -> Flow[Decision[LiveT]]:
        live = yield from self.find_flow(spec)
        if live is None:
            plan = ConnectionPlan(
                backend=self.name,
                action=PlanAction.CREATE,
                name=spec.connection_name,
                settings=self.planned_settings(spec),
            )
            return Decision(plan=self._scrubbed(plan, spec))
        return (yield from self._compare(spec, live, update=update, resend_secrets=resend_secrets))

    def _compare(
        self, spec: SpecT, live: LiveT, *, update: bool, resend_secrets: bool
    ) -> Flow[Decision[LiveT]]:
        self.check_kind(spec, live)
        drift: Drift[LiveT] = Drift()
        if update:
            drift = yield from self.drift_flow(spec, live, resend_secrets=resend_secrets)
        current = drift.live if drift.live is not None else live
        info = self.info_of(current, spec)
        plan = ConnectionPlan(
            backend=self.name,
            action=PlanAction.UPDATE if drift.patch else PlanAction.NONE,
            name=info.name,
            connection_id=info.connection_id,
            changes=drift.changes,
            notes=drift.notes,
        )
        return Decision(plan=self._scrubbed(plan, spec), live=current, patch=drift.patch)

    @staticmethod
    def _scrubbed(plan: ConnectionPlan, spec: SpecT) -> ConnectionPlan:
        # Belt and braces: a secret under a key that does not look like one still
        # never reaches a plan, since the spec knows its own secret values.
        hidden = spec.secret_values()
        if not hidden:
            return plan
        return ConnectionPlan.model_validate(scrub_values(plan.model_dump(mode="json"), hidden))

    # Hooks of ensure; a backend without ENSURE leaves them raising UnsupportedStepError.

    def find_flow(self, spec: SpecT) -> Flow[LiveT | None]:
        """The connection `spec` identifies, or None (GETs only)."""
        raise self.unsupported(Step.ENSURE)

    def check_kind(self, spec: SpecT, live: LiveT) -> None:
        """Raise IdentityConflictError when `live` is another kind than `spec` asks for."""
        raise self.unsupported(Step.ENSURE)

    def drift_flow(self, spec: SpecT, live: LiveT, *, resend_secrets: bool) -> Flow[Drift[LiveT]]:
        """What an update would change in `live` (GETs only)."""
        raise self.unsupported(Step.ENSURE)

    def planned_settings(self, spec: SpecT) -> dict[str, Any]:
        """The settings a create would send, secret values as the redacted marker."""
        raise self.unsupported(Step.ENSURE)

    def create_flow(self, spec: SpecT) -> Flow[tuple[LiveT, bool]]:
        """Create it without ever a duplicate: `(connection, created by this flow)`."""
        raise self.unsupported(Step.ENSURE)

    def update_call(self, live: LiveT, patch: Mapping[str, Any]) -> Call[LiveT]:
        """The request that applies `patch` to `live`."""
        raise self.unsupported(Step.ENSURE)

    def info_of(self, live: LiveT, spec: SpecT | None = None) -> ConnectionInfo:
        """The backend-neutral view of `live`; `spec`'s secrets are scrubbed from it."""
        raise self.unsupported(Step.ENSURE)
