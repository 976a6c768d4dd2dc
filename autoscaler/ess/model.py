"""Frozen, typed models of the ESS resources, with ``from_wire()`` / ``to_wire()``.

The field names are those of the reference's response types (2014-08-28 JSON
shape: lists wrapped, ``{"RemovalPolicies": {"RemovalPolicy": [...]}}``). The
emulator renders its Describe* responses through these models and the client
parses them back with the same code, so the two cannot drift:
``Model.from_wire(body).to_wire() == body`` for every documented field.

Each model declares its wire mapping once (``_WIRE``: attribute, wire name, kind);
``from_wire`` and ``to_wire`` are generic over it. Kinds: ``str``, ``int``,
``bool``, ``time`` (aware UTC datetime inside, ``YYYY-MM-DDThh:mmZ`` or
``YYYY-MM-DDThh:mm:ssZ`` outside), ``list:Outer/Inner`` (a wrapped list of
strings) and ``models:Outer/Inner`` (a wrapped list of sub-models). Optional
fields are ``None`` inside and absent outside.

Construction validates (keyword-only; errors name the field)::

    >>> ScalingRule(scaling_rule_id="asr-1", scaling_group_id="asg-1", scaling_rule_name="up",
    ...             adjustment_type="QuantityChangeInCapacity", adjustment_value=1,
    ...             scaling_rule_ari="ari:acs:ess:cn-hangzhou:1:scalingrule/asr-1").to_wire()["AdjustmentValue"]
    1

A few fields newer than the 2019 reference are modelled because the emulator
returns them and the real service does too (``MultiAZPolicy``, ``ScalingPolicy``,
``VSwitchIds``, ``ZoneId``, ``MinAdjustmentMagnitude``...); they are optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from autoscaler.ess.wire import WireFormatError, parse_timestamp

__all__ = [
    "DataDisk",
    "LifecycleHook",
    "NotificationConfiguration",
    "ScalingActivity",
    "ScalingConfiguration",
    "ScalingGroup",
    "ScalingInstance",
    "ScalingRule",
    "ScheduledTask",
    "WireFormatError",
    "format_time",
    "parse_time",
    "scaling_rule_ari",
]


def parse_time(text: str, *, field: str = "time") -> datetime:
    """Parse ``YYYY-MM-DDThh:mmZ`` or ``YYYY-MM-DDThh:mm:ssZ`` into an aware UTC datetime."""
    return parse_timestamp(text.strip(), field=field)


def format_time(value: datetime) -> str:
    """ESS wire time: minutes when the seconds are zero, else seconds (sub-seconds dropped)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} (a timezone is required)")
    utc = value.astimezone(UTC)
    if utc.second == 0:
        return utc.strftime("%Y-%m-%dT%H:%MZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def scaling_rule_ari(region: str, account_id: str, rule_id: str) -> str:
    """The documented ARI form ``ari:acs:ess:{region}:{account}:scalingrule/{id}``."""
    return f"ari:acs:ess:{region}:{account_id}:scalingrule/{rule_id}"


def _decode(kind: str, value: Any, field: str) -> Any:
    if value is None:
        return None
    if kind == "str":
        if not isinstance(value, str):
            raise WireFormatError(f"{field}: expected a string, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise WireFormatError(f"{field}: expected an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise WireFormatError(f"{field}: expected an integer, got {value!r}") from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise WireFormatError(f"{field}: expected a boolean, got {value!r}")
    if kind == "time":
        if not isinstance(value, str):
            raise WireFormatError(f"{field}: expected a time string, got {value!r}")
        return parse_time(value, field=field)
    wrapper, _, inner = kind.partition(":")[2].partition("/")
    items = _unwrap(value, inner, field)
    if kind.startswith("list:"):
        return tuple(_decode("str", item, f"{field}[{i}]") for i, item in enumerate(items))
    model = _SUBMODELS[wrapper]
    return tuple(model.from_wire(item, path=f"{field}[{i}]") for i, item in enumerate(items))


def _unwrap(value: Any, inner: str, field: str) -> list[Any]:
    # Wrapped ({"RemovalPolicy": [...]}) as documented; a bare list is accepted too,
    # as some newer endpoints and the reference's JSON examples send one.
    if isinstance(value, dict):
        value = value.get(inner, [])
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise WireFormatError(f"{field}: expected a list, got {value!r}")
    return value


def _encode(kind: str, value: Any) -> Any:
    if kind == "time":
        return format_time(value)
    if kind.startswith("list:"):
        inner = kind.partition("/")[2]
        return {inner: list(value)}
    if kind.startswith("models:"):
        inner = kind.partition("/")[2]
        return {inner: [item.to_wire() for item in value]}
    return value


_PLAIN = frozenset({"str", "int", "bool"})


class _WireModel:
    """Generic ``from_wire`` / ``to_wire`` over the class's ``_WIRE`` table."""

    _WIRE: ClassVar[tuple[tuple[str, str, str], ...]]
    _REQUIRED: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_wire(cls, body: dict[str, Any], *, path: str = "") -> Self:
        """Parse one item of a response (unknown keys are ignored)."""
        if not isinstance(body, dict):
            raise WireFormatError(f"{path or cls.__name__}: expected an object, got {body!r}")
        kwargs: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for attr, wire, kind in cls._WIRE:
            value = body.get(wire)
            if value is None and attr in cls._REQUIRED:
                raise WireFormatError(f"{prefix}{wire}: missing")
            decoded = _decode(kind, value, prefix + wire)
            if decoded is not None:
                kwargs[attr] = decoded
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise WireFormatError(f"{path or cls.__name__}: {exc}") from None

    def to_wire(self) -> dict[str, Any]:
        """The wire form: documented field names, lists wrapped, optional ``None`` fields left out."""
        out: dict[str, Any] = {}
        for attr, wire, kind in self._WIRE:
            value = getattr(self, attr)
            if value is not None:
                out[wire] = value if kind in _PLAIN else _encode(kind, value)
        return out


def _check_aware(field: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{field}: naive datetime (a timezone is required)")


def _check_non_negative(field: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{field}: must be >= 0, got {value}")


def _check_choice(field: str, value: str | None, allowed: frozenset[str]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{field}: {value!r} is not one of {sorted(allowed)}")


GROUP_STATES = frozenset({"Active", "Inactive", "Deleting"})
INSTANCE_STATES = frozenset(
    {"Pending", "Pending:Wait", "InService", "Standby", "Protected", "Removing", "Removing:Wait", "Detaching"}
)
ACTIVITY_STATES = frozenset({"InProgress", "Successful", "Warning", "Failed", "Rejected"})
ADJUSTMENT_TYPES = frozenset({"QuantityChangeInCapacity", "PercentChangeInCapacity", "TotalCapacity"})
_HEALTH_STATES = frozenset({"Healthy", "Unhealthy"})
_CREATION_TYPES = frozenset({"AutoCreated", "Attached"})  # (both built once: every instance model checks them)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingGroup(_WireModel):
    """A scaling group as DescribeScalingGroups returns it."""

    scaling_group_id: str
    scaling_group_name: str | None = None
    active_scaling_configuration_id: str | None = None
    launch_template_id: str | None = None
    launch_template_version: str | None = None
    region_id: str | None = None
    min_size: int = 0
    max_size: int = 0
    default_cooldown: int | None = None
    removal_policies: tuple[str, ...] = ()
    load_balancer_ids: tuple[str, ...] | None = None
    db_instance_ids: tuple[str, ...] | None = None
    vswitch_id: str | None = None
    vswitch_ids: tuple[str, ...] | None = None
    lifecycle_state: str = "Inactive"
    total_capacity: int = 0
    active_capacity: int = 0
    pending_capacity: int = 0
    removing_capacity: int = 0
    standby_capacity: int | None = None
    protected_capacity: int | None = None
    multi_az_policy: str | None = None
    scaling_policy: str | None = None
    creation_time: datetime | None = None

    _WIRE = (
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("scaling_group_name", "ScalingGroupName", "str"),
        ("active_scaling_configuration_id", "ActiveScalingConfigurationId", "str"),
        ("launch_template_id", "LaunchTemplateId", "str"),
        ("launch_template_version", "LaunchTemplateVersion", "str"),
        ("region_id", "RegionId", "str"),
        ("min_size", "MinSize", "int"),
        ("max_size", "MaxSize", "int"),
        ("default_cooldown", "DefaultCooldown", "int"),
        ("removal_policies", "RemovalPolicies", "list:RemovalPolicies/RemovalPolicy"),
        ("load_balancer_ids", "LoadBalancerIds", "list:LoadBalancerIds/LoadBalancerId"),
        ("db_instance_ids", "DBInstanceIds", "list:DBInstanceIds/DBInstanceId"),
        ("vswitch_id", "VSwitchId", "str"),
        ("vswitch_ids", "VSwitchIds", "list:VSwitchIds/VSwitchId"),
        ("lifecycle_state", "LifecycleState", "str"),
        ("total_capacity", "TotalCapacity", "int"),
        ("active_capacity", "ActiveCapacity", "int"),
        ("pending_capacity", "PendingCapacity", "int"),
        ("removing_capacity", "RemovingCapacity", "int"),
        ("standby_capacity", "StandbyCapacity", "int"),
        ("protected_capacity", "ProtectedCapacity", "int"),
        ("multi_az_policy", "MultiAZPolicy", "str"),
        ("scaling_policy", "ScalingPolicy", "str"),
        ("creation_time", "CreationTime", "time"),
    )
    _REQUIRED = frozenset({"scaling_group_id"})

    def __post_init__(self) -> None:
        for name in ("min_size", "max_size", "default_cooldown", "total_capacity", "active_capacity",
                     "pending_capacity", "removing_capacity", "standby_capacity", "protected_capacity"):
            _check_non_negative(name, getattr(self, name))
        if self.min_size > self.max_size:
            raise ValueError(f"min_size: {self.min_size} is greater than max_size {self.max_size}")
        _check_choice("lifecycle_state", self.lifecycle_state, GROUP_STATES)
        _check_aware("creation_time", self.creation_time)


@dataclass(frozen=True, slots=True, kw_only=True)
class DataDisk(_WireModel):
    """One data disk of a scaling configuration."""

    size: int | None = None
    category: str | None = None
    snapshot_id: str | None = None
    device: str | None = None

    _WIRE = (
        ("size", "Size", "int"),
        ("category", "Category", "str"),
        ("snapshot_id", "SnapshotId", "str"),
        ("device", "Device", "str"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingConfiguration(_WireModel):
    """A scaling configuration as DescribeScalingConfigurations returns it."""

    scaling_configuration_id: str
    scaling_configuration_name: str | None = None
    scaling_group_id: str | None = None
    image_id: str | None = None
    instance_type: str | None = None
    instance_types: tuple[str, ...] | None = None
    security_group_id: str | None = None
    internet_charge_type: str | None = None
    internet_max_bandwidth_in: int | None = None
    internet_max_bandwidth_out: int | None = None
    system_disk_category: str | None = None
    data_disks: tuple[DataDisk, ...] | None = None
    load_balancer_weight: int | None = None
    lifecycle_state: str | None = None
    creation_time: datetime | None = None

    _WIRE = (
        ("scaling_configuration_id", "ScalingConfigurationId", "str"),
        ("scaling_configuration_name", "ScalingConfigurationName", "str"),
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("image_id", "ImageId", "str"),
        ("instance_type", "InstanceType", "str"),
        ("instance_types", "InstanceTypes", "list:InstanceTypes/InstanceType"),
        ("security_group_id", "SecurityGroupId", "str"),
        ("internet_charge_type", "InternetChargeType", "str"),
        ("internet_max_bandwidth_in", "InternetMaxBandwidthIn", "int"),
        ("internet_max_bandwidth_out", "InternetMaxBandwidthOut", "int"),
        ("system_disk_category", "SystemDiskCategory", "str"),
        ("data_disks", "DataDisks", "models:DataDisks/DataDisk"),
        ("load_balancer_weight", "LoadBalancerWeight", "int"),
        ("lifecycle_state", "LifecycleState", "str"),
        ("creation_time", "CreationTime", "time"),
    )
    _REQUIRED = frozenset({"scaling_configuration_id"})

    def __post_init__(self) -> None:
        _check_choice("lifecycle_state", self.lifecycle_state, frozenset({"Active", "Inactive"}))
        _check_aware("creation_time", self.creation_time)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingRule(_WireModel):
    """A simple scaling rule as DescribeScalingRules returns it."""

    scaling_rule_id: str
    scaling_group_id: str | None = None
    scaling_rule_name: str | None = None
    cooldown: int | None = None
    adjustment_type: str | None = None
    adjustment_value: int | None = None
    min_adjustment_magnitude: int | None = None
    scaling_rule_ari: str | None = None

    _WIRE = (
        ("scaling_rule_id", "ScalingRuleId", "str"),
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("scaling_rule_name", "ScalingRuleName", "str"),
        ("cooldown", "Cooldown", "int"),
        ("adjustment_type", "AdjustmentType", "str"),
        ("adjustment_value", "AdjustmentValue", "int"),
        ("min_adjustment_magnitude", "MinAdjustmentMagnitude", "int"),
        ("scaling_rule_ari", "ScalingRuleAri", "str"),
    )
    _REQUIRED = frozenset({"scaling_rule_id"})

    def __post_init__(self) -> None:
        _check_choice("adjustment_type", self.adjustment_type, ADJUSTMENT_TYPES)
        _check_non_negative("cooldown", self.cooldown)
        _check_non_negative("min_adjustment_magnitude", self.min_adjustment_magnitude)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingInstance(_WireModel):
    """An instance of a scaling group as DescribeScalingInstances returns it."""

    instance_id: str
    scaling_group_id: str | None = None
    scaling_configuration_id: str | None = None
    health_status: str | None = None
    lifecycle_state: str | None = None
    creation_time: datetime | None = None
    creation_type: str | None = None
    zone_id: str | None = None
    load_balancer_weight: int | None = None

    _WIRE = (
        ("instance_id", "InstanceId", "str"),
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("scaling_configuration_id", "ScalingConfigurationId", "str"),
        ("health_status", "HealthStatus", "str"),
        ("lifecycle_state", "LifecycleState", "str"),
        ("creation_time", "CreationTime", "time"),
        ("creation_type", "CreationType", "str"),
        ("zone_id", "ZoneId", "str"),
        ("load_balancer_weight", "LoadBalancerWeight", "int"),
    )
    _REQUIRED = frozenset({"instance_id"})

    def __post_init__(self) -> None:
        _check_choice("lifecycle_state", self.lifecycle_state, INSTANCE_STATES)
        _check_choice("health_status", self.health_status, _HEALTH_STATES)
        _check_choice("creation_type", self.creation_type, _CREATION_TYPES)
        _check_aware("creation_time", self.creation_time)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingActivity(_WireModel):
    """A scaling activity as DescribeScalingActivities returns it."""

    scaling_activity_id: str
    scaling_group_id: str | None = None
    description: str | None = None
    cause: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    progress: int | None = None
    status_code: str | None = None
    status_message: str | None = None

    _WIRE = (
        ("scaling_activity_id", "ScalingActivityId", "str"),
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("description", "Description", "str"),
        ("cause", "Cause", "str"),
        ("start_time", "StartTime", "time"),
        ("end_time", "EndTime", "time"),
        ("progress", "Progress", "int"),
        ("status_code", "StatusCode", "str"),
        ("status_message", "StatusMessage", "str"),
    )
    _REQUIRED = frozenset({"scaling_activity_id"})

    def __post_init__(self) -> None:
        _check_choice("status_code", self.status_code, ACTIVITY_STATES)
        if self.progress is not None and not 0 <= self.progress <= 100:
            raise ValueError(f"progress: must be within [0, 100], got {self.progress}")
        _check_aware("start_time", self.start_time)
        _check_aware("end_time", self.end_time)

    @property
    def finished(self) -> bool:
        return self.status_code is not None and self.status_code != "InProgress"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledTask(_WireModel):
    """A scheduled task as DescribeScheduledTasks returns it."""

    scheduled_task_id: str
    scheduled_task_name: str | None = None
    description: str | None = None
    scheduled_action: str | None = None
    launch_time: datetime | None = None
    launch_expiration_time: int | None = None
    recurrence_type: str | None = None
    recurrence_value: str | None = None
    recurrence_end_time: datetime | None = None
    task_enabled: bool | None = None

    _WIRE = (
        ("scheduled_task_id", "ScheduledTaskId", "str"),
        ("scheduled_task_name", "ScheduledTaskName", "str"),
        ("description", "Description", "str"),
        ("scheduled_action", "ScheduledAction", "str"),
        ("launch_time", "LaunchTime", "time"),
        ("launch_expiration_time", "LaunchExpirationTime", "int"),
        ("recurrence_type", "RecurrenceType", "str"),
        ("recurrence_value", "RecurrenceValue", "str"),
        ("recurrence_end_time", "RecurrenceEndTime", "time"),
        ("task_enabled", "TaskEnabled", "bool"),
    )
    _REQUIRED = frozenset({"scheduled_task_id"})

    def __post_init__(self) -> None:
        _check_choice("recurrence_type", self.recurrence_type, frozenset({"Daily", "Weekly", "Monthly", "Cron"}))
        _check_non_negative("launch_expiration_time", self.launch_expiration_time)
        _check_aware("launch_time", self.launch_time)
        _check_aware("recurrence_end_time", self.recurrence_end_time)


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleHook(_WireModel):
    """A lifecycle hook as DescribeLifecycleHooks returns it."""

    lifecycle_hook_id: str
    scaling_group_id: str | None = None
    lifecycle_hook_name: str | None = None
    default_result: str | None = None
    heartbeat_timeout: int | None = None
    lifecycle_transition: str | None = None
    notification_metadata: str | None = None
    notification_arn: str | None = None

    _WIRE = (
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("lifecycle_hook_id", "LifecycleHookId", "str"),
        ("lifecycle_hook_name", "LifecycleHookName", "str"),
        ("default_result", "DefaultResult", "str"),
        ("heartbeat_timeout", "HeartbeatTimeout", "int"),
        ("lifecycle_transition", "LifecycleTransition", "str"),
        ("notification_metadata", "NotificationMetadata", "str"),
        ("notification_arn", "NotificationArn", "str"),
    )
    _REQUIRED = frozenset({"lifecycle_hook_id"})

    def __post_init__(self) -> None:
        _check_choice("default_result", self.default_result, frozenset({"CONTINUE", "ABANDON"}))
        _check_choice("lifecycle_transition", self.lifecycle_transition, frozenset({"SCALE_OUT", "SCALE_IN"}))
        _check_non_negative("heartbeat_timeout", self.heartbeat_timeout)


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationConfiguration(_WireModel):
    """A notification configuration as DescribeNotificationConfigurations returns it."""

    scaling_group_id: str
    notification_arn: str
    notification_types: tuple[str, ...] = ()

    _WIRE = (
        ("scaling_group_id", "ScalingGroupId", "str"),
        ("notification_arn", "NotificationArn", "str"),
        ("notification_types", "NotificationTypes", "list:NotificationTypes/NotificationType"),
    )
    _REQUIRED = frozenset({"scaling_group_id", "notification_arn"})


_SUBMODELS: dict[str, type[_WireModel]] = {"DataDisks": DataDisk}
