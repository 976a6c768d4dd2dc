"""Helpers for controller tests: the shipped configuration, on a virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autoscaler.controller.config import ControllerConfig
from autoscaler.controller.config_loader import load_config

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def shipped_config(tmp_path: Path, **changes: object) -> ControllerConfig:
    """config/autoscaler.yaml with its state files moved into ``tmp_path``."""
    config = load_config(ROOT / "config" / "autoscaler.yaml")
    embedded = config.embedded.model_copy(update={"state": tmp_path / "ess-local.sqlite"})
    update: dict[str, object] = {"state": tmp_path / "state.sqlite", "embedded": embedded}
    update.update(changes)
    return config.model_copy(update=update)
