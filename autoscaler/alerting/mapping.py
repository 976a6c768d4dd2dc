"""Which alert does what: the alert -> action mapping configuration, and the pure function
from (alerts, mappings, now) to intents.

An SRE writes, in the controller configuration::

    alerting:
      mappings:
        - name: web-5xx-burst
          alertname: HighErrorRate
          matchers: [{name: service, op: "=", value: web}, {name: env, op: "=~", value: "prod|stage"}]
          group: asg-web
          action: {type: execute_rule, scaling_rule_ari: "ari:acs:ess:cn-hangzhou:123:scalingrule/asr-1"}
        - name: queue-floor
          alertname: QueueBacklog
          group_label: scaling_group           # the group comes from the alert's labels
          action: {type: floor, min_capacity: 6, max_duration_seconds: 3600}

Three kinds of action, all carried out by the controller, never here:

- ``execute_rule``: execute a user scaling rule, named by its ARI, as it is;
- ``step``: one step of a step policy (policy name + step index, resolved by the
  controller) or an explicit adjustment (type, value, optional MinAdjustmentMagnitude);
- ``floor``: keep TotalCapacity at or above ``min_capacity`` while the alert fires,
  released when it resolves and at the latest ``max_duration_seconds`` after the alert
  started (``startsAt``), so a lost ``resolved`` notification cannot pin a group.

Idempotence is decided here: the ClientToken of an action derives from the mapping,
the group, the alert's fingerprint and its firing window (``startsAt``). Every replica
of Alertmanager, every repeat of a notification and every restart of the controller
compute the same token, so ESS itself refuses to scale twice for one firing window.

Matching follows Alertmanager: ``=``, ``!=``, ``=~``, ``!~``; regexes are fully
anchored; a missing label matches as the empty string.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autoscaler.alerting.errors import MappingConfigError
from autoscaler.alerting.payload import Alert, format_validation_error
from autoscaler.clock import ensure_utc
from autoscaler.ess import AdjustmentType, EssError, validate_adjustment

__all__ = [
    "ActionIntent",
    "AlertMapping",
    "AlertMappings",
    "ExecuteRuleAction",
    "FloorAction",
    "FloorIntent",
    "FloorRelease",
    "Intent",
    "LabelMatcher",
    "StepAction",
    "client_token",
    "evaluate",
    "load_mappings",
]

# ESS: "ari:acs:ess:{region}:{account}:scalingRule/{id}" (the reference spells both
# scalingrule and scalingRule in its examples).
_ARI = r"^ari:acs:ess:[a-z0-9-]+:[0-9A-Za-z_-]+:scaling[rR]ule/[A-Za-z0-9_.-]{1,64}$"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
_LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# A week: longer than any sane incident, short enough that a forgotten floor ends.
MAX_FLOOR_DURATION_SECONDS = 7 * 24 * 3600.0


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabelMatcher(_Config):
    """One label matcher, with Alertmanager's operators."""

    name: str = Field(pattern=_LABEL_NAME)
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=1024)

    @model_validator(mode="after")
    def _regex_compiles(self) -> LabelMatcher:
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"value: invalid regular expression {self.value!r} ({exc})") from exc
        return self

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return re.compile(f"(?:{self.value})")

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self._pattern.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit


class ExecuteRuleAction(_Config):
    """Execute a user scaling rule as it is (``ExecuteScalingRule``)."""

    type: Literal["execute_rule"]
    scaling_rule_ari: str = Field(pattern=_ARI)


class StepAction(_Config):
    """A step of a step policy (``policy`` + ``step``) or an explicit adjustment."""

    type: Literal["step"]
    policy: str | None = Field(default=None, pattern=_NAME)
    step: int | None = Field(default=None, ge=0, le=99)
    adjustment_type: AdjustmentType | None = None
    adjustment_value: int | None = None
    min_adjustment_magnitude: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_form(self) -> StepAction:
        by_policy = self.policy is not None or self.step is not None
        by_value = self.adjustment_type is not None or self.adjustment_value is not None
        if by_policy == by_value:
            raise ValueError("give either policy and step, or adjustment_type and adjustment_value")
        if by_policy and (self.policy is None or self.step is None):
            raise ValueError("policy and step go together")
        if by_value:
            if self.adjustment_type is None or self.adjustment_value is None:
                raise ValueError("adjustment_type and adjustment_value go together")
            try:
                validate_adjustment(self.adjustment_type, self.adjustment_value)
            except EssError as exc:
                raise ValueError(f"adjustment_value: {exc.message}") from exc
            if self.min_adjustment_magnitude is not None and self.adjustment_type is not AdjustmentType.PERCENT:
                raise ValueError("min_adjustment_magnitude applies to PercentChangeInCapacity only")
        return self


class FloorAction(_Config):
    """Keep TotalCapacity >= ``min_capacity`` while the alert fires (bounded in time)."""

    type: Literal["floor"]
    min_capacity: int = Field(ge=0, le=2000)
    max_duration_seconds: float = Field(default=3600.0, gt=0, le=MAX_FLOOR_DURATION_SECONDS)


_ACTION_TYPES = frozenset({"execute_rule", "step", "floor"})
Action = Annotated[ExecuteRuleAction | StepAction | FloorAction, Field(discriminator="type")]


