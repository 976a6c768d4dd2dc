"""``autoscaler instances attach|remove`` against ess-local over HTTP.

The documented MinSize/MaxSize checks run before any write call, so the operator gets
the reference's message and the service is not asked at all; what passes the checks
is attached (with its load-balancer weight) or removed (with its RemovePolicy); what
only ESS can refuse comes back with its code and exit status 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from autoscaler.cli import main
from autoscaler.clock import SystemClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess.client import EssClient
from tests.integration._server import RunningEmulator, running_emulator

from ._harness import KEY

POLICY = """\
apiVersion: autoscaler/v1
version: 1
scalingGroup: {name: manual}
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {synthetic: cpu_percent}
        kind: utilization
"""


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY.access_key_secret)
    settings = EmulatorSettings(launch_seconds=0, removal_seconds=0, attach_seconds=0)
    with running_emulator(SystemClock(), settings=settings, keys={KEY.access_key_id: KEY}) as running:
        yield running


def _client(emu: RunningEmulator) -> EssClient:
    return EssClient(credentials=KEY, region="cn-hangzhou", clock=emu.clock, endpoint=emu.url + "/")


def _setup(emu: RunningEmulator, tmp_path: Path, *, size: int, min_size: int, max_size: int) -> tuple[str, Path]:
    async def go() -> str:
        async with _client(emu) as ess:
            group = await ess.create_scaling_group(min_size=size, max_size=max_size, ScalingGroupName="manual",
                                                   DefaultCooldown=0)
            config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                            security_group_id="sg-1", ImageId="img-1")
            await ess.enable_scaling_group(group, configuration_id=config)
            await ess.modify_scaling_group(group, MinSize=min_size)
            return group

    group = asyncio.run(go())
    (tmp_path / "policy.yaml").write_text(POLICY)
    path = tmp_path / "autoscaler.yaml"
    path.write_text(f'apiVersion: autoscaler/v1\nstate: state.sqlite\nlisten: 127.0.0.1:0\n'
                    f'ess: {{endpoint: "{emu.url}/", region: cn-hangzhou}}\npolicyFiles: [policy.yaml]\n')
    return group, path


def _members(emu: RunningEmulator, group: str) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with _client(emu) as ess:
            return {i.instance_id: i for i in await ess.describe_scaling_instances(scaling_group_id=group)}

    return asyncio.run(go())


def _spy(emu: RunningEmulator) -> list[str]:
    calls: list[str] = []
    original = emu.service.dispatch

    def recording(action: str, params: Any) -> Any:
        calls.append(action)
        return original(action, params)

    emu.service.dispatch = recording  # type: ignore[method-assign]  # a test spy on the service
    return calls


def _new_instances(emu: RunningEmulator, count: int) -> list[str]:
    response = httpx.post(f"{emu.url}/_emulator/ecs/instances", json={"count": count}, timeout=10, trust_env=False)
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()["InstanceIds"]
    return ids


def _args(*ids: str) -> list[str]:
    return [arg for i in ids for arg in ("--instance-id", i)]


def test_attach_within_max_size_attaches_with_the_weight(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group, config = _setup(emu, tmp_path, size=1, min_size=1, max_size=3)
    new = _new_instances(emu, 2)
    code = main(["instances", "attach", "--config", str(config), "--group", "manual", *_args(*new), "--weight", "30"])
    assert code == 0, capsys.readouterr().err
    assert "scaling activity asa-" in capsys.readouterr().out
    members = _members(emu, group)
    assert set(new) <= set(members) and {members[i].load_balancer_weight for i in new} == {30}


def test_attach_beyond_max_size_is_refused_before_any_call(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, config = _setup(emu, tmp_path, size=2, min_size=1, max_size=3)
    new = _new_instances(emu, 2)
    calls = _spy(emu)
    code = main(["instances", "attach", "--config", str(config), "--group", "manual", *_args(*new)])
    err = capsys.readouterr().err
    assert code == 2
    assert ("IncorrectCapacity.MaxSize: To attach the instances, the total capacity will be greater than the "
            "MaxSize.") in err and "TotalCapacity 2 + 2 > MaxSize 3" in err
    assert "AttachInstances" not in calls


def test_remove_below_min_size_is_refused_before_any_call(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group, config = _setup(emu, tmp_path, size=2, min_size=2, max_size=4)
    calls = _spy(emu)
    victim = sorted(_members(emu, group))[0]
    code = main(["instances", "remove", "--config", str(config), "--group", "manual", *_args(victim)])
    err = capsys.readouterr().err
    assert code == 2
    assert ("IncorrectCapacity.MinSize: To remove the instances, the total capacity will be lesser than the "
            "MinSize.") in err
    assert "RemoveInstances" not in calls


def test_remove_within_min_size_removes_and_strangers_are_named(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group, config = _setup(emu, tmp_path, size=3, min_size=1, max_size=4)
    victim = sorted(_members(emu, group))[0]
    code = main(["instances", "remove", "--config", str(config), "--group", "manual", *_args("i-stranger")])
    assert code == 2 and "not in group manual: i-stranger" in capsys.readouterr().err
    code = main(["instances", "remove", "--config", str(config), "--group", "manual", *_args(victim),
                 "--remove-policy", "release"])
    assert code == 0, capsys.readouterr().err
    members = _members(emu, group)
    assert victim not in members or members[victim].lifecycle_state == "Removing"


def test_what_only_ess_can_refuse_comes_back_with_its_code(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group, config = _setup(emu, tmp_path, size=2, min_size=1, max_size=4)
    victim = sorted(_members(emu, group))[0]
    code = main(["instances", "remove", "--config", str(config), "--group", "manual", *_args(victim),
                 "--remove-policy", "recycle"])  # the group's ScalingPolicy is release
    assert code == 1
    assert "ESS refused: InvalidParameter" in capsys.readouterr().err


def test_a_dry_run_checks_and_makes_no_call(
    emu: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, config = _setup(emu, tmp_path, size=1, min_size=1, max_size=3)
    new = _new_instances(emu, 1)
    calls = _spy(emu)
    code = main(["instances", "attach", "--config", str(config), "--group", "manual", *_args(*new), "--dry-run"])
    assert code == 0 and "dry run: would call AttachInstances" in capsys.readouterr().out
    assert all(c.startswith("Describe") for c in calls), calls
