"""Deterministic ClientTokens.

The reference makes ExecuteScalingRule idempotent through ClientToken (at most 64
ASCII characters, case-sensitive). The controller derives the token from what the
decision is about (group, policy, target, evaluation window), so a retry, a restart or
a second replica in the same window sends the same token and the service creates one
activity, not two (DESIGN.md, "The controller's decisions").

The token is the SHA-256 hex digest (64 characters) of the parts, each rendered with
its type so that ``1`` and ``"1"`` differ and no separator inside a part can make two
different part lists collide.

Example::

    client_token("asg-1", "cpu", 7, "2024-01-01T00:05Z")   # 64 hex characters
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from json.encoder import encode_basestring_ascii

from autoscaler.ess.wire import format_timestamp

__all__ = ["MAX_CLIENT_TOKEN_LENGTH", "client_token", "validate_client_token"]

MAX_CLIENT_TOKEN_LENGTH = 64
_SCALARS = (bool, int, float, str)  # a tuple: ``bool | int | float | str`` would build a union per call


def _part(value: object) -> tuple[str, str]:
    if isinstance(value, datetime):
        return "datetime", format_timestamp(value)
    if isinstance(value, _SCALARS) or value is None:
        return type(value).__name__, str(value)
    raise TypeError(f"client_token: unsupported part type {type(value).__name__}")


def client_token(*parts: object) -> str:
    """The 64-character token of ``parts`` (str, int, float, bool, None or aware datetime)."""
    if not parts:
        raise ValueError("client_token: at least one part is required")
    # The compact ASCII JSON of [[type, text], ...], i.e. json.dumps(..., separators=(",", ":"),
    # ensure_ascii=True), written directly: every item is a pair of strings, which the json
    # module quotes with encode_basestring_ascii (tested against json.dumps).
    text = "[" + ",".join([f"[{encode_basestring_ascii(kind)},{encode_basestring_ascii(value)}]"
                           for kind, value in map(_part, parts)]) + "]"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def validate_client_token(token: str, *, field: str = "ClientToken") -> str:
    """Check the documented constraints (1-64 printable ASCII characters)."""
    if not token or len(token) > MAX_CLIENT_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        raise ValueError(f"{field}: must be 1-{MAX_CLIENT_TOKEN_LENGTH} printable ASCII characters")
    return token