class AlertMapping(_Config):
    """Alerts named ``alertname`` whose labels satisfy every matcher trigger ``action``."""

    name: str = Field(pattern=_NAME)
    alertname: str = Field(min_length=1, max_length=256)
    matchers: tuple[LabelMatcher, ...] = ()
    group: str | None = Field(default=None, min_length=1, max_length=256)
    group_label: str | None = Field(default=None, pattern=_LABEL_NAME)
    action: Action
    # After an action of this mapping is handed to the controller, further firing
    # alerts of the mapping for the same group are absorbed for this long (seconds):
    # the API bypasses ESS cooldowns, so a storm of distinct alerts would otherwise
    # execute the rule once per tick. 300 s is ESS's DefaultCooldown.
    cooldown_seconds: float = Field(default=300.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _one_group_source(self) -> AlertMapping:
        if (self.group is None) == (self.group_label is None):
            raise ValueError("give exactly one of group or group_label")
        return self

    def matches(self, alert: Alert) -> bool:
        return alert.name == self.alertname and all(m.matches(alert.labels) for m in self.matchers)

    def group_of(self, alert: Alert) -> str | None:
        """The target scaling group, or None if the alert lacks the group label."""
        if self.group is not None:
            return self.group
        assert self.group_label is not None  # guaranteed by _one_group_source
        return alert.labels.get(self.group_label) or None


class AlertMappings(_Config):
    """The whole mapping configuration; mapping names are unique."""

    mappings: tuple[AlertMapping, ...] = ()

    @field_validator("mappings")
    @classmethod
    def _unique_names(cls, value: tuple[AlertMapping, ...]) -> tuple[AlertMapping, ...]:
        seen: set[str] = set()
        for index, mapping in enumerate(value):
            if mapping.name in seen:
                raise ValueError(f"[{index}].name: duplicate mapping name {mapping.name!r}")
            seen.add(mapping.name)
        return value


def load_mappings(data: Mapping[str, Any], *, source: str = "alerting") -> AlertMappings:
    """Validate raw configuration; :class:`MappingConfigError` names ``source`` and the field."""
    try:
        return AlertMappings.model_validate(data)
    except ValidationError as exc:
        detail = format_validation_error(exc, discriminated={"action": _ACTION_TYPES})
        raise MappingConfigError(f"{source}: {detail}") from exc


# --- intents -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionIntent:
    """Execute ``action`` on ``group`` once, with ``client_token``."""

    group: str
    mapping: str
    action: ExecuteRuleAction | StepAction
    client_token: str
    alertname: str
    fingerprint: str
    starts_at: datetime
    cooldown: timedelta = timedelta(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class FloorIntent:
    """Hold ``group`` at ``min_capacity`` or more until ``expires_at`` or the resolve."""

    group: str
    mapping: str
    min_capacity: int
    alertname: str
    fingerprint: str
    starts_at: datetime
    expires_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class FloorRelease:
    """The alert's firing window ``starts_at`` resolved: its floor ends."""

    group: str
    mapping: str
    fingerprint: str
    starts_at: datetime


Intent = ActionIntent | FloorIntent | FloorRelease


def client_token(*, mapping: str, group: str, fingerprint: str, starts_at: datetime) -> str:
    """The ClientToken of an alert-driven action: 43 ASCII characters (ESS allows 64).

    It hashes the mapping, the group, the alert fingerprint and the start of its firing
    window; nothing else (no receive time, no replica), so duplicates agree.
    """
    start = ensure_utc(starts_at, field="starts_at").isoformat()
    digest = hashlib.sha256(f"{mapping}\x1f{group}\x1f{fingerprint.lower()}\x1f{start}".encode()).hexdigest()
    return f"am-{digest[:40]}"


def _intent_for(alert: Alert, mapping: AlertMapping, group: str, now: datetime) -> Intent | None:
    action = mapping.action
    if isinstance(action, FloorAction):
        if alert.status == "resolved":
            return FloorRelease(
                group=group, mapping=mapping.name, fingerprint=alert.fingerprint, starts_at=alert.starts_at
            )
        expires_at = alert.starts_at + timedelta(seconds=action.max_duration_seconds)
        if expires_at <= now:
            return None  # the window already outlived its maximum duration
        return FloorIntent(
            group=group,
            mapping=mapping.name,
            min_capacity=action.min_capacity,
            alertname=alert.name,
            fingerprint=alert.fingerprint,
            starts_at=alert.starts_at,
            expires_at=expires_at,
        )
    if alert.status == "resolved":
        return None  # a resolve never scales; the group's policies scale back in
    token = client_token(mapping=mapping.name, group=group, fingerprint=alert.fingerprint, starts_at=alert.starts_at)
    return ActionIntent(
        group=group,
        mapping=mapping.name,
        action=action,
        client_token=token,
        alertname=alert.name,
        fingerprint=alert.fingerprint,
        starts_at=alert.starts_at,
        cooldown=timedelta(seconds=mapping.cooldown_seconds),
    )


def evaluate(alerts: Iterable[Alert], mappings: AlertMappings, now: datetime) -> tuple[Intent, ...]:
    """Every intent the alerts ask for, in payload order then mapping order (pure)."""
    now = ensure_utc(now, field="now")
    out: list[Intent] = []
    for alert in alerts:
        for mapping in mappings.mappings:
            if not mapping.matches(alert):
                continue
            group = mapping.group_of(alert)
            if group is None:
                continue
            intent = _intent_for(alert, mapping, group, now)
            if intent is not None:
                out.append(intent)
    return tuple(out)
