"""The documented response fields of each action, read from the spec catalogues.

A conformance test reads back every documented field: :func:`missing_fields` walks a
response body along the action's documented response (and its ``*SetType`` /
``*ItemType`` definitions) and lists what is absent.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec"

# Fields the reference documents but that only appear when the resource has them
# (a group without an SLB has no LoadBalancerIds), as on the real service.
CONDITIONAL = frozenset({
    "LoadBalancerIds", "DBInstanceIds", "VSwitchId", "VSwitchIds", "ActiveScalingConfigurationId",
    "LaunchTemplateId", "LaunchTemplateVersion", "EndTime", "DataDisks", "RecurrenceType", "RecurrenceValue",
    "RecurrenceEndTime", "NotificationArn", "NotificationMetadata", "Description", "ScalingConfigurationId",
    "SystemDisk.Category", "Cooldown", "VServerGroups",
})


@cache
def _actions() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in ("ess-api-part1.yaml", "ess-api-part2.yaml"):
        doc = yaml.safe_load((SPEC / name).read_text("utf-8"))
        for action in doc["actions"]:
            out[action["name"]] = action
    return out


def documented_response(action: str) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    spec = _actions()[action]
    return list(spec.get("response") or []), dict(spec.get("response_types") or {})


def missing_fields(action: str, body: dict[str, Any]) -> list[str]:
    """Documented fields absent from ``body`` (paths like ``ScalingGroups.ScalingGroup[0].MinSize``)."""
    fields, types = documented_response(action)
    missing: list[str] = []
    _walk(body, fields, types, "", missing)
    return missing


def _walk(
    value: dict[str, Any], fields: list[dict[str, Any]], types: dict[str, list[dict[str, Any]]], path: str,
    missing: list[str],
) -> None:
    for field in fields:
        name = str(field["name"])
        kind = str(field.get("type", ""))
        if name in CONDITIONAL and name not in value:
            continue
        if name not in value:
            missing.append(f"{path}{name}")
            continue
        if kind in types and isinstance(value[name], dict):
            _walk_set(value[name], types[kind], types, f"{path}{name}.", missing)


def _walk_set(
    value: dict[str, Any], fields: list[dict[str, Any]], types: dict[str, list[dict[str, Any]]], path: str,
    missing: list[str],
) -> None:
    # A *SetType wraps one repeated element; its items are *ItemType objects.
    for field in fields:
        name = str(field["name"])
        kind = str(field.get("type", ""))
        items = value.get(name, [])
        if kind in types and isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    _walk(item, types[kind], types, f"{path}{name}[{index}].", missing)
