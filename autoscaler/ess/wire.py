"""The ESS wire format, shared by the client and the emulator's HTTP front.

- Parameters travel flat: a list is ``Name.1``, ``Name.2``; a list of structures is
  ``Name.1.Field``. :func:`flatten` builds that from Python values; :func:`wire_value`
  renders one scalar (booleans as ``true``/``false``, times in the ESS format).
- Times are ``YYYY-MM-DDThh:mm:ssZ`` (common Timestamp, activity times) or
  ``YYYY-MM-DDThh:mmZ`` (scheduled tasks); inside, they are aware UTC datetimes.
- Responses are JSON by default and XML with ``Format=xml``; both are rendered from
  the same dict, the 2014-08-28 JSON shape (lists wrapped, as in
  ``{"ScalingGroups": {"ScalingGroup": [...]}}``). XML parsing needs to be told which
  element names are lists, because a one-element list looks like a scalar in XML.

Example::

    flatten({"InstanceId": ["i-1", "i-2"], "LifecycleHook": [{"Name": "h"}]})
    # {"InstanceId.1": "i-1", "InstanceId.2": "i-2", "LifecycleHook.1.Name": "h"}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

__all__ = [
    "WireFormatError",
    "flatten",
    "format_minute",
    "format_timestamp",
    "parse_json",
    "parse_timestamp",
    "parse_xml",
    "render_json",
    "render_xml",
    "wire_value",
]

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?Z$")


class WireFormatError(ValueError):
    """A value that does not follow the wire format; the message names the field."""


def _utc(value: datetime) -> datetime:
    # Local twin of autoscaler.clock.ensure_utc: this module stays importable by the
    # pure policy layer, which may not import the clock.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} (a timezone is required)")
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (UTC)."""
    # isoformat is several times faster than strftime; years are four digits from 1000 on.
    return _utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def format_minute(value: datetime) -> str:
    """``YYYY-MM-DDThh:mmZ`` (UTC), the scheduled-task format."""
    return _utc(value).strftime("%Y-%m-%dT%H:%MZ")


def parse_timestamp(text: str, *, field: str = "Timestamp") -> datetime:
    """Parse either ESS time format into an aware UTC datetime."""
    match = _TIMESTAMP.match(text)
    if match is None:
        raise WireFormatError(f"{field}: {text!r} is not YYYY-MM-DDThh:mm[:ss]Z")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise WireFormatError(f"{field}: {text!r} is not a valid time ({exc})") from None


def wire_value(value: object) -> str:
    """One scalar as the wire spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return str(value)


def flatten(params: Mapping[str, object]) -> dict[str, str]:
    """Flatten Python values into wire parameters; ``None`` values are left out.

    Sequences become ``Name.N`` (1-based); mappings inside sequences become
    ``Name.N.Field``. Strings are scalars, not sequences.
    """
    out: dict[str, str] = {}
    for name, value in params.items():
        _flatten_into(out, name, value)
    return out


def _flatten_into(out: dict[str, str], name: str, value: object) -> None:
    if value is None:
        return
    # Plain strings and ints first (most parameters): what wire_value gives them, without the
    # abstract-class checks (exact types: a bool, an enum or a subclass goes the long way).
    if type(value) is str:
        out[name] = value
        return
    if type(value) is int:
        out[name] = str(value)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten_into(out, f"{name}.{key}", item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, item in enumerate(value, start=1):
            _flatten_into(out, f"{name}.{index}", item)
    else:
        out[name] = wire_value(value)


# -- responses ---------------------------------------------------------------


def render_json(body: Mapping[str, Any]) -> bytes:
    """Compact JSON, UTF-8 (real responses are not pretty-printed)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def render_xml(root: str, body: Mapping[str, Any]) -> bytes:
    """``<root>...</root>`` with a list rendered as repeated elements of its key's name."""
    parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    _xml_fields(parts, body)
    parts.append(f"</{root}>")
    return "".join(parts).encode("utf-8")


def _xml_fields(parts: list[str], body: Mapping[str, Any]) -> None:
    for key, value in body.items():
        items: Iterable[Any] = value if isinstance(value, list | tuple) else (value,)
        for item in items:
            _xml_element(parts, str(key), item)


def _xml_element(parts: list[str], tag: str, value: Any) -> None:
    if value is None:
        parts.append(f"<{tag}/>")
    elif isinstance(value, Mapping):
        parts.append(f"<{tag}>")
        _xml_fields(parts, value)
        parts.append(f"</{tag}>")
    else:
        text = wire_value(value) if not isinstance(value, str) else value
        parts.append(f"<{tag}>{escape(text)}</{tag}>")


def parse_json(data: bytes) -> dict[str, Any]:
    """Parse a JSON response body; anything but an object is a format error."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireFormatError(f"body: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise WireFormatError(f"body: expected a JSON object, got {type(value).__name__}")
    return value


def parse_xml(data: bytes, *, list_tags: Iterable[str] = ()) -> tuple[str, dict[str, Any]]:
    """Parse an XML response into ``(root tag, body)`` in the JSON shape.

    Elements named in ``list_tags`` always become lists; other repeated elements
    become lists too; leaves become strings.
    """
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - our own responses, no DTDs/entities
    except ElementTree.ParseError as exc:
        raise WireFormatError(f"body: not valid XML ({exc})") from None
    value = _xml_to_value(root, frozenset(list_tags))
    return root.tag, value if isinstance(value, dict) else {}


def _xml_to_value(element: ElementTree.Element, list_tags: frozenset[str]) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = _xml_to_value(child, list_tags)
        if child.tag in out:
            existing = out[child.tag]
            if not isinstance(existing, list):
                existing = out[child.tag] = [existing]
            existing.append(value)
        elif child.tag in list_tags:
            out[child.tag] = [value]
        else:
            out[child.tag] = value
    return out


def dumps_params(params: Mapping[str, str]) -> str:
    """Stable text of wire parameters (for logs and idempotence digests)."""
    return json.dumps(dict(sorted(params.items())), separators=(",", ":"))
