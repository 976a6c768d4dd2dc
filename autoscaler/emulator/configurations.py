"""Scaling configurations: Create, Modify, Delete and DescribeScalingConfigurations.

Images, security groups, key pairs, snapshots and RAM roles are not modelled: ids
are recorded as given, and the errors about those resources' existence are never
produced (docs/emulator-fidelity.md). Everything the reference states about the
parameters themselves is checked: ranges, enumerations, the 16 KB Base64
UserData, at most 5 tags, at most 10 instance types, the name rule and its
uniqueness in the group, the per-group quota, and the instance type of the
group's active configuration.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from autoscaler.emulator._common import error, find_group, page, validate_name
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import ConfigurationRecord, GroupRecord
from autoscaler.ess import ess_error
from autoscaler.ess.model import DataDisk, ScalingConfiguration

__all__: list[str] = []

_DISKS = ("cloud", "cloud_efficiency", "cloud_ssd", "ephemeral_ssd")
_DATA_DISK_SIZE = {"cloud": (5, 2000), "cloud_efficiency": (20, 32768), "cloud_ssd": (20, 32768),
                   "ephemeral_ssd": (5, 800)}
_CHOICES = {
    "InternetChargeType": ("PayByBandwidth", "PayByTraffic"),
    "SystemDisk.Category": _DISKS,
    "SpotStrategy": ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"),
}
_RANGES = {
    "InternetMaxBandwidthIn": (1, 200),
    "InternetMaxBandwidthOut": (0, 100),
    "SystemDisk.Size": (40, 500),
    "LoadBalancerWeight": (0, 100),
}
_USER_DATA_BYTES = 16 * 1024


def _check_attributes(ctx: Ctx, p: Params) -> None:
    for name, values in _CHOICES.items():
        p.choice(name, values)
    io = p.get("IoOptimized")
    if io is not None and io not in (("optimized",) if ctx.action.startswith("Create") else ("none", "optimized")):
        raise ess_error("InvalidParameter", name="IoOptimized")
    for name, (low, high) in _RANGES.items():
        p.opt_int(name, low=low, high=high)
    _check_user_data(ctx, p.get("UserData"))
    _check_tags(ctx, p.get("Tags"))
    for n, disk in p.nested("DataDisk").items():
        if n > 16:
            raise ess_error("InvalidParameter", name=f"DataDisk.{n}")
        sub = Params(disk)
        category = sub.get("Category") or "cloud"
        if category not in _DISKS:
            raise ess_error("InvalidParameter", name=f"DataDisk.{n}.Category")
        low, high = _DATA_DISK_SIZE[category]
        size = sub.get("Size")
        if size is not None and not (size.isdigit() and low <= int(size) <= high):
            raise ess_error("InvalidParameter", name=f"DataDisk.{n}.Size")


def _check_user_data(ctx: Ctx, data: str | None) -> None:
    if data is None:
        return
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise error("InvalidUserData.Base64FormatInvalid", ctx.action, source="CreateScalingConfiguration") from None
    if len(raw) > _USER_DATA_BYTES:
        raise error("InvalidUserData.SizeExceeded", ctx.action, source="CreateScalingConfiguration")


def _check_tags(ctx: Ctx, tags: str | None) -> None:
    if tags is None:
        return
    try:
        value = json.loads(tags)
    except ValueError:
        raise ess_error("InvalidParameter", name="Tags") from None
    if not isinstance(value, dict):
        raise ess_error("InvalidParameter", name="Tags")
    if len(value) > 5:
        raise error("InvalidTags.ListSize", ctx.action, source="CreateScalingConfiguration")
    for key, val in value.items():
        if not key or not isinstance(val, str):
            raise error("InvalidTags.KeyValue", ctx.action, source="CreateScalingConfiguration")
        for text, limit in ((key, 64), (val, 128)):
            if len(text) > limit or text.startswith(("aliyun", "http://", "https://")):
                raise ess_error("InvalidParameter", name="Tags")


def _check_unique_name(ctx: Ctx, group_id: str, name: str | None, own_id: str | None) -> None:
    if name is None:
        return
    state = ctx.state
    for cid in state.group_configurations.get(group_id, {}):
        if state.configurations[cid].name == name and cid != own_id:
            raise error("InvalidScalingConfigurationName.Duplicate", ctx.action, name="ScalingConfigurationName",
                        source="CreateScalingConfiguration")


def _attributes(p: Params) -> dict[str, str]:
    skip = {"Action", "ScalingGroupId", "ScalingConfigurationId", "RegionId", "InstanceType", "ImageId",
            "SecurityGroupId", "ScalingConfigurationName", "LoadBalancerWeight"}
    common = ("AccessKeyId", "Signature", "Timestamp", "Version", "Format", "SecurityToken")
    return {k: v for k, v in p.raw.items() if k not in skip and not k.startswith(common) and v != ""
            and not k.startswith("InstanceTypes.")}


@action("CreateScalingConfiguration")
def create_scaling_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group = find_group(ctx, p)
    instance_types = p.items("InstanceTypes", max_items=10)
    instance_type = instance_types[0] if instance_types else p.req("InstanceType")
    if p.get("ImageId") is None and p.get("ImageName") is None:
        raise ess_error("MissingParameter", name="ImageId")
    name = validate_name(p, "ScalingConfigurationName")
    _check_unique_name(ctx, group.id, name, None)
    _check_attributes(ctx, p)
    _check_instance_type(ctx, group, instance_type)
    if len(state.group_configurations.get(group.id, {})) >= ctx.settings.max_configurations_per_group:
        raise error("QuotaExceeded.ScalingConfiguration", ctx.action)
    weight = p.opt_int("LoadBalancerWeight")
    config_id = state.new_id("asc")
    config = ConfigurationRecord(
        id=config_id, group_id=group.id, name=name or config_id, instance_type=instance_type,
        security_group_id=p.req("SecurityGroupId"), creation_time=ctx.now, image_id=p.get("ImageId"),
        instance_types=instance_types, load_balancer_weight=50 if weight is None else weight,
        attributes=_attributes(p), seq=state.seq,
    )
    state.configurations[config_id] = config
    state.index(state.group_configurations, group.id)[config_id] = None
    state.touch("configuration", config_id)
    return {"ScalingConfigurationId": config_id}


def _check_instance_type(ctx: Ctx, group: GroupRecord, instance_type: str) -> None:
    active = ctx.state.configurations.get(group.active_configuration_id or "")
    if active is not None and active.instance_type != instance_type:
        raise error("InstanceType.Mismatch", ctx.action, source="CreateScalingConfiguration")


def _find(ctx: Ctx, p: Params) -> ConfigurationRecord:
    config = ctx.state.configurations.get(p.req("ScalingConfigurationId"))
    if config is None:
        raise error("InvalidScalingConfigurationId.NotFound", ctx.action, source="DeleteScalingConfiguration")
    return config


@action("ModifyScalingConfiguration")
def modify_scaling_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    config = _find(ctx, p)
    name = validate_name(p, "ScalingConfigurationName")
    _check_unique_name(ctx, config.group_id, name, config.id)
    _check_attributes(ctx, p)
    instance_types = p.items("InstanceTypes", max_items=10)
    if instance_types and config.lifecycle_state == "Active" and instance_types[0] != config.instance_type:
        group = ctx.state.groups[config.group_id]
        if ctx.state.group_instances.get(group.id):
            raise error("InstanceType.Mismatch", ctx.action, source="CreateScalingConfiguration")
    if name is not None:
        config.name = name
    if p.get("ImageId") is not None:
        config.image_id = p.get("ImageId")
    if instance_types:
        config.instance_types = instance_types
        config.instance_type = instance_types[0]
    weight = p.opt_int("LoadBalancerWeight")
    if weight is not None:
        config.load_balancer_weight = weight
    config.attributes.update(_attributes(p))
    ctx.state.touch("configuration", config.id)
    return {}


@action("DeleteScalingConfiguration")
def delete_scaling_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    config = _find(ctx, p)
    if config.lifecycle_state == "Active":
        raise error("IncorrectScalingConfigurationLifecycleState", ctx.action)
    for inst in state.group_members(config.group_id):
        if inst.configuration_id == config.id:
            raise error("InstanceInUse", ctx.action)
    del state.configurations[config.id]
    state.group_configurations.get(config.group_id, {}).pop(config.id, None)
    state.touch("configuration", config.id)
    return {}


def configuration_model(config: ConfigurationRecord, *, vpc: bool = False) -> ScalingConfiguration:
    """The wire model; network defaults as documented: PayByTraffic in a VPC, PayByBandwidth
    on the classic network, 200 Mbit/s in, 0 out."""
    attrs = config.attributes
    disks = Params(attrs).nested("DataDisk")
    return ScalingConfiguration(
        scaling_configuration_id=config.id, scaling_configuration_name=config.name,
        scaling_group_id=config.group_id, image_id=config.image_id, instance_type=config.instance_type,
        instance_types=tuple(config.instance_types) or None, security_group_id=config.security_group_id,
        internet_charge_type=attrs.get("InternetChargeType", "PayByTraffic" if vpc else "PayByBandwidth"),
        internet_max_bandwidth_in=int(attrs.get("InternetMaxBandwidthIn", 200)),
        internet_max_bandwidth_out=int(attrs.get("InternetMaxBandwidthOut", 0)),
        system_disk_category=attrs.get("SystemDisk.Category"),
        data_disks=tuple(
            DataDisk(size=int(d["Size"]) if "Size" in d else None, category=d.get("Category"),
                     snapshot_id=d.get("SnapshotId"), device=d.get("Device"))
            for d in disks.values()
        ),
        load_balancer_weight=config.load_balancer_weight, lifecycle_state=config.lifecycle_state,
        creation_time=config.creation_time,
    )


@action("DescribeScalingConfigurations")
def describe_scaling_configurations(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group_id = p.get("ScalingGroupId")
    ids = p.items("ScalingConfigurationId", max_items=10)
    names = p.items("ScalingConfigurationName", max_items=10)
    if group_id is not None:
        pool = [state.configurations[c] for c in state.group_configurations.get(group_id, {})]
    else:
        pool = sorted(state.configurations.values(), key=lambda c: c.seq)
    if ids:
        pool = [c for c in pool if c.id in ids]
    if names:
        pool = [c for c in pool if c.name in names]
    items, paging = page(p, pool)
    return {**paging, "ScalingConfigurations": {
        "ScalingConfiguration": [configuration_model(c, vpc=_in_vpc(state, c)).to_wire() for c in items]}}


def _in_vpc(state: Any, config: ConfigurationRecord) -> bool:
    group = state.groups.get(config.group_id)
    return group is not None and bool(group.vswitch_id or group.vswitch_ids)
