"""Settings of the emulated ESS account: region, timings, quotas and zones.

Quotas default to the documented values (a real account can have them raised, so
they are settings; benchmarks that need 1,000 groups raise them explicitly).
Timings are the emulator's own choices, with the reason next to each default.

Example::

    settings = EmulatorSettings(launch_seconds=30, max_scaling_groups=1000)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["EmulatorSettings"]


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorSettings:
    """Settings of one emulated account in one region (see the module docstring)."""

    region: str = "cn-hangzhou"
    """The region the emulator serves (``RegionId`` of requests, ARIs)."""
    account_id: str = "1344371"
    """Numeric account id in ARIs, as in the reference's examples."""
    zones: tuple[str, ...] = ("cn-hangzhou-g", "cn-hangzhou-h", "cn-hangzhou-i")
    """Zones of the region: instances of classic (no VSwitch) groups are spread over them."""
    vswitch_zones: Mapping[str, str] = field(default_factory=_frozen)
    """Known VSwitch -> zone; an unknown VSwitch id maps to a zone by a stable hash."""
    zone_stock: Mapping[str, int] | None = None
    """Most ECS instances a zone holds at a time (None: unlimited); models stock
    shortages, which make scale-out activities end Warning or Failed."""

    launch_seconds: float = 60.0
    """Seconds an instance stays Pending before InService. A real ECS launch plus SLB
    attachment takes about one minute."""
    removal_seconds: float = 30.0
    """Seconds an instance stays Removing: SLB detach and stop take less than a launch."""
    attach_seconds: float = 10.0
    """Seconds an attached or detached existing instance takes (no launch involved)."""

    max_scaling_groups: int = 20
    """CreateScalingGroup: "You can create up to 20 scaling groups"."""
    max_rules_per_group: int = 50
    """CreateScalingRule: "A maximum of 50 scaling rules can be created in a scaling group"."""
    max_scheduled_tasks: int = 20
    """CreateScheduledTask: "You can create up to 20 scheduled tasks"."""
    max_hooks_per_group: int = 6
    """CreateLifecycleHook: at most six lifecycle hooks per group."""
    max_auto_created_instances: int = 1000
    """ExecuteScalingRule: at most 1,000 auto-created instances across all groups."""
    max_configurations_per_group: int = 10
    """QuotaExceeded.ScalingConfiguration: the reference names the code, not the number;
    10 per group is the console's long-standing default (docs/emulator-fidelity.md)."""
    max_group_size: int = 100
    """MinSize/MaxSize range [0, 100] of CreateScalingGroup; raised for benchmarks."""
    max_notification_configurations: int = 5
    """NotificationConfigurationQuotaExceed.ForScalingGroup: the number is not documented;
    5 is our choice (docs/emulator-fidelity.md)."""
    activity_history_days: int = 30
    """DescribeScalingActivities returns the activities of the last 30 days."""
    mns_queues: frozenset[str] | None = None
    """Names of the MNS queues that exist (None: every well-formed queue name exists).
    A notification target naming another queue is ``QueueNotExist``."""
    mns_topics: frozenset[str] | None = None
    """Names of the MNS topics that exist (None: every well-formed topic name exists)."""
    mns_available: bool = True
    """Whether MNS is offered in the region; when not, a queue or topic target is
    ``UnsupportedNotificationType.CurrentRegion`` (the reference: "not available in some regions")."""

    def __post_init__(self) -> None:
        if not self.zones:
            raise ValueError("zones: at least one zone is required")
        for name in ("launch_seconds", "removal_seconds", "attach_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0")
        for name in (
            "max_scaling_groups",
            "max_rules_per_group",
            "max_scheduled_tasks",
            "max_hooks_per_group",
            "max_auto_created_instances",
            "max_configurations_per_group",
            "max_group_size",
            "max_notification_configurations",
            "activity_history_days",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0")
        if not self.account_id.isdigit():
            raise ValueError("account_id: must be a numeric string")
        object.__setattr__(self, "vswitch_zones", _frozen(self.vswitch_zones))
        if self.zone_stock is not None:
            object.__setattr__(self, "zone_stock", MappingProxyType(dict(self.zone_stock)))
