"""The controller's configuration file (``config/autoscaler.yaml``), in pydantic v2.

Same conventions as the policy files: strict types, unknown keys rejected, camelCase
keys, durations in seconds, and every error names the file, the line and the field
path. Secrets are never written in the file itself: a secret is a reference,
``{env: NAME}`` or ``{file: PATH}``, resolved at the composition root, and its value
is wrapped so that no repr, log line or error can show it.

Example::

    apiVersion: autoscaler/v1
    mode: live                      # or shadow: decide and report, never write
    intervalSeconds: 15
    ess: {endpoint: embedded}
    policyFiles: [policies/web-cpu.yaml]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, Strict, field_validator, model_validator
from pydantic.alias_generators import to_camel

from autoscaler.alerting import AlertingSettings
from autoscaler.policy.spec import MetricRefSpec

__all__ = [
    "BusyCareConfig",
    "CareConfig",
    "ControllerConfig",
    "DemoGroupConfig",
    "EmbeddedConfig",
    "EssConfig",
    "GroupOverrides",
    "LoggingConfig",
    "MaintenanceCareConfig",
    "MetricsConfig",
    "PrometheusConfig",
    "RebalanceCareConfig",
    "SecretRef",
    "SyntheticConfig",
]

Seconds = Annotated[int, Strict(), Field(ge=0, le=86_400)]
PositiveSeconds = Annotated[float, Field(gt=0, le=3_600)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False)


class SecretRef(_Model):
    """Where a secret comes from: an environment variable or a file (exactly one)."""

    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file")
        return self

    def resolve(self, environ: dict[str, str], *, base: Path) -> SecretStr:
        """The secret's value, read now; errors name the variable or file, never the value."""
        if self.env is not None:
            if self.env not in environ or not environ[self.env]:
                raise ValueError(f"environment variable {self.env} is not set")
            return SecretStr(environ[self.env])
        assert self.file is not None
        path = self.file if self.file.is_absolute() else base / self.file
        try:
            return SecretStr(path.read_text("utf-8").strip())
        except OSError as exc:
            raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None


class DemoGroupConfig(_Model):
    """The scaling group the embedded emulator creates if it is missing."""

    name: Annotated[str, Field(min_length=2, max_length=64)] = "demo-web"
    min_size: Annotated[int, Strict(), Field(ge=0, le=1000)] = 1
    max_size: Annotated[int, Strict(), Field(ge=0, le=1000)] = 20
    default_cooldown: Seconds = 60

    @model_validator(mode="after")
    def _bounds(self) -> DemoGroupConfig:
        if self.max_size < self.min_size:
            raise ValueError("maxSize must be >= minSize")
        return self


class EmbeddedConfig(_Model):
    """ess-local in process, reached over its real HTTP app (ASGI transport)."""

    launch_seconds: Annotated[float, Field(ge=0, le=3_600)] = 20.0
    state: Path | None = None
    demo_group: DemoGroupConfig | None = DemoGroupConfig()


class EssConfig(_Model):
    """Which ESS to talk to: ``embedded``, an explicit ``https://`` URL, or a region's endpoint."""

    endpoint: Annotated[str, Field(min_length=1)] = "embedded"
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z0-9-]+$")] = "cn-hangzhou"
    access_key_id: SecretRef | None = None
    access_key_secret: SecretRef | None = None
    security_token: SecretRef | None = None
    timeout_seconds: PositiveSeconds = 10.0
    max_attempts: Annotated[int, Strict(), Field(ge=1, le=10)] = 5

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value not in ("embedded", "region") and not value.startswith(("http://", "https://")):
            raise ValueError("must be 'embedded', 'region' or an http(s):// URL")
        return value

    @model_validator(mode="after")
    def _keys(self) -> EssConfig:
        if (self.access_key_id is None) != (self.access_key_secret is None):
            raise ValueError("accessKeyId and accessKeySecret go together")
        return self


class PrometheusConfig(_Model):
    url: Annotated[str, Field(pattern=r"^https?://")]
    bearer_token: SecretRef | None = None
    username: str | None = None
    password: SecretRef | None = None
    ca_file: Path | None = None
    insecure_skip_verify: Annotated[bool, Strict()] = False
    timeout_seconds: PositiveSeconds = 5.0
    max_age_seconds: PositiveSeconds = 120.0
    instance_label: Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")] = "instance_id"


