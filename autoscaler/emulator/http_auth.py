"""Checks of the common request parameters: key, signature, time window, nonce.

The emulator verifies a request as the real service does, so that a client that works
against ``ess-local`` signs correctly for the cloud too. The signature is recomputed
with the very functions the client signs with (:mod:`autoscaler.ess._signing`).

Codes come from the reference where it has them (InvalidAccessKeyId.NotFound,
SignatureDoesNotMatch, MissingParameter, InvalidParameter). It documents neither the
15-minute Timestamp window nor nonce reuse; for those we answer what the live
Alibaba Cloud gateway answers (docs/emulator-fidelity.md, "Wire"):

- ``InvalidTimeStamp.Expired`` (400) "Specified time stamp or date value is expired."
- ``InvalidTimeStamp.Format`` (400) "Specified time stamp or date value is not well formatted."
- ``SignatureNonceUsed`` (400) "Specified signature nonce was used already."

A wrong signature gets the documented 403 ``SignatureDoesNotMatch`` whose message ends
with ``:`` and the server's string to sign, which the official SDK splits off to tell
a wrong secret from a wrong encoding.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta

from autoscaler.clock import Clock
from autoscaler.ess import EssError, ess_error
from autoscaler.ess._signing import (
    SIGNATURE_METHOD,
    SIGNATURE_VERSION,
    sign,
    signature_matches,
    string_to_sign,
)
from autoscaler.ess.credentials import Credentials
from autoscaler.ess.wire import WireFormatError, parse_timestamp

__all__ = ["TIMESTAMP_WINDOW", "Authenticator", "undocumented_error"]

TIMESTAMP_WINDOW = timedelta(minutes=15)

_UNDOCUMENTED: dict[str, tuple[int, str]] = {
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "InvalidTimeStamp.Format": (400, "Specified time stamp or date value is not well formatted."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
}


def undocumented_error(code: str) -> EssError:
    """An error the reference does not document, answered as the live service does."""
    status, message = _UNDOCUMENTED[code]
    return EssError(code, message, http_status=status)


class _NonceCache:
    """Nonces seen within the Timestamp window, per AccessKeyId; older ones expire.

    A nonce older than the window cannot be replayed anyway (its Timestamp would be
    rejected), so memory stays bounded by the request rate times the window.
    """

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._seen: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    def claim(self, key_id: str, nonce: str, now: datetime) -> bool:
        """Remember ``nonce``; False when it was already used within the window."""
        horizon = now - self._window
        while self._seen:
            oldest_key, seen_at = next(iter(self._seen.items()))
            if seen_at >= horizon:
                break
            del self._seen[oldest_key]
        key = (key_id, nonce)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


class Authenticator:
    """Verifies the common parameters of one request (raises the documented error)."""

    def __init__(self, keys: Mapping[str, Credentials], clock: Clock, *, window: timedelta = TIMESTAMP_WINDOW) -> None:
        self._keys = dict(keys)
        self._clock = clock
        self._window = window
        self._nonces = _NonceCache(window)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def verify(self, method: str, params: Mapping[str, str]) -> Credentials:
        """Check key, signature method/version, signature, Timestamp and nonce."""
        key_id = _required(params, "AccessKeyId")
        signature = _required(params, "Signature")
        creds = self._keys.get(key_id)
        if creds is None:
            raise ess_error("InvalidAccessKeyId.NotFound")
        if params.get("SignatureMethod", SIGNATURE_METHOD) != SIGNATURE_METHOD:
            raise ess_error("InvalidParameter", name="SignatureMethod")
        if params.get("SignatureVersion", SIGNATURE_VERSION) != SIGNATURE_VERSION:
            raise ess_error("InvalidParameter", name="SignatureVersion")
        nonce = _required(params, "SignatureNonce")
        stamp = self._timestamp(params)
        text = string_to_sign(method, params)
        if not signature_matches(sign(text, creds.access_key_secret), signature):
            error = ess_error("SignatureDoesNotMatch")
            raise EssError(
                error.code, f"{error.message} Server string to sign is:{text}", http_status=error.http_status
            )
        now = self._clock.now()
        if abs(now - stamp) > self._window:
            raise undocumented_error("InvalidTimeStamp.Expired")
        if not self._nonces.claim(key_id, nonce, now):
            raise undocumented_error("SignatureNonceUsed")
        return creds

    @staticmethod
    def _timestamp(params: Mapping[str, str]) -> datetime:
        # The worked example of the reference spells it TimeStamp; accept both.
        text = params.get("Timestamp") or params.get("TimeStamp")
        if not text:
            raise ess_error("MissingParameter", name="Timestamp")
        try:
            return parse_timestamp(text)
        except WireFormatError:
            raise undocumented_error("InvalidTimeStamp.Format") from None


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise ess_error("MissingParameter", name=name)
    return value
