"""Settings of the webhook receiver: authentication, body limit, TLS.

Authentication is required. ``type: none`` exists for a controller that listens on
loopback only (a sidecar whose Alertmanager reaches it through a local proxy, or a
test); :meth:`ReceiverSettings.check_listen_host` refuses it on any other address, and
the receiver additionally refuses non-loopback peers when it is set.

Secrets are ``SecretStr``: they print as ``**********`` in reprs, errors and logs,
and are only ever compared (in constant time, see ``receiver.py``).

TLS terminates in the ASGI server of the listen address, not here:
:meth:`TlsSettings.uvicorn_options` gives the keyword arguments for
``uvicorn.Config`` (``ssl_certfile``, ``ssl_keyfile``, ``ssl_ca_certs``,
``ssl_cert_reqs``), so Alertmanager's ``tls_config`` (CA, client certificate) works
as documented in ``docs/alerting.md``.

Example::

    settings = ReceiverSettings.model_validate(
        {"auth": {"type": "bearer", "token": os.environ["AUTOSCALER_ALERT_TOKEN"]}}
    )
    settings.check_listen_host("0.0.0.0")
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from autoscaler.alerting.errors import MappingConfigError
from autoscaler.alerting.mapping import AlertMapping, AlertMappings
from autoscaler.alerting.notifier import NotifierSettings
from autoscaler.alerting.payload import format_validation_error

__all__ = [
    "AlertingSettings",
    "BasicAuth",
    "BearerAuth",
    "NoAuth",
    "ReceiverSettings",
    "TlsSettings",
    "is_loopback",
    "load_alerting_settings",
    "load_receiver_settings",
]

DEFAULT_MAX_BODY_BYTES = 1 << 20


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BearerAuth(_Config):
    """``Authorization: Bearer <token>`` (Alertmanager ``http_config.authorization``)."""

    type: Literal["bearer"]
    # 16 characters at least: a short shared secret is guessable over the network.
    token: SecretStr = Field(min_length=16, max_length=4096)


class BasicAuth(_Config):
    """``Authorization: Basic ...`` (Alertmanager ``http_config.basic_auth``)."""

    type: Literal["basic"]
    username: str = Field(min_length=1, max_length=256, pattern=r"^[^:]+$")
    password: SecretStr = Field(min_length=12, max_length=4096)


class NoAuth(_Config):
    """No authentication: only when the controller listens on loopback."""

    type: Literal["none"]


Auth = Annotated[BearerAuth | BasicAuth | NoAuth, Field(discriminator="type")]


class TlsSettings(_Config):
    """Server-side TLS of the listen address (PEM files); mutual TLS with ``client_ca_file``."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None
    require_client_cert: bool = False

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.Config``."""
        options: dict[str, Any] = {"ssl_certfile": str(self.cert_file), "ssl_keyfile": str(self.key_file)}
        if self.client_ca_file is not None:
            options["ssl_ca_certs"] = str(self.client_ca_file)
            options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if self.require_client_cert else ssl.CERT_OPTIONAL
        return options


class ReceiverSettings(_Config):
    """The webhook endpoint: path, authentication, body limit (bytes), optional TLS."""

    path: str = Field(default="/alerts", pattern=r"^/[A-Za-z0-9/_.-]*$")
    auth: Auth
    # 1 MiB holds ~2,000 alerts; Alertmanager's webhook ``max_alerts`` keeps bigger
    # groups below it (the rest is counted in truncatedAlerts).
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024, le=64 << 20)
    tls: TlsSettings | None = None

    def check_listen_host(self, host: str) -> None:
        """Refuse ``auth: none`` unless ``host`` is a loopback address."""
        if isinstance(self.auth, NoAuth) and not is_loopback(host):
            raise MappingConfigError(
                f"auth.type: 'none' is allowed only on a loopback listen address, not {host!r}"
            )


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AlertingSettings(_Config):
    """The ``alerting:`` section of the controller configuration, whole.

    ``receiver`` is optional (no webhook endpoint without it); ``mappings`` need it.
    """

    receiver: ReceiverSettings | None = None
    mappings: tuple[AlertMapping, ...] = ()
    notifications: NotifierSettings = Field(default_factory=NotifierSettings)

    @model_validator(mode="after")
    def _consistent(self) -> AlertingSettings:
        if self.mappings and self.receiver is None:
            raise ValueError("mappings: alert mappings need a receiver (alerting.receiver)")
        AlertMappings(mappings=self.mappings)  # the same checks as a standalone mapping file
        return self

    @property
    def mapping_set(self) -> AlertMappings:
        return AlertMappings(mappings=self.mappings)


def load_alerting_settings(data: Any, *, source: str = "alerting") -> AlertingSettings:
    """Validate the whole ``alerting:`` section; :class:`MappingConfigError` names ``source`` and the field."""
    try:
        return AlertingSettings.model_validate(data)
    except ValidationError as exc:
        tags = {"auth": frozenset({"bearer", "basic", "none"}), "action": frozenset({"execute_rule", "step", "floor"})}
        raise MappingConfigError(f"{source}: {format_validation_error(exc, discriminated=tags)}") from exc


def load_receiver_settings(data: Any, *, source: str = "alerting.receiver") -> ReceiverSettings:
    """Validate raw configuration; :class:`MappingConfigError` names ``source`` and the field."""
    try:
        return ReceiverSettings.model_validate(data)
    except ValidationError as exc:
        detail = format_validation_error(exc, discriminated={"auth": frozenset({"bearer", "basic", "none"})})
        raise MappingConfigError(f"{source}: {detail}") from exc
