"""From a group's ``care`` configuration to its :class:`CareCoordinator` (or none)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from autoscaler.controller.care._model import CareApi, CareStep, MetricReader
from autoscaler.controller.care.busy import BusyProtection, BusySettings
from autoscaler.controller.care.coordinator import CareCoordinator
from autoscaler.controller.care.maintenance import Maintenance, MaintenanceSettings
from autoscaler.controller.care.rebalance import Rebalance, RebalanceSettings
from autoscaler.controller.care_state import CareStateStore
from autoscaler.controller.config import CareConfig

__all__ = ["build_care"]


def build_care(
    group_id: str, name: str, config: CareConfig | None, *, api: CareApi, metrics: MetricReader,
    store: CareStateStore, shadow: bool, sources: Collection[str] | None = None,
) -> CareCoordinator | None:
    """The coordinator of the enabled flows, in their fixed order; None when none is enabled.

    ``sources`` are the configured metric sources (``prometheus``, ...): a busy metric
    from a source that is not configured is an error now, not a skipped step at every tick.
    """
    if config is None:
        return None
    steps: list[CareStep] = []
    maintenance = config.maintenance
    if maintenance is not None and maintenance.enabled:
        settings = MaintenanceSettings(
            force_stop=maintenance.force_stop, max_concurrent=maintenance.max_concurrent,
            redeploy_on_system_failure=maintenance.redeploy_on_system_failure,
            poll_interval=timedelta(seconds=maintenance.poll_interval_seconds),
        )
        steps.append(Maintenance(settings, api=api, store=store, shadow=shadow))
    busy = config.busy
    if busy is not None and busy.enabled:
        ref = busy.metric.to_ref()
        if sources is not None and ref.source.value not in sources:
            raise ValueError(f"groups.{name}.care.busy.metric: no {ref.source.value} source is configured "
                             f"(metrics.{ref.source.value})")
        busy_settings = BusySettings(metric=ref, busy_above=busy.busy_above,
                                     idle_at_or_below=busy.idle_at_or_below, idle_ticks=busy.idle_ticks)
        steps.append(BusyProtection(busy_settings, api=api, metrics=metrics, shadow=shadow))
    rebalance = config.rebalance
    if rebalance is not None and rebalance.enabled:
        rebalance_settings = RebalanceSettings(min_interval=timedelta(seconds=rebalance.min_interval_seconds),
                                               zones=tuple(rebalance.zones))
        steps.append(Rebalance(rebalance_settings, api=api, store=store, shadow=shadow))
    if not steps:
        return None
    return CareCoordinator(group_id, name, api=api, steps=steps)
