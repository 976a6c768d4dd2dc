"""Signature version 1.0 (HMAC-SHA1) of the Alibaba Cloud RPC protocol.

Pure functions, shared by both sides of the wire: the client signs with them and the
emulator's HTTP front verifies with them, so the two cannot drift apart. The
algorithm is the reference's (ess-api-part1.yaml ``common.signature``):

1. percent-encode every parameter name and value (UTF-8; ``A-Z a-z 0-9 - _ . ~``
   unencoded; space is ``%20``, never ``+``), join ``name=value``, sort, join with ``&``;
2. ``StringToSign = METHOD & percentEncode("/") & percentEncode(canonical)``;
3. HMAC-SHA1 with key ``AccessKeySecret + "&"``, Base64.

Empty values (the SDK's ``SignatureType=``) take part like any other parameter. The
documented worked example is a test vector (``tests/unit/test_signing.py``).

:class:`SignatureV1Auth` is the ``httpx.Auth`` flow: it adds the common parameters
(AccessKeyId, SignatureMethod/Version, a fresh SignatureNonce and Timestamp per
attempt, SecurityToken when present) and the Signature to a form-encoded request, so
the client never handles secrets itself (STYLE.md habit 7)::

    auth = SignatureV1Auth(credentials, clock=SystemClock())
    httpx.AsyncClient(auth=auth).post(url, data={"Action": "DescribeScalingGroups", ...})
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode

import httpx

from autoscaler.clock import Clock
from autoscaler.ess.credentials import Credentials
from autoscaler.ess.wire import format_timestamp

__all__ = [
    "SIGNATURE_METHOD",
    "SIGNATURE_VERSION",
    "SignatureV1Auth",
    "canonical_query",
    "percent_encode",
    "sign",
    "signature_matches",
    "string_to_sign",
]

SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"

# RFC 3986 unreserved characters; everything else is %XY per UTF-8 byte.
_SAFE = "-_.~"
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
# ASCII fast path: str.translate runs in C, several times faster than quote().
_ASCII_TABLE = str.maketrans({chr(c): f"%{c:02X}" for c in range(128) if not _UNRESERVED.fullmatch(chr(c))})


def percent_encode(value: str) -> str:
    """Encode ``value`` as the reference's rules say (space -> %20, ``~`` kept)."""
    if _UNRESERVED.fullmatch(value):  # most names and values: nothing to encode
        return value
    if value.isascii():
        return value.translate(_ASCII_TABLE)
    return quote(value, safe=_SAFE, encoding="utf-8", errors="strict")


def canonical_query(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The CanonicalizedQueryString: encoded ``name=value`` pairs, sorted, ``&``-joined.

    ``Signature`` itself never takes part.
    """
    items = params.items() if isinstance(params, Mapping) else params
    pairs = sorted(f"{percent_encode(k)}={percent_encode(v)}" for k, v in items if k != "Signature")
    return "&".join(pairs)


def string_to_sign(method: str, params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """``METHOD&%2F&percentEncode(canonical)``."""
    # The canonical string holds only unreserved characters, %XY escapes, '=' and '&',
    # so encoding it again only has to touch those three (same result as percent_encode).
    canonical = canonical_query(params).replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    return f"{method.upper()}&%2F&{canonical}"


def sign(text: str, secret: str) -> str:
    """Base64 HMAC-SHA1 of ``text`` with key ``secret + "&"``."""
    digest = hmac.new(f"{secret}&".encode(), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(expected: str, provided: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode("utf-8", "replace"), provided.encode("utf-8", "replace"))


def _default_nonce() -> str:
    return uuid.uuid4().hex


class SignatureV1Auth(httpx.Auth):
    """Signs each attempt of a form-encoded RPC request.

    Every call of the flow draws a new SignatureNonce and Timestamp, so a retry of the
    same logical request (same ClientToken) is a new signed request, as the reference's
    idempotence chapter requires.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Clock,
        nonce: Callable[[], str] = _default_nonce,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"SignatureV1Auth({self._credentials!r})"

    def signed_params(self, method: str, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` plus the common signing parameters and the Signature."""
        out = dict(params)
        out["AccessKeyId"] = self._credentials.access_key_id
        out["SignatureMethod"] = SIGNATURE_METHOD
        out["SignatureVersion"] = SIGNATURE_VERSION
        out["SignatureNonce"] = self._nonce()
        out["Timestamp"] = format_timestamp(self._clock.now())
        if self._credentials.security_token:
            out["SecurityToken"] = self._credentials.security_token
        out.pop("Signature", None)
        out["Signature"] = sign(string_to_sign(method, out), self._credentials.access_key_secret)
        return out

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        params = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        signed = self.signed_params(request.method, params)
        body = urlencode(signed, quote_via=quote, safe=_SAFE).encode("ascii")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)}
        headers["content-type"] = "application/x-www-form-urlencoded"
        yield httpx.Request(request.method, request.url, headers=headers, content=body, extensions=request.extensions)
