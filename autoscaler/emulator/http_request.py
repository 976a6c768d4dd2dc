"""Parsing of RPC requests: the query string and a form body into flat parameters.

The reference sends every parameter in the query string of a GET; the official SDK
sends them in the query string of a POST; form bodies are accepted too. Whatever the
bytes, parsing either yields ``{name: value}`` (UTF-8, ``%XY`` and ``+`` decoded) or
raises the documented ``InvalidParameter`` naming the offending parameter: a request
parser that can crash is a 500 waiting to happen, so a hypothesis fuzz test
(``tests/property/test_request_parser.py``) feeds it garbage.

Limits (ours; the reference has none): 1 MiB of parameters and 2,000 parameters per
request, far above what any documented action takes (20 ids, 10 tags...).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from autoscaler.ess import ess_error

__all__ = ["MAX_BODY_BYTES", "MAX_PARAMETERS", "parse_pairs", "parse_params"]

MAX_BODY_BYTES = 1 << 20
MAX_PARAMETERS = 2000


def _decode(raw: bytes, *, name: str | None) -> str:
    try:
        if b"%" not in raw and b"+" not in raw:  # the common case: nothing to unquote
            return raw.decode("utf-8")
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        raise ess_error("InvalidParameter", name=name or _printable(raw)) from None
    return text


def _printable(raw: bytes) -> str:
    text = raw[:64].decode("ascii", "replace")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def parse_pairs(data: bytes) -> list[tuple[str, str]]:
    """Decode ``a=1&b=2`` into pairs; a bare ``name`` is ``name=""`` (as ``SignatureType=``)."""
    pairs: list[tuple[str, str]] = []
    if not data:
        return pairs
    for chunk in data.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        name = _decode(raw_name, name=None)
        if not name:
            raise ess_error("InvalidParameter", name=_printable(chunk) or "=")
        pairs.append((name, _decode(raw_value, name=name)))
        if len(pairs) > MAX_PARAMETERS:
            raise ess_error("InvalidParameter", name=name)
    return pairs


def parse_params(query: bytes, body: bytes = b"", content_type: str = "") -> dict[str, str]:
    """All parameters of one request; a name given twice is ``InvalidParameter``.

    A body must be form-encoded (or untyped, as some clients send it).
    """
    if len(query) + len(body) > MAX_BODY_BYTES:
        raise ess_error("InvalidParameter", name="Body")
    pairs = parse_pairs(query)
    media = content_type.split(";", 1)[0].strip().lower()
    if body and media in ("", "application/x-www-form-urlencoded"):
        pairs.extend(parse_pairs(body))
    elif body:
        raise ess_error("InvalidParameter", name="Content-Type")
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params and params[name] != value:
            raise ess_error("InvalidParameter", name=name)
        params[name] = value
    return params

