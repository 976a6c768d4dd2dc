"""BENCHMARKS.md section 3: signed requests per second answered by ``autoscaler emulator``.

Cases: DescribeScalingGroups and ExecuteScalingRule (with a ClientToken) from one client
process with keep-alive, sequentially (1 connection) and with 16 concurrent requests
(16 connections). The reference is the moto server answering DescribeAutoScalingGroups
and SetDesiredCapacity, driven by the same client code in the same run.

The load generator is a minimal HTTP/1.1 client on asyncio streams (httpx itself
would be the bottleneck above a few thousand requests per second); every request is
signed (ESS signature 1.0 with its own nonce and Timestamp; AWS SigV4 via botocore for
moto) just before a run starts, so that the client's signing cost does not cap the
server's measured rate; a run that outpaces the pool signs on the fly.
ExecuteScalingRule repeats one ClientToken (the controller's retry and replica case:
an idempotent replay); SetDesiredCapacity repeats one capacity.

Prints one JSON object per case (median of ``--repeats`` runs of ``--seconds`` each)
and a summary with the ratio to moto.

    .venv/bin/python bench/emulator_throughput.py --seconds 5 --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autoscaler.clock import SystemClock  # noqa: E402
from autoscaler.ess._signing import sign, string_to_sign  # noqa: E402
from autoscaler.ess.client import EssClient  # noqa: E402
from autoscaler.ess.credentials import Credentials  # noqa: E402

KEY = Credentials(access_key_id="bench", access_key_secret="bench-secret")
Build = Callable[[], bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(cmd: list[str], health: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_http(health)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- request builders ----------------------------------------------------------------


def ess_request(port: int, params: dict[str, str]) -> Build:
    def build() -> bytes:
        full = {
            **params, "Format": "JSON", "Version": "2014-08-28", "AccessKeyId": KEY.access_key_id,
            "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        full["Signature"] = sign(string_to_sign("POST", full), KEY.access_key_secret)
        body = urlencode(full, quote_via=quote, safe="-_.~").encode()
        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return build


def moto_request(port: int, params: dict[str, str]) -> Build:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as AwsCredentials

    creds = AwsCredentials("testing", "testing")
    url = f"http://127.0.0.1:{port}/"

    def build() -> bytes:
        body = urlencode({**params, "Version": "2011-01-01"})
        request = AWSRequest(method="POST", url=url, data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(creds, "autoscaling", "us-east-1").add_auth(request)
        lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    return build


# -- the load generator --------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        keep = False
    return int(status), keep


async def _worker(port: int, requests: Iterator[bytes], deadline: float, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(next(requests))
            status, keep = await _read_response(reader)
            counts["ok" if status == 200 else "error"] += 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _run_once(
    port: int, build: Build, concurrency: int, seconds: float, presign_rate: float
) -> tuple[float, dict[str, int]]:
    # Requests are signed before the clock starts (each with its own nonce and
    # Timestamp), so the client's signing cost does not cap the server's rate.
    pool = [build() for _ in range(int(seconds * presign_rate))]
    requests = itertools.chain(pool, iter(build, b""))  # sign on the fly if the pool runs out
    counts = {"ok": 0, "error": 0}
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(port, requests, deadline, counts) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return counts["ok"] / elapsed, counts


def measure(
    server: str, action: str, port: int, build: Build, concurrency: int, args: argparse.Namespace,
    *, presign_rate: float,
) -> float:
    rates: list[float] = []
    errors = 0
    for _ in range(args.repeats):
        rate, counts = asyncio.run(_run_once(port, build, concurrency, args.seconds, presign_rate))
        rates.append(rate)
        errors += counts["error"]
    median = statistics.median(rates)
    print(json.dumps({
        "benchmark": "emulator_throughput", "server": server, "action": action, "concurrency": concurrency,
        "seconds": args.seconds, "repeats": args.repeats, "median_rps": round(median, 1),
        "runs_rps": [round(r, 1) for r in rates], "errors": errors,
    }), flush=True)
    return median


# -- setups --------------------------------------------------------------------------


async def ess_setup(port: int) -> str:
    async with EssClient(credentials=KEY, region="cn-hangzhou", clock=SystemClock(),
                         endpoint=f"http://127.0.0.1:{port}") as ess:
        group = await ess.create_scaling_group(min_size=0, max_size=10, ScalingGroupName="bench")
        config = await ess.create_scaling_configuration(
            group, instance_type="ecs.g6.large", security_group_id="sg-bench", ImageId="img-bench")
        await ess.enable_scaling_group(group, configuration_id=config)
        rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
        await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="bench-token")
        return rule.scaling_rule_ari


def moto_setup(port: int) -> None:
    import boto3

    client = boto3.client("autoscaling", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_launch_configuration(LaunchConfigurationName="bench", ImageId="ami-12c6146b",
                                       InstanceType="t2.micro")
    client.create_auto_scaling_group(AutoScalingGroupName="bench", LaunchConfigurationName="bench", MinSize=0,
                                     MaxSize=10, DesiredCapacity=1, AvailabilityZones=["us-east-1a"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    results: dict[tuple[str, str, int], float] = {}
    ess_port = free_port()
    cmd = [sys.executable, "-m", "autoscaler", "emulator", "--port", str(ess_port),
           "--access-key", f"{KEY.access_key_id}:{KEY.access_key_secret}", "--launch-seconds", "0"]
    with process(cmd, f"http://127.0.0.1:{ess_port}/_emulator/health"):
        ari = asyncio.run(ess_setup(ess_port))
        cases = {"DescribeScalingGroups": {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou"},
                 "ExecuteScalingRule": {"Action": "ExecuteScalingRule", "ScalingRuleAri": ari,
                                        "ClientToken": "bench-token"}}
        for action, params in cases.items():
            for n in args.concurrency:
                results[("ess-local", action, n)] = measure(
                    "ess-local", action, ess_port, ess_request(ess_port, params), n, args, presign_rate=15_000
                )
    moto_port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    moto_bin = str(Path(sys.executable).with_name("moto_server"))
    with process([moto_bin, "-H", "127.0.0.1", "-p", str(moto_port)], f"http://127.0.0.1:{moto_port}/moto-api/"):
        os.environ.update(env)
        moto_setup(moto_port)
        cases = {"DescribeScalingGroups": {"Action": "DescribeAutoScalingGroups"},
                 "ExecuteScalingRule": {"Action": "SetDesiredCapacity", "AutoScalingGroupName": "bench",
                                        "DesiredCapacity": "1"}}
        for action, params in cases.items():
            for n in args.concurrency:
                results[("moto", action, n)] = measure(
                    f"moto ({params['Action']})", action, moto_port, moto_request(moto_port, params), n, args,
                    presign_rate=1_500,
                )
    for action in ("DescribeScalingGroups", "ExecuteScalingRule"):
        for n in args.concurrency:
            ess, moto = results[("ess-local", action, n)], results[("moto", action, n)]
            print(json.dumps({"benchmark": "emulator_throughput", "summary": action, "concurrency": n,
                              "ess_local_rps": round(ess, 1), "moto_rps": round(moto, 1),
                              "ratio": round(ess / moto, 1) if moto else None, "goal_ratio": 10}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
