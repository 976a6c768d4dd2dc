"""The Alertmanager webhook payload (version 4) as frozen, validated value objects.

Alertmanager POSTs one JSON document per notification of an alert group (see the
``webhook_config`` section of the Alertmanager configuration documentation)::

    {"version": "4", "groupKey": "...", "truncatedAlerts": 0, "status": "firing",
     "receiver": "...", "groupLabels": {...}, "commonLabels": {...},
     "commonAnnotations": {...}, "externalURL": "...",
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "...", "endsAt": "...", "generatorURL": "...",
                 "fingerprint": "..."}]}

The body comes from outside, so it is parsed once at the edge (:func:`parse_payload`)
into immutable models; anything malformed raises :class:`PayloadError` whose message
names the offending field path (``alerts[3].startsAt: ...``), and the receiver answers
400 with that message. Unknown extra keys are ignored, so a newer Alertmanager that
adds fields keeps working; a version other than ``"4"`` is rejected because its
semantics are unknown.

Times become aware UTC datetimes. Alertmanager writes the zero time
``0001-01-01T00:00:00Z`` for an unset ``endsAt``; that becomes ``None``.

Example::

    payload = parse_payload(body)
    for alert in payload.alerts:
        print(alert.labels["alertname"], alert.status, alert.starts_at)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autoscaler.alerting.errors import PayloadError

__all__ = ["Alert", "AlertStatus", "PayloadError", "WebhookPayload", "format_validation_error", "parse_payload"]

AlertStatus = Literal["firing", "resolved"]

# Alertmanager renders Go's zero time for "not set".
_GO_ZERO_YEAR = 1

_LabelSet = dict[str, str]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def _aware_utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive time {value.isoformat()} (a timezone is required, e.g. 'Z')")
    return value.astimezone(UTC)


class Alert(_Model):
    """One alert of a notification; ``fingerprint`` identifies its label set."""

    status: AlertStatus
    labels: _LabelSet
    annotations: _LabelSet = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL", max_length=4096)
    fingerprint: str = Field(pattern=r"^[0-9a-fA-F]{1,64}$")

    @field_validator("starts_at")
    @classmethod
    def _starts_utc(cls, value: datetime) -> datetime:
        if value.year == _GO_ZERO_YEAR:
            raise ValueError("the zero time is not a valid start of an alert")
        return _aware_utc(value, "startsAt")

    @field_validator("ends_at")
    @classmethod
    def _ends_utc(cls, value: datetime | None) -> datetime | None:
        if value is None or value.year == _GO_ZERO_YEAR:
            return None
        return _aware_utc(value, "endsAt")

    @field_validator("labels")
    @classmethod
    def _has_alertname(cls, value: _LabelSet) -> _LabelSet:
        if not value.get("alertname"):
            raise ValueError("the label 'alertname' is required")
        return value

    @property
    def name(self) -> str:
        """The ``alertname`` label."""
        return self.labels["alertname"]


class WebhookPayload(_Model):
    """A whole notification of one alert group."""

    version: Literal["4"]
    group_key: str = Field(alias="groupKey", max_length=8192)
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts", ge=0)
    status: AlertStatus
    receiver: str = Field(max_length=1024)
    group_labels: _LabelSet = Field(default_factory=dict, alias="groupLabels")
    common_labels: _LabelSet = Field(default_factory=dict, alias="commonLabels")
    common_annotations: _LabelSet = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL", max_length=4096)
    alerts: tuple[Alert, ...]


def _path(loc: tuple[int | str, ...], discriminated: Mapping[str, frozenset[str]]) -> str:
    out = ""
    previous: int | str | None = None
    for part in loc:
        skip = isinstance(previous, str) and isinstance(part, str) and part in discriminated.get(previous, ())
        previous = part
        if skip:
            continue  # pydantic puts the tag of a discriminated union in the path
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(body)"


def format_validation_error(
    exc: ValidationError, *, prefix: str = "", discriminated: Mapping[str, frozenset[str]] | None = None
) -> str:
    """One line per problem, each starting with the field path (``alerts[0].status: ...``).

    ``discriminated`` maps a field holding a discriminated union to its tags, which
    are dropped from paths (``action.floor.min_capacity`` reads ``action.min_capacity``).
    """
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        path = _path(loc, discriminated or {})
        if prefix:
            path = f"{prefix}.{path}" if path != "(body)" else prefix
        message = str(err["msg"]).removeprefix("Value error, ")
        if not loc and not prefix:
            lines.append(message)  # a whole-object validator names its fields itself
        elif message.startswith("["):
            lines.append(f"{path}{message}")  # a container's validator names the element ("[1].name: ...")
        else:
            lines.append(f"{path}: {message}")
    return "; ".join(lines)


def parse_payload(body: bytes | str) -> WebhookPayload:
    """Parse and validate a webhook body; raise :class:`PayloadError` naming the field."""
    try:
        raw: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"(body): not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise PayloadError(f"(body): expected a JSON object, got {type(raw).__name__}")
    try:
        return WebhookPayload.model_validate(raw)
    except ValidationError as exc:
        raise PayloadError(format_validation_error(exc)) from exc
