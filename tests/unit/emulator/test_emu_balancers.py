"""SLB, RDS and VServer-group associations (recorded, with their documented limits)."""

from __future__ import annotations

from .conftest import Emu


def test_load_balancers_attach_and_detach(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.call("AttachLoadBalancers", {"ScalingGroupId": gid, **emu.n("LoadBalancer", ["lb-1", "lb-2"])},
             ForceAttach="true")
    assert emu.info(gid)["LoadBalancerIds"] == {"LoadBalancerId": ["lb-1", "lb-2"]}
    emu.call("DetachLoadBalancers", {"ScalingGroupId": gid, "LoadBalancer.1": "lb-1"})
    assert emu.info(gid)["LoadBalancerIds"] == {"LoadBalancerId": ["lb-2"]}
    error = emu.fails("InvalidLoadBalancerId.NotFound", "DetachLoadBalancers",
                      {"ScalingGroupId": gid, "LoadBalancer.1": "lb-9"})
    assert error.message == 'The Load Balancer "lb-9" does not exist.'


def test_at_most_five_load_balancers_per_call_and_per_group(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.fails("InvalidParameter", "AttachLoadBalancers", {"ScalingGroupId": gid, "LoadBalancer.6": "lb-6"})
    emu.call("AttachLoadBalancers", {"ScalingGroupId": gid, **emu.n("LoadBalancer", [f"lb-{i}" for i in range(5)])})
    error = emu.fails("QuotaExceeded.LoadBalancer", "AttachLoadBalancers",
                      {"ScalingGroupId": gid, "LoadBalancer.1": "lb-x"})
    assert error.message == f'LoadBalancer quota exceeded in the scaling group "{gid}".'
    emu.fails("MissingParameter", "AttachLoadBalancers", ScalingGroupId=gid)
    emu.fails("InvalidScalingGroupId.NotFound", "AttachLoadBalancers", {"ScalingGroupId": "asg-x",
                                                                        "LoadBalancer.1": "lb"})


def test_db_instances_attach_detach_and_their_quota(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.call("AttachDBInstances", {"ScalingGroupId": gid, **emu.n("DBInstance", ["rm-1", "rm-2", "rm-3", "rm-4"])})
    emu.call("AttachDBInstances", {"ScalingGroupId": gid, **emu.n("DBInstance", ["rm-5", "rm-6", "rm-7", "rm-8"])})
    emu.fails("QuotaExceeded.RDS", "AttachDBInstances", {"ScalingGroupId": gid, "DBInstance.1": "rm-9"})
    emu.call("DetachDBInstances", {"ScalingGroupId": gid, "DBInstance.1": "rm-1"}, ForceDetach="false")
    assert len(emu.info(gid)["DBInstanceIds"]["DBInstanceId"]) == 7
    error = emu.fails("InvalidDBInstanceId.NotFound", "DetachDBInstances",
                      {"ScalingGroupId": gid, "DBInstance.1": "rm-1"})
    assert error.message == 'DB instance "rm-1" does not exist.'


def _vsg(n: int, lb: str, vsg: str, port: int) -> dict[str, object]:
    return {f"VServerGroup.{n}.LoadBalancerId": lb, f"VServerGroup.{n}.VServerGroupAttribute.1.VServerGroupId": vsg,
            f"VServerGroup.{n}.VServerGroupAttribute.1.Port": port}


def test_vserver_groups_attach_dedupe_quota_and_detach(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.call("AttachVServerGroups", emu.region, {"ScalingGroupId": gid}, _vsg(1, "lb-1", "rsp-1", 80),
             _vsg(2, "lb-1", "rsp-1", 80))
    assert emu.service.state.groups[gid].vserver_groups == [["lb-1", "rsp-1", 80, 50]]
    for port in (81, 82, 83, 84):
        emu.call("AttachVServerGroups", emu.region, {"ScalingGroupId": gid}, _vsg(1, "lb-1", "rsp-1", port))
    emu.fails("QuotaExceeded.VServerGroup", "AttachVServerGroups", emu.region, {"ScalingGroupId": gid},
              _vsg(1, "lb-2", "rsp-2", 80))
    emu.call("DetachVServerGroups", emu.region, {"ScalingGroupId": gid}, _vsg(1, "lb-1", "rsp-1", 80),
             _vsg(2, "lb-9", "rsp-9", 1))  # an unmatched triple is ignored
    assert len(emu.service.state.groups[gid].vserver_groups) == 4
    emu.fails("InvalidParameter", "AttachVServerGroups", emu.region, {"ScalingGroupId": gid},
              _vsg(1, "lb-1", "rsp-1", 0))
    emu.fails("MissingParameter", "AttachVServerGroups", emu.region, ScalingGroupId=gid)
