"""Settings of the Prometheus source: where, how to authenticate, TLS, time limits.

Grouped, typed, validated at construction with messages that name the field
(STYLE.md habits 11 and 12). Secrets (the bearer token, the basic-auth password)
are excluded from ``repr`` so a settings object can appear in any log line. The
URL must not carry credentials itself (``https://user:pass@host``): they would leak
through every error message that names the URL, so they go in ``basic_auth``.

Defaults and why:

- ``timeout`` 5 s: a third of the default 15 s evaluation interval, so a hung
  Prometheus costs one metric, not the tick.
- ``max_age`` 60 s: four evaluation intervals; an answer evaluated longer ago than
  that (a lagging server or a skewed clock) is stale.
- ``instance_label`` ``instance_id``: the label an exporter of ECS instances uses for
  the instance id (``instance`` is Prometheus' host:port of the target, usually not it).
- ``trust_env`` False: proxies are configured explicitly (``proxy``); nothing deep in
  the code reads the environment (STYLE.md habit 9).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from autoscaler.metrics._aggregate import Aggregate
from autoscaler.metrics._sample import MetricsError

__all__ = ["BasicAuth", "PrometheusSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BasicAuth:
    """HTTP basic authentication; the password never prints."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.username or ":" in self.username:
            raise MetricsError("basic_auth.username: must be non-empty and contain no ':'")
        if not self.password:
            raise MetricsError("basic_auth.password: must be non-empty")


def _check_positive(value: float, name: str) -> None:
    if not value > 0 or value != value or value == float("inf"):
        raise MetricsError(f"{name}: must be a finite number of seconds > 0 (got {value})")


def _check_url(url: str, name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MetricsError(f"{name}: must be an http:// or https:// URL with a host (got {url!r})")
    if parts.username is not None or parts.password is not None:
        raise MetricsError(f"{name}: must not contain credentials; use basic_auth or bearer_token")
    if parts.query or parts.fragment:
        raise MetricsError(f"{name}: must not have a query or fragment")


@dataclass(frozen=True, slots=True, kw_only=True)
class PrometheusSettings:
    """How to reach one Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics).

    Example::

        PrometheusSettings(url="https://prom.example:9090", bearer_token=token, ca_file=Path("ca.pem"))
    """

    url: str
    timeout: float = 5.0
    max_age: float = 60.0
    instance_label: str = "instance_id"
    aggregate: Aggregate = Aggregate.MEAN
    bearer_token: str | None = field(default=None, repr=False)
    basic_auth: BasicAuth | None = None
    ca_file: Path | None = None
    insecure_skip_verify: bool = False
    client_cert: Path | None = None
    client_key: Path | None = None
    evaluate_at_now: bool = False
    proxy: str | None = None
    trust_env: bool = False

    def __post_init__(self) -> None:
        _check_url(self.url, "url")
        _check_positive(self.timeout, "timeout")
        _check_positive(self.max_age, "max_age")
        if not self.instance_label.isidentifier():
            raise MetricsError(f"instance_label: must be a Prometheus label name (got {self.instance_label!r})")
        if self.bearer_token is not None and (not self.bearer_token or not self.bearer_token.isprintable()):
            raise MetricsError("bearer_token: must be a non-empty printable string")
        if self.bearer_token is not None and self.basic_auth is not None:
            raise MetricsError("bearer_token: cannot be combined with basic_auth; choose one")
        if self.client_key is not None and self.client_cert is None:
            raise MetricsError("client_key: needs client_cert")
        if self.insecure_skip_verify and self.ca_file is not None:
            raise MetricsError("insecure_skip_verify: contradicts ca_file; choose one")
        if self.proxy is not None:
            _check_url(self.proxy, "proxy")

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    def ssl_context(self) -> ssl.SSLContext | bool:
        """The TLS verification to use: ``True`` (system CAs) or a configured context."""
        if self.ca_file is None and not self.insecure_skip_verify and self.client_cert is None:
            return True
        try:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise MetricsError(f"ca_file: cannot load {self.ca_file}: {exc}") from exc
        if self.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_cert is not None:
            key = str(self.client_key) if self.client_key else None
            try:
                context.load_cert_chain(str(self.client_cert), key)
            except (OSError, ssl.SSLError) as exc:
                raise MetricsError(f"client_cert: cannot load {self.client_cert}: {exc}") from exc
        return context