class SyntheticConfig(_Model):
    """The demo workload: a daily shape compressed into ``daySeconds``, with bursts."""

    day_seconds: Annotated[float, Field(ge=10, le=86_400)] = 600.0
    base_load: Annotated[float, Field(ge=0)] = 100.0
    peak_load: Annotated[float, Field(ge=0)] = 900.0
    bursts_per_day: Annotated[float, Field(ge=0, le=100)] = 2.0
    capacity_per_instance: Annotated[float, Field(gt=0)] = 100.0
    seed: Annotated[int, Strict()] = 7


class MetricsConfig(_Model):
    prometheus: PrometheusConfig | None = None
    synthetic: SyntheticConfig | None = None
    timeout_seconds: PositiveSeconds = 5.0


class BusyCareConfig(_Model):
    """Busy protection (docs/instance-care.md): protect instances whose metric says busy.

    ``metric`` is a vector by instance id (e.g. jobs in progress per instance). An
    instance is busy when its value is above ``busyAbove``; a busy instance becomes idle
    only after ``idleTicks`` consecutive ticks at or below ``idleAtOrBelow`` (hysteresis
    against a flapping metric). The defaults fit a jobs-in-progress count.
    """

    enabled: Annotated[bool, Strict()] = True
    metric: MetricRefSpec
    busy_above: Annotated[float, Strict(), Field(allow_inf_nan=False)] = 0.0
    idle_at_or_below: Annotated[float, Strict(), Field(allow_inf_nan=False)] = 0.0
    idle_ticks: Annotated[int, Strict(), Field(ge=1, le=1000)] = 3

    @model_validator(mode="after")
    def _band(self) -> BusyCareConfig:
        if self.idle_at_or_below > self.busy_above:
            raise ValueError("idleAtOrBelow must be <= busyAbove")
        self.metric.to_ref()  # exactly one source
        return self


class MaintenanceCareConfig(_Model):
    """Maintenance standby: EnterStandby, ECS RedeployInstance, ExitStandby."""

    enabled: Annotated[bool, Strict()] = True
    force_stop: Annotated[bool, Strict()] = False
    max_concurrent: Annotated[int, Strict(), Field(ge=1, le=20)] = 1
    redeploy_on_system_failure: Annotated[bool, Strict()] = False
    poll_interval_seconds: Seconds = 60


class RebalanceCareConfig(_Model):
    """Zone rebalance of a MultiAZPolicy BALANCE group (RebalanceInstances)."""

    enabled: Annotated[bool, Strict()] = True
    min_interval_seconds: Seconds = 600
    zones: Annotated[list[Annotated[str, Field(min_length=1)]], Field(max_length=20)] = []


class CareConfig(_Model):
    """Instance care of one group; each flow is off unless its section is given."""

    busy: BusyCareConfig | None = None
    maintenance: MaintenanceCareConfig | None = None
    rebalance: RebalanceCareConfig | None = None


class GroupOverrides(_Model):
    """Per-group controller settings, by the scaling group's name in the policy file."""

    scale_in_cooldown_seconds: Seconds = 300
    scale_out_cooldown_seconds: Seconds = 0
    care: CareConfig | None = None


class LoggingConfig(_Model):
    format: Literal["human", "json"] = "human"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class ControllerConfig(_Model):
    """The whole file."""

    api_version: Literal["autoscaler/v1"]
    mode: Literal["live", "shadow"] = "live"
    interval_seconds: Annotated[float, Field(ge=1, le=3_600)] = 15.0
    listen: Annotated[str, Field(pattern=r"^[^\s:]+:[0-9]{1,5}$")] = "127.0.0.1:9847"
    state: Path = Path(".autoscaler/state.sqlite")
    ess: EssConfig = EssConfig()
    embedded: EmbeddedConfig = EmbeddedConfig()
    metrics: MetricsConfig = MetricsConfig()
    policy_files: Annotated[list[Path], Field(min_length=1, max_length=1000)]
    groups: dict[str, GroupOverrides] = {}
    alerting: AlertingSettings | None = None
    logging: LoggingConfig = LoggingConfig()
    live_view: Annotated[bool, Strict()] = True
