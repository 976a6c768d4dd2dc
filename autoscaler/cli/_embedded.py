"""The embedded default: ``ess-local`` in process, reached over its real HTTP app.

The controller talks to it exactly as to Alibaba Cloud: every call is signed by the
client, verified by the emulator's front, and parsed back, but the bytes travel
through ``httpx.ASGITransport`` instead of a socket. A demo scaling group is
created (with a scaling configuration, then enabled) if no group of that name
exists, so a new user sees scaling without a cloud account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from autoscaler.clock import Clock
from autoscaler.controller.config import DemoGroupConfig, EmbeddedConfig
from autoscaler.emulator.http import EmulatorApp
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.emulator.store import SqliteStore
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS

__all__ = ["ensure_demo_group", "start_embedded"]

log = logging.getLogger("autoscaler.embedded")

EMBEDDED_ENDPOINT = "http://ess-local.embedded/"


def start_embedded(
    config: EmbeddedConfig, *, clock: Clock, region: str, timeout: float, base: Path,
    observer: Callable[[str, str], None] | None = None,
) -> tuple[EssClient, Any]:
    """An EssClient wired to an in-process emulator; returns (client, service).

    ``config.state`` (relative to ``base``) keeps the emulator's state across restarts.
    """
    settings = EmulatorSettings(region=region, launch_seconds=config.launch_seconds,
                                removal_seconds=min(5.0, config.launch_seconds))
    store: SqliteStore | None = None
    if config.state is not None:
        path = config.state if config.state.is_absolute() else base / config.state
        path.parent.mkdir(parents=True, exist_ok=True)
        store = SqliteStore(path)
    service = EssService(clock, settings=settings, store=store)
    app = EmulatorApp(service, clock=clock)
    client = EssClient(credentials=EXAMPLE_CREDENTIALS, region=region, clock=clock, endpoint=EMBEDDED_ENDPOINT,
                       transport=httpx.ASGITransport(app=app), timeout=timeout, observer=observer)
    return client, service


async def ensure_demo_group(client: EssClient, demo: DemoGroupConfig) -> str:
    """The demo group's id, creating and enabling it if missing."""
    found = await client.describe_scaling_groups(names=[demo.name])
    if found:
        return found[0].scaling_group_id
    group_id = await client.create_scaling_group(
        min_size=demo.min_size, max_size=demo.max_size, ScalingGroupName=demo.name,
        DefaultCooldown=demo.default_cooldown, RemovalPolicy=["NewestInstance", "OldestScalingConfiguration"],
    )
    config_id = await client.create_scaling_configuration(
        group_id, instance_type="ecs.g6.large", security_group_id="sg-demo", ImageId="ubuntu_22_04_x64_20G",
        ScalingConfigurationName="demo-config",
    )
    await client.enable_scaling_group(group_id, configuration_id=config_id)
    log.info("created the demo scaling group %s (%s), MinSize %d, MaxSize %d",
             demo.name, group_id, demo.min_size, demo.max_size)
    return group_id
