"""Instance care: busy protection, maintenance standby, zone balance (docs/instance-care.md).

The controller counts instances; this package looks after each one. Each flow is a
:class:`CareStep` (``async apply(view, now) -> CareReport``) of one group, switched on
per group in the configuration (``groups.<name>.care``), and honours shadow mode
(compute and report, no write call). The :class:`CareCoordinator` runs a group's steps
once per tick and :func:`bound_decision` makes the tick's scaling decision respect
them (scale out first for maintenance; never ask a scale-in for protected instances).

- :mod:`.busy`: SetInstancesProtection from a per-instance metric, with hysteresis;
- :mod:`.maintenance`: EnterStandby, ECS RedeployInstance, ExitStandby, journaled;
- :mod:`.rebalance`: RebalanceInstances for BALANCE groups, rate-limited.
"""

from autoscaler.controller.care._build import build_care
from autoscaler.controller.care._model import (
    CareAction,
    CareApi,
    CareReport,
    CareStep,
    CareView,
    MetricReader,
    merge_reports,
)
from autoscaler.controller.care.busy import BusyProtection, BusySettings
from autoscaler.controller.care.coordinator import CareCoordinator, bound_decision
from autoscaler.controller.care.maintenance import Maintenance, MaintenanceSettings
from autoscaler.controller.care.rebalance import Rebalance, RebalanceSettings, zone_imbalance

__all__ = [
    "BusyProtection",
    "BusySettings",
    "CareAction",
    "CareApi",
    "CareCoordinator",
    "CareReport",
    "CareStep",
    "CareView",
    "Maintenance",
    "MaintenanceSettings",
    "MetricReader",
    "Rebalance",
    "RebalanceSettings",
    "bound_decision",
    "build_care",
    "merge_reports",
    "zone_imbalance",
]
