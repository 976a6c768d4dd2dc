"""Alibaba Cloud credentials, with secrets that never print.

:class:`Credentials` is a frozen value object whose ``repr`` shows only the AccessKeyId
(the secret and the STS token are redacted), so it can sit in any log line or
exception. The environment is read only through :meth:`Credentials.from_env`, which
the composition root calls with ``os.environ`` (STYLE.md habit 9); nothing here reads
the process environment by itself.

Example::

    creds = Credentials.from_env(os.environ)          # in the CLI only
    creds = Credentials(access_key_id="testid", access_key_secret="testsecret")
    repr(creds)  # "Credentials(access_key_id='testid', access_key_secret=<redacted>)"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ENV_ACCESS_KEY_ID",
    "ENV_ACCESS_KEY_SECRET",
    "ENV_SECURITY_TOKEN",
    "EXAMPLE_CREDENTIALS",
    "Credentials",
    "CredentialsError",
    "parse_access_key",
]

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable name, not a secret

_REDACTED = "<redacted>"


class CredentialsError(ValueError):
    """Missing or malformed credentials; the message names the field, never the secret."""


def _check_printable(value: str, field_name: str) -> None:
    if not value or not value.isascii() or not value.isprintable() or value != value.strip():
        raise CredentialsError(f"{field_name}: must be a non-empty printable ASCII string without surrounding spaces")


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """An AccessKey pair and an optional STS security token."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _check_printable(self.access_key_id, "access_key_id")
        _check_printable(self.access_key_secret, "access_key_secret")
        if self.security_token is not None:
            _check_printable(self.security_token, "security_token")

    def __repr__(self) -> str:
        token = f", security_token={_REDACTED}" if self.security_token else ""
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret={_REDACTED}{token})"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials:
        """Read the Alibaba Cloud variables from ``environ`` (an explicit mapping)."""
        key_id = environ.get(ENV_ACCESS_KEY_ID, "")
        secret = environ.get(ENV_ACCESS_KEY_SECRET, "")
        if not key_id:
            raise CredentialsError(f"{ENV_ACCESS_KEY_ID}: not set")
        if not secret:
            raise CredentialsError(f"{ENV_ACCESS_KEY_SECRET}: not set")
        token = environ.get(ENV_SECURITY_TOKEN) or None
        try:
            return cls(access_key_id=key_id, access_key_secret=secret, security_token=token)
        except CredentialsError as exc:
            # Name the variable rather than the dataclass field.
            names = {
                "access_key_id": ENV_ACCESS_KEY_ID,
                "access_key_secret": ENV_ACCESS_KEY_SECRET,
                "security_token": ENV_SECURITY_TOKEN,
            }
            field_name, _, rest = str(exc).partition(":")
            raise CredentialsError(f"{names.get(field_name, field_name)}:{rest}") from None


def parse_access_key(text: str) -> Credentials:
    """Parse ``ID:SECRET`` (the emulator's ``--access-key``); the secret may contain ':'."""
    key_id, sep, secret = text.partition(":")
    if not sep:
        raise CredentialsError("--access-key: expected ID:SECRET")
    return Credentials(access_key_id=key_id, access_key_secret=secret)


# The documented example pair of the reference's signature chapter; the emulator
# accepts it when no key is configured.
EXAMPLE_CREDENTIALS = Credentials(access_key_id="testid", access_key_secret="testsecret")  # noqa: S106 - documented example
