"""Structured logs (one JSON object per line, or a human format) that never carry a secret.

The controller's logs are read by machines (a sidecar's stdout shipped to a log
store) and by people at a terminal; :class:`JsonFormatter` writes ``{"ts", "level",
"logger", "msg", ...extra fields}`` per line, :class:`HumanFormatter` a readable line
with the same fields as ``key=value``.

Secrets are removed before any formatter sees the record, by :class:`RedactionFilter`
on the handler, from the message, its arguments, every extra field (recursively,
dataclasses included) and exception text. It knows the shapes secrets take here:
``AccessKeySecret=``, ``SecurityToken=``, ``Signature=`` values (signed ESS query
strings), ``Authorization:`` headers, ``Bearer`` tokens, passwords in URLs
(``https://user:pass@host``), keys such as ``password`` or ``access_key_secret``
in mappings, plus any value registered with :meth:`Redactor.register_secret` (the
CLI registers the credentials it loads). Redaction is done by value and by shape,
because a secret can reach a log line through an exception message we do not
control.

Example::

    redactor = configure_logging(level="INFO", fmt="json", stream=sys.stderr)
    redactor.register_secret(credentials.access_key_secret)
    logging.getLogger("autoscaler.controller").info("decision", extra={"group": "web", "reasons": [...]})
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal, TextIO
from urllib.parse import quote

__all__ = ["REDACTED", "HumanFormatter", "JsonFormatter", "RedactionFilter", "Redactor", "configure_logging"]

REDACTED = "<redacted>"

_SENSITIVE_NAMES = (
    r"AccessKeySecret|access_?key_?secret|ALIBABA_CLOUD_ACCESS_KEY_SECRET|SecurityToken|security_?token"
    r"|ALIBABA_CLOUD_SECURITY_TOKEN|x-acs-security-token|Signature|password|passwd|client_?secret|api_?key"
    r"|bearer_?token"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # key=value (query strings, env dumps), "key": "value" and 'key': 'value' (JSON, dict reprs).
    # A bare "key: value" is left alone: it is how our own errors name a field ("password: must be ...").
    (re.compile(rf"(?i)\b({_SENSITIVE_NAMES})([\"']?\s*=\s*[\"']?)([^\s\"'&,;}}\]]+)"), rf"\1\2{REDACTED}"),
    (re.compile(rf"(?i)\b({_SENSITIVE_NAMES})([\"']\s*:\s*[\"']?|\s*:\s*[\"'])([^\s\"'&,;}}\]]+)"),
     rf"\1\2{REDACTED}"),
    # Authorization: Basic xxx / Authorization: Bearer xxx / authorization=xxx / x-acs-security-token: xxx
    (re.compile(r"(?i)\b((?:authorization|x-acs-security-token)[\"']?\s*[:=]\s*[\"']?)((?:basic|bearer|digest)\s+)?([^\s\"',;}\]]+)"),
     rf"\1\2{REDACTED}"),
    (re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9\-._~+/]+=*)"), rf"\1{REDACTED}"),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]+:)([^@\s]+)(@)"), rf"\1{REDACTED}\3"),
)
_KEY_NAMES = re.compile(rf"(?i)^({_SENSITIVE_NAMES}|authorization|token|secret)$")

# Attributes every LogRecord has; anything else was passed as ``extra``.
_STANDARD = frozenset(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {"message", "asctime"}


class Redactor:
    """Removes secrets from text and from structured values."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._ordered: list[str] = []

    def register_secret(self, value: str | None) -> None:
        """Redact ``value`` (and its URL-encoded form) wherever it appears from now on."""
        if value is None or not value.strip():
            return
        self._secrets.update({value, quote(value, safe="")})
        self._ordered = sorted(self._secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_value(self, value: Any, *, depth: int = 0) -> Any:
        """A JSON-friendly, redacted copy of an extra field's value."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact(value)
        if depth > 8:
            return self.redact(repr(value))
        if isinstance(value, enum.Enum):
            return self.redact_value(value.value, depth=depth + 1)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._redact_mapping(
                {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.repr}, depth
            )
        if isinstance(value, Mapping):
            return self._redact_mapping(value, depth)
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(item, depth=depth + 1) for item in value]
        return self.redact(str(value))

    def _redact_mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = self.redact(str(key))
            result[name] = REDACTED if _KEY_NAMES.match(name) and item else self.redact_value(item, depth=depth + 1)
        return result


class RedactionFilter(logging.Filter):
    """Put on a handler: rewrites each record so that no secret reaches a formatter."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor.redact
        try:
            message = record.getMessage()
        except (TypeError, ValueError) as exc:  # a bad format string must not lose the line
            message = f"{record.msg!r} (bad log arguments: {exc})"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in [key for key in record.__dict__ if key not in _STANDARD]:
            value = record.__dict__[key]
            record.__dict__[key] = REDACTED if _KEY_NAMES.match(key) and value else self.redactor.redact_value(value)
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the extra fields, and exc when any."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            document.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc"] = record.exc_text
        if record.stack_info:
            document["stack"] = record.stack_info
        return json.dumps(document, default=str, ensure_ascii=False, separators=(",", ":"))


class HumanFormatter(logging.Formatter):
    """``2026-01-01T12:00:00.000Z INFO  autoscaler.controller: msg key=value ...`` for terminals."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{key}={json.dumps(value, default=str, ensure_ascii=False)}" for key, value in _extras(record).items()
        )
        line = f"{_timestamp(record)} {record.levelname:<5} {record.name}: {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        return line


class _ManagedHandler(logging.StreamHandler):  # type: ignore[type-arg]  # StreamHandler is generic only in typeshed
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(
    *,
    level: str | int = "INFO",
    fmt: Literal["json", "human"] = "json",
    stream: TextIO | None = None,
    redactor: Redactor | None = None,
    logger: logging.Logger | None = None,
) -> Redactor:
    """Install one redacting handler on ``logger`` (the root logger by default); return the redactor.

    Called by the composition root only; library code just uses ``logging.getLogger(__name__)``.
    """
    if fmt not in ("json", "human"):
        raise ValueError(f"fmt: must be 'json' or 'human' (got {fmt!r})")
    target = logger if logger is not None else logging.getLogger()
    redactor = redactor if redactor is not None else Redactor()
    for handler in [h for h in target.handlers if isinstance(h, _ManagedHandler)]:
        target.removeHandler(handler)
    handler = _ManagedHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(RedactionFilter(redactor))
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    target.addHandler(handler)
    target.setLevel(level if isinstance(level, int) else level.upper())
    return redactor
