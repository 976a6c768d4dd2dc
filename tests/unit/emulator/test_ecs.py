"""The ECS side of the emulator: instances, system events, RedeployInstance and DescribeTasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from autoscaler.emulator import ecs
from autoscaler.emulator.ecs import FORCE_STOP_SECONDS, MIGRATE_SECONDS, REBOOT_SECONDS, STOP_SECONDS
from autoscaler.ess import EssError
from autoscaler.ess.wire import format_timestamp

from .conftest import Emu


def step(emu: Emu, seconds: float) -> None:
    emu.clock.advance(seconds)
    emu.service.advance(emu.clock.now())


def status(emu: Emu, instance_id: str) -> str:
    body = emu.call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds=f'["{instance_id}"]')
    [item] = body["Instances"]["Instance"]
    return str(item["Status"])


def task(emu: Emu, task_id: str) -> dict[str, Any]:
    body = emu.call("DescribeTasks", RegionId="cn-hangzhou", TaskIds=task_id, TaskAction="RedeployInstance")
    [item] = body["TaskSet"]["Task"]
    return dict(item)


def events(emu: Emu, **filters: Any) -> list[dict[str, Any]]:
    body = emu.call("DescribeInstanceHistoryEvents", RegionId="cn-hangzhou", **filters)
    return list(body["InstanceSystemEventSet"]["InstanceSystemEventType"])


def test_admin_creates_instances_that_describe_instances_reads(emu: Emu) -> None:
    ids = ecs.admin_create_instances(emu.service, count=2, zone="cn-hangzhou-h")["InstanceIds"]
    body = emu.call("DescribeInstances", RegionId="cn-hangzhou", InstanceIds=str(ids).replace("'", '"'))
    assert [(i["InstanceId"], i["ZoneId"], i["Status"]) for i in body["Instances"]["Instance"]] == [
        (ids[0], "cn-hangzhou-h", "Running"), (ids[1], "cn-hangzhou-h", "Running")]


def test_created_instances_can_be_attached_to_a_group(emu: Emu) -> None:
    gid, _ = emu.group()
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    emu.call("AttachInstances", ScalingGroupId=gid, **emu.n("InstanceId", [instance]))
    emu.settle()
    assert emu.ids(gid) == [instance]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"count": 0}, "count"), ({"count": True}, "count"), ({"status": "Starting"}, "status"), ({"zone": "mars"}, "zone"),
])
def test_admin_create_instances_validates_its_fields(emu: Emu, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(EssError, match=field):
        ecs.admin_create_instances(emu.service, **kwargs)


def test_redeploy_of_a_running_instance_stops_migrates_and_finishes(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    task_id = emu.call("RedeployInstance", InstanceId=instance)["TaskId"]
    assert status(emu, instance) == "Stopping"
    assert task(emu, task_id)["TaskStatus"] == "Processing"
    step(emu, STOP_SECONDS)
    assert status(emu, instance) == "Starting"
    step(emu, MIGRATE_SECONDS - 1)
    assert task(emu, task_id)["TaskStatus"] == "Processing"
    step(emu, 1)
    assert status(emu, instance) == "Running"
    finished = task(emu, task_id)
    assert finished["TaskStatus"] == "Finished"
    assert finished["FinishedTime"] == format_timestamp(emu.clock.now())


def test_force_stop_shortens_the_stop(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    task_id = emu.call("RedeployInstance", InstanceId=instance, ForceStop="true")["TaskId"]
    step(emu, FORCE_STOP_SECONDS)
    assert status(emu, instance) == "Starting"
    step(emu, MIGRATE_SECONDS)
    assert task(emu, task_id)["TaskStatus"] == "Finished"


def test_redeploy_of_a_stopped_instance_starts_it_on_the_new_host(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service, status="Stopped")["InstanceIds"]
    task_id = emu.call("RedeployInstance", InstanceId=instance)["TaskId"]
    assert status(emu, instance) == "Starting"
    step(emu, MIGRATE_SECONDS)
    assert (status(emu, instance), task(emu, task_id)["TaskStatus"]) == ("Running", "Finished")


def test_a_failed_redeploy_returns_the_instance_to_its_prior_state(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service, status="Stopped")["InstanceIds"]
    ecs.admin_set_instance(emu.service, instance_id=instance, fail_next_redeploy=True)
    failed = emu.call("RedeployInstance", InstanceId=instance)["TaskId"]
    step(emu, MIGRATE_SECONDS)
    assert (status(emu, instance), task(emu, failed)["TaskStatus"]) == ("Stopped", "Failed")
    retried = emu.call("RedeployInstance", InstanceId=instance)["TaskId"]  # the failure was for one redeploy
    step(emu, MIGRATE_SECONDS)
    assert task(emu, retried)["TaskStatus"] == "Finished"


def test_redeploy_while_redeploying_is_incorrect_instance_status(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    emu.call("RedeployInstance", InstanceId=instance)
    error = emu.fails("IncorrectInstanceStatus", "RedeployInstance", InstanceId=instance)
    assert error.http_status == 403
    assert error.message == "The current status of the resource does not support this operation."


@pytest.mark.parametrize(("flags", "code"), [
    ({"lock_reason": "security"}, "IncorrectInstanceStatus"),
    ({"dedicated_host": True}, "IncorrectInstanceStatus"),
    ({"expired": True}, "InstanceExpiredOrInArrears"),
    ({"disk_error": True}, "DiskError"),
])
def test_redeploy_refusals_have_their_documented_codes(emu: Emu, flags: dict[str, Any], code: str) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    ecs.admin_set_instance(emu.service, instance_id=instance, **flags)
    error = emu.fails(code, "RedeployInstance", InstanceId=instance)
    assert error.http_status == 403
    assert status(emu, instance) == "Running"
    assert emu.service.state.ecs_tasks == {}


def test_redeploy_of_an_unknown_instance_is_not_found(emu: Emu) -> None:
    error = emu.fails("InvalidInstanceId.NotFound", "RedeployInstance", InstanceId="i-nothing")
    assert "i-nothing" in error.message


def test_admin_set_instance_rejects_unknown_flags(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    with pytest.raises(EssError, match="haunted"):
        ecs.admin_set_instance(emu.service, instance_id=instance, haunted=True)
    with pytest.raises(EssError, match="expired"):
        ecs.admin_set_instance(emu.service, instance_id=instance, expired="yes")


def test_maintenance_event_is_scheduled_and_avoided_by_a_redeploy(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    injected = ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemMaintenance.Redeploy",
                                             not_before=3600)
    [event] = events(emu, InstanceId=instance)
    assert (event["EventId"], event["EventType"]["Name"], event["EventCycleStatus"]["Name"]) == (
        injected["EventId"], "SystemMaintenance.Redeploy", "Scheduled")
    assert event["NotBefore"] == format_timestamp(emu.clock.now() + timedelta(hours=1))
    emu.call("RedeployInstance", InstanceId=instance)
    assert events(emu, InstanceId=instance)[0]["EventCycleStatus"]["Name"] == "Avoided"
    step(emu, 7200)
    assert events(emu, InstanceId=instance)[0]["EventCycleStatus"]["Name"] == "Avoided"
    assert status(emu, instance) == "Running"


def test_an_unhandled_maintenance_reboot_is_executed_at_not_before(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemMaintenance.Reboot", not_before=600)
    step(emu, 599)
    assert status(emu, instance) == "Running"
    step(emu, 1)
    assert (status(emu, instance), events(emu)[0]["EventCycleStatus"]["Name"]) == ("Starting", "Executing")
    step(emu, REBOOT_SECONDS)
    [event] = events(emu)
    assert (status(emu, instance), event["EventCycleStatus"]["Name"]) == ("Running", "Executed")
    assert event["EventFinishTime"] == format_timestamp(emu.clock.now())


def test_system_failure_reboot_is_executing_and_redeploy_executes_it(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemFailure.Reboot")
    assert events(emu)[0]["EventCycleStatus"]["Name"] == "Executing"
    emu.call("RedeployInstance", InstanceId=instance)
    assert events(emu)[0]["EventCycleStatus"]["Name"] == "Executed"


def test_history_events_filter_by_id_type_and_status(emu: Emu) -> None:
    first, second = ecs.admin_create_instances(emu.service, count=2)["InstanceIds"]
    reboot = ecs.admin_inject_system_event(emu.service, instance_id=first, code="SystemMaintenance.Reboot")["EventId"]
    failure = ecs.admin_inject_system_event(emu.service, instance_id=second, code="SystemFailure.Reboot")["EventId"]
    assert [e["EventId"] for e in events(emu)] == [reboot, failure]
    assert [e["EventId"] for e in events(emu, **emu.n("EventId", [failure]))] == [failure]
    assert [e["EventId"] for e in events(emu, **emu.n("InstanceEventType", ["SystemMaintenance.Reboot"]))] == [reboot]
    assert [e["EventId"] for e in events(emu, **emu.n("InstanceEventCycleStatus", ["Executing"]))] == [failure]
    assert [e["EventId"] for e in events(emu, InstanceId=second)] == [failure]


def test_inject_validates_code_instance_and_time(emu: Emu) -> None:
    [instance] = ecs.admin_create_instances(emu.service)["InstanceIds"]
    with pytest.raises(EssError, match="code"):
        ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemMaintenance.Nap")
    with pytest.raises(EssError) as caught:
        ecs.admin_inject_system_event(emu.service, instance_id="i-nothing", code="SystemMaintenance.Reboot")
    assert caught.value.code == "InvalidInstanceId.NotFound"
    with pytest.raises(EssError, match="not_before"):
        ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemMaintenance.Reboot",
                                      not_before="tomorrow")
    at = ecs.admin_inject_system_event(emu.service, instance_id=instance, code="SystemMaintenance.Reboot",
                                       not_before="2024-03-02T00:00Z")
    assert at["NotBefore"] == "2024-03-02T00:00:00Z"


def test_describe_tasks_accepts_a_json_array_and_filters(emu: Emu) -> None:
    first, second = ecs.admin_create_instances(emu.service, count=2)["InstanceIds"]
    one = emu.call("RedeployInstance", InstanceId=first)["TaskId"]
    two = emu.call("RedeployInstance", InstanceId=second)["TaskId"]
    body = emu.call("DescribeTasks", RegionId="cn-hangzhou", TaskIds=f'["{one}", "{two}"]')
    assert [t["TaskId"] for t in body["TaskSet"]["Task"]] == [one, two]
    assert emu.call("DescribeTasks", RegionId="cn-hangzhou", TaskStatus="Finished")["TaskSet"]["Task"] == []
    emu.fails("InvalidParameter", "DescribeTasks", RegionId="cn-hangzhou", TaskIds="[not json")


def test_describe_instances_rejects_a_malformed_id_list(emu: Emu) -> None:
    emu.fails("InvalidParameter", "DescribeInstances", RegionId="cn-hangzhou", InstanceIds="i-1,i-2")


def test_the_redeploy_survives_a_restart(tmp_path: Any, clock: Any) -> None:
    from autoscaler.emulator.service import EssService
    from autoscaler.emulator.store import SqliteStore

    path = tmp_path / "ess.db"
    first = Emu(EssService(clock, store=SqliteStore(path)), clock)
    [instance] = ecs.admin_create_instances(first.service)["InstanceIds"]
    ecs.admin_inject_system_event(first.service, instance_id=instance, code="SystemMaintenance.Reboot")
    task_id = first.call("RedeployInstance", InstanceId=instance)["TaskId"]
    second = Emu(EssService(clock, store=SqliteStore(path)), clock)
    step(second, STOP_SECONDS + MIGRATE_SECONDS)
    assert (status(second, instance), task(second, task_id)["TaskStatus"]) == ("Running", "Finished")
    assert events(second)[0]["EventCycleStatus"]["Name"] == "Avoided"
