"""The ESS wire models: round trips on the reference's examples, validation, time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
import yaml

from autoscaler.ess.model import (
    LifecycleHook,
    NotificationConfiguration,
    ScalingActivity,
    ScalingConfiguration,
    ScalingGroup,
    ScalingInstance,
    ScalingRule,
    ScheduledTask,
    WireFormatError,
    format_time,
    parse_time,
    scaling_rule_ari,
)

GROUP = {
    "ScalingGroupId": "b8pYCVbIV5k9cz4PWpbe0k19", "ScalingGroupName": "b8pYCVbIV5k9cz4PWpbe0k19",
    "RegionId": "cn-qingdao", "RemovingCapacity": 0, "DefaultCooldown": 300, "MinSize": 1, "MaxSize": 2,
    "LifecycleState": "Inactive", "ActiveScalingConfigurationId": "dyo713cNYIB4ddEVlKbcpOef",
    "LoadBalancerIds": {"LoadBalancerId": ["147b46d767c-cn-qingdao-cm5-a01"]}, "PendingCapacity": 0,
    "TotalCapacity": 0, "ActiveCapacity": 0, "CreationTime": "2014-08-14T10:58Z",
    "DBInstanceIds": {"DBInstanceId": ["rdsia3u3yia3u3y", "rdszzzyyunybaeu"]}, "VSwitchId": "vpc-25j4god4l",
    "RemovalPolicies": {"RemovalPolicy": ["OldestScalingConfiguration", "OldestInstance"]},
}
INSTANCE = {
    "ScalingConfigurationId": "bU5uZHcAgtzwcL4IeDeavqTS", "CreationType": "AutoCreated", "InstanceId": "i-28sov3exk",
    "CreationTime": "2014-08-14T10:59Z", "HealthStatus": "Healthy", "LifecycleState": "InService",
    "ScalingGroupId": "dE9YbOdCHqaFdFZHXVdDjQCB",
}
ACTIVITY = {
    "Cause": 'A scheduled task excuete scaling rule "srtest", changing the Total Capacity from "0" to "1".',
    "Description": 'Add "1" ECS instance', "EndTime": "2014-08-17T12:39Z", "Progress": 100,
    "ScalingActivityId": "ebta5WbUzC8gcwUWvfchyT4U", "ScalingGroupId": "AG6CQdPU8OKdwLjgZcJ2eaQ",
    "StartTime": "2014-08-17T12:39Z", "StatusCode": "Successful", "StatusMessage": '"1" ECS instances is added.',
}
RULE = {
    "ScalingRuleId": "efcqrZdjlookc0UkE3dA5I0a",
    "ScalingRuleAri": "ari:acs:ess:cn-qingdao:1344371:scalingRule/efcqrZdjlookc0UkE3dA5I0a", "Cooldown": 500,
    "ScalingGroupId": "ccMvs9dcZlE5c9CtrwbXzizr", "AdjustmentType": "TotalCapacity", "ScalingRuleName": "KFJoxGKXXt",
    "AdjustmentValue": 5,
}
CONFIGURATION = {
    "ScalingConfigurationId": "asc-1", "ScalingConfigurationName": "v1", "ScalingGroupId": "asg-1",
    "ImageId": "centos6u5_64_20G_aliaegis_20140703.vhd", "InstanceType": "ecs.t1.small", "SecurityGroupId": "sg-1",
    "InternetChargeType": "PayByTraffic", "InternetMaxBandwidthIn": 200, "InternetMaxBandwidthOut": 0,
    "SystemDiskCategory": "cloud",
    "DataDisks": {"DataDisk": [{"Size": 100, "Category": "cloud", "Device": "/dev/xvdb"}]},
    "LifecycleState": "Active", "CreationTime": "2014-08-14T10:58Z",
}
TASK = {
    "ScheduledTaskId": "edRtShc57WGXdt8TlPbrjsnV", "ScheduledTaskName": "edRtShc57WGXdt8TlPbrjsnV",
    "ScheduledAction": "ari:acs:ess:cn-qingdao:1344371:scalingrule/cCBpdYdQuBe2cUxOdu6piOk",
    "LaunchTime": "2014-08-18T10:52Z", "LaunchExpirationTime": 600, "RecurrenceType": "Daily",
    "RecurrenceValue": "1", "RecurrenceEndTime": "2014-08-20T16:55Z", "TaskEnabled": True,
}
HOOK = {
    "ScalingGroupId": "asg-1", "LifecycleHookId": "ash-1", "LifecycleHookName": "TESTSCALE_OUT",
    "DefaultResult": "CONTINUE", "HeartbeatTimeout": 600, "LifecycleTransition": "SCALE_OUT",
    "NotificationMetadata": "Test", "NotificationArn": "acs:ess:cn-hangzhou:1111111111:queue/queue1",
}
NOTIFICATION = {
    "ScalingGroupId": "asg-1", "NotificationArn": "acs:ess:cn-hangzhou:123456:cloudmonitor",
    "NotificationTypes": {"NotificationType": ["AUTOSCALING:SCALE_OUT_SUCCESS", "AUTOSCALING:SCALE_IN_SUCCESS"]},
}

CASES: list[tuple[Any, dict[str, Any]]] = [
    (ScalingGroup, GROUP), (ScalingInstance, INSTANCE), (ScalingActivity, ACTIVITY), (ScalingRule, RULE),
    (ScalingConfiguration, CONFIGURATION), (ScheduledTask, TASK), (LifecycleHook, HOOK),
    (NotificationConfiguration, NOTIFICATION),
]


@pytest.mark.parametrize(("model", "body"), CASES, ids=[c[0].__name__ for c in CASES])
def test_the_reference_examples_round_trip(model: Any, body: dict[str, Any]) -> None:
    assert model.from_wire(body).to_wire() == body


def test_the_catalogue_examples_round_trip(shared_dir: Path) -> None:
    text = (shared_dir / "spec" / "ess-api-part1.yaml").read_text("utf-8")
    actions = {a["name"]: a for a in yaml.safe_load(text)["actions"]}
    groups = actions["DescribeScalingGroups"]["example_response_json"]["ScalingGroups"]["ScalingGroup"]
    rules = actions["DescribeScalingRules"]["example_response_json"]["ScalingRules"]["ScalingRule"]
    instances = actions["DescribeScalingInstances"]["example_response_json"]["ScalingInstances"]["ScalingInstance"]
    for model, items in ((ScalingGroup, groups), (ScalingRule, rules), (ScalingInstance, instances)):
        for item in items:
            assert model.from_wire(item).to_wire() == item


def test_fields_are_typed_inside() -> None:
    group = ScalingGroup.from_wire(GROUP)
    assert group.creation_time == datetime(2014, 8, 14, 10, 58, tzinfo=UTC)
    assert group.removal_policies == ("OldestScalingConfiguration", "OldestInstance")
    assert group.min_size == 1
    task = ScheduledTask.from_wire({**TASK, "TaskEnabled": "false", "LaunchExpirationTime": "30"})
    assert task.task_enabled is False and task.launch_expiration_time == 30


def test_bare_lists_and_numeric_strings_are_accepted() -> None:
    group = ScalingGroup.from_wire({**GROUP, "RemovalPolicies": ["OldestInstance"], "MinSize": "1"})
    assert group.removal_policies == ("OldestInstance",)
    assert group.min_size == 1


def test_unknown_fields_are_ignored() -> None:
    assert ScalingRule.from_wire({**RULE, "Shiny": 1}).to_wire() == RULE


@pytest.mark.parametrize(("model", "body", "field"), [
    (ScalingGroup, {**GROUP, "MinSize": "x"}, "MinSize"),
    (ScalingGroup, {**GROUP, "CreationTime": "yesterday"}, "CreationTime"),
    (ScalingGroup, {k: v for k, v in GROUP.items() if k != "ScalingGroupId"}, "ScalingGroupId"),
    (ScalingGroup, {**GROUP, "LifecycleState": "Sleeping"}, "lifecycle_state"),
    (ScalingGroup, {**GROUP, "MinSize": 3}, "min_size"),
    (ScalingActivity, {**ACTIVITY, "Progress": 101}, "progress"),
    (ScalingRule, {**RULE, "AdjustmentType": "Double"}, "adjustment_type"),
    (ScheduledTask, {**TASK, "TaskEnabled": "maybe"}, "TaskEnabled"),
    (ScalingConfiguration, {**CONFIGURATION, "DataDisks": {"DataDisk": [{"Size": "big"}]}}, "DataDisks[0].Size"),
])
def test_bad_wire_values_name_the_field(model: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(WireFormatError, match=field.replace("[", r"\[").replace("]", r"\]")):
        model.from_wire(body)


def test_models_are_frozen_and_keyword_only() -> None:
    rule = ScalingRule.from_wire(RULE)
    with pytest.raises(AttributeError):
        rule.cooldown = 1  # type: ignore[misc]  # asserting that frozen models refuse assignment
    with pytest.raises(TypeError):
        ScalingRule("asr-1")  # type: ignore[call-arg]  # asserting keyword-only construction


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="start_time"):
        ScalingActivity(scaling_activity_id="a", start_time=datetime(2024, 1, 1))


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: such a datetime is naive too."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.parametrize(("field", "value"), [
    ("lifecycle_state", "Running"), ("health_status", "Sick"), ("creation_type", "Borrowed"),
    ("creation_time", datetime(2024, 1, 1)), ("creation_time", datetime(2024, 1, 1, tzinfo=_NoOffset())),
])
def test_an_instance_model_names_its_bad_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        ScalingInstance(instance_id="i-1", **{field: value})  # type: ignore[arg-type]


def test_an_instance_model_takes_every_documented_value_and_absent_ones() -> None:
    created = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    for state in ("Pending", "Pending:Wait", "InService", "Standby", "Protected", "Removing", "Removing:Wait",
                  "Detaching", None):
        for health in ("Healthy", "Unhealthy", None):
            for creation in ("AutoCreated", "Attached", None):
                model = ScalingInstance(instance_id="i-1", lifecycle_state=state, health_status=health,
                                        creation_type=creation, creation_time=created)
                assert (model.lifecycle_state, model.health_status, model.creation_type) == (state, health, creation)
    assert ScalingInstance(instance_id="i-1").creation_time is None


def test_times_use_minutes_unless_seconds_matter() -> None:
    assert format_time(datetime(2024, 1, 2, 3, 4, tzinfo=UTC)) == "2024-01-02T03:04Z"
    assert format_time(datetime(2024, 1, 2, 3, 4, 5, 999, tzinfo=UTC)) == "2024-01-02T03:04:05Z"
    plus8 = timezone(timedelta(hours=8))
    assert format_time(datetime(2024, 1, 2, 11, 4, tzinfo=plus8)) == "2024-01-02T03:04Z"
    assert parse_time("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(WireFormatError):
        parse_time("2024-02-30T00:00Z")
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2024, 1, 1))


def test_the_ari_has_the_documented_form() -> None:
    assert scaling_rule_ari("cn-qingdao", "1344371", "asr-1") == "ari:acs:ess:cn-qingdao:1344371:scalingrule/asr-1"


def test_an_activity_knows_whether_it_finished() -> None:
    assert ScalingActivity.from_wire(ACTIVITY).finished
    assert not ScalingActivity.from_wire({**ACTIVITY, "StatusCode": "InProgress"}).finished
