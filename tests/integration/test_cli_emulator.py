"""``autoscaler emulator`` as a real process: it serves, says which keys it accepts, keeps
its state in the file it is given, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from autoscaler.clock import SystemClock
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "autoscaler", "emulator", "--port", str(port), *args],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.1)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    return code, proc.stderr.read() if proc.stderr else ""


def test_without_access_keys_it_accepts_the_documented_example_pair_and_says_so() -> None:
    with emulator_process() as (proc, port):
        async def call() -> str:
            creds = Credentials(access_key_id="testid", access_key_secret="testsecret")
            async with EssClient(credentials=creds, region="cn-hangzhou", clock=SystemClock(),
                                 endpoint=f"http://127.0.0.1:{port}") as ess:
                return await ess.create_scaling_group(min_size=0, max_size=1)

        assert asyncio.run(call()).startswith("asg-")
        code, stderr = _stop(proc)
    assert code == 0
    assert "testid/testsecret" in stderr and f"http://127.0.0.1:{port}/" in stderr


def test_given_keys_only_those_are_accepted_and_the_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "ess.sqlite"
    creds = Credentials(access_key_id="AK9", access_key_secret="SK:9")

    async def create(port: int) -> str:
        async with EssClient(credentials=creds, region="cn-beijing", clock=SystemClock(),
                             endpoint=f"http://127.0.0.1:{port}") as ess:
            return await ess.create_scaling_group(min_size=0, max_size=2, ScalingGroupName="kept")

    async def names(port: int) -> list[str | None]:
        async with EssClient(credentials=creds, region="cn-beijing", clock=SystemClock(),
                             endpoint=f"http://127.0.0.1:{port}") as ess:
            return [g.scaling_group_name for g in await ess.describe_scaling_groups()]

    args = ("--access-key", "AK9:SK:9", "--region", "cn-beijing", "--state", str(state))
    with emulator_process(*args) as (proc, port):
        asyncio.run(create(port))
        example = httpx.get(f"http://127.0.0.1:{port}/?Action=DescribeScalingGroups&Version=2014-08-28"
                            "&AccessKeyId=testid&Signature=x&SignatureNonce=1&Timestamp=2024-01-01T00:00:00Z")
        assert example.json()["Code"] == "InvalidAccessKeyId.NotFound"
        code, stderr = _stop(proc)
    assert code == 0 and "testsecret" not in stderr and "SK:9" not in stderr
    with emulator_process(*args) as (proc, port):
        assert asyncio.run(names(port)) == ["kept"]
        _stop(proc)


def test_a_bad_option_is_refused_with_a_message_naming_it() -> None:
    result = subprocess.run([sys.executable, "-m", "autoscaler", "emulator", "--access-key", "nocolon"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--access-key" in result.stderr
