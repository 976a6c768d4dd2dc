"""The ESS client against scripted transports: retries, errors, redaction, pagination."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.ess import (
    EssError,
    IdempotentParameterMismatchError,
    NotFoundError,
    ThrottlingError,
    TransportError,
)
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess._signing import sign, string_to_sign
from autoscaler.ess.client import EssClient, endpoint_for_region
from autoscaler.ess.credentials import Credentials

CREDS = Credentials(access_key_id="ak", access_key_secret="s3cr3t-value", security_token="sts-token/+")
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def _params(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"RequestId": "R-OK", **body})


def _err(status: int, code: str, message: str = "m") -> httpx.Response:
    return httpx.Response(status, json={"RequestId": "R-ERR", "HostId": "h", "Code": code, "Message": message})


class Harness:
    def __init__(self, handler: Handler, *, attempts: int = 5) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.clock = VirtualClock(START)

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.advance(seconds)

        self.client = EssClient(
            credentials=CREDS, region="cn-hangzhou", clock=self.clock, endpoint="http://ess.test",
            transport=httpx.MockTransport(record), retry=RetryPolicy(max_attempts=attempts),
            sleep=sleep, rng=random.Random(1),
        )

    def run(self, coro: Any) -> Any:
        async def go() -> Any:
            try:
                return await coro
            finally:
                await self.client.aclose()

        return asyncio.run(go())


def test_a_throttled_call_is_retried_with_a_new_nonce_and_the_same_client_token(caplog) -> None:
    replies = iter([_err(400, "Throttling"), _err(503, "ServiceUnavailable"), _ok({"ScalingActivityId": "asa-1"})])
    h = Harness(lambda r: next(replies))
    caplog.set_level(logging.INFO, logger="autoscaler.ess.client")
    activity = h.run(h.client.execute_scaling_rule("ari:x", client_token="tok-1"))
    assert activity == "asa-1"
    sent = [_params(r) for r in h.requests]
    assert [p["ClientToken"] for p in sent] == ["tok-1"] * 3
    assert len({p["SignatureNonce"] for p in sent}) == 3
    assert len(h.sleeps) == 2
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == f"attempt 1/5 ExecuteScalingRule: Throttling; will retry in {h.sleeps[0]:.1f}s"
    assert lines[1] == f"attempt 2/5 ExecuteScalingRule: ServiceUnavailable; will retry in {h.sleeps[1]:.1f}s"


def test_each_attempt_is_signed_with_its_own_timestamp() -> None:
    replies = iter([_err(500, "InternalError"), _ok({"ScalingActivityId": "asa-1"})])
    h = Harness(lambda r: next(replies))
    h.run(h.client.execute_scaling_rule("ari:x", client_token="t"))
    first, second = (_params(r) for r in h.requests)
    assert first["Timestamp"] <= second["Timestamp"]
    for params in (first, second):
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        assert params["Signature"] == sign(string_to_sign("POST", unsigned), "s3cr3t-value")
        assert params["Version"] == "2014-08-28" and params["Format"] == "JSON"
        assert params["SecurityToken"] == "sts-token/+"


def test_backoff_uses_full_jitter_within_the_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    rng = random.Random(3)
    for attempt, cap in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8


def test_other_client_errors_are_never_retried() -> None:
    h = Harness(lambda r: _err(404, "InvalidScalingGroupId.NotFound", "The specified scaling group does not exist."))
    with pytest.raises(NotFoundError) as info:
        h.run(h.client.delete_scaling_group("asg-1"))
    assert len(h.requests) == 1 and h.sleeps == []
    assert info.value.code == "InvalidScalingGroupId.NotFound"
    assert info.value.http_status == 404
    assert info.value.request_id == "R-ERR"


def test_an_idempotence_mismatch_is_its_own_error_and_not_retried() -> None:
    h = Harness(lambda r: _err(400, "IdempotentParameterMismatch"))
    with pytest.raises(IdempotentParameterMismatchError):
        h.run(h.client.execute_scaling_rule("ari:x", client_token="t"))
    assert len(h.requests) == 1


def test_retries_stop_after_the_attempt_budget(caplog) -> None:
    h = Harness(lambda r: _err(400, "Throttling"), attempts=3)
    caplog.set_level(logging.INFO, logger="autoscaler.ess.client")
    with pytest.raises(ThrottlingError):
        h.run(h.client.execute_scaling_rule("ari:x", client_token="t"))
    assert len(h.requests) == 3
    assert caplog.records[-1].getMessage() == "attempt 3/3 ExecuteScalingRule: Throttling; giving up"


def test_retries_stop_when_the_total_time_would_be_exceeded() -> None:
    h = Harness(lambda r: _err(503, "ServiceUnavailable"), attempts=50)
    h.client._retry = RetryPolicy(max_attempts=50, base_delay=1.0, max_delay=1.0, total_timeout=3.0)
    with pytest.raises(EssError):
        h.run(h.client.describe_scaling_groups())
    assert sum(h.sleeps) <= 3.0
    assert 2 <= len(h.requests) < 50


def test_timeouts_and_connection_errors_are_retried_as_transport_errors() -> None:
    failures: list[Exception] = [
        httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("x"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return _ok({"ScalingActivityId": "asa-9"})

    h = Harness(handler)
    assert h.run(h.client.execute_scaling_rule("ari:x", client_token="t")) == "asa-9"
    assert len(h.requests) == 4


def test_a_garbage_body_is_a_retryable_transport_error() -> None:
    h = Harness(lambda r: httpx.Response(502, content=b"<html>bad gateway"), attempts=2)
    with pytest.raises(TransportError) as info:
        h.run(h.client.describe_scaling_groups())
    assert info.value.code == "InvalidResponse" and len(h.requests) == 2


def test_secrets_are_redacted_from_errors_and_reprs() -> None:
    from autoscaler.ess._signing import percent_encode

    echoed = "The signature we calculated does not match. Server string to sign is:" + percent_encode(
        percent_encode("SecurityToken=sts-token/+&x=s3cr3t-value")
    )
    h = Harness(lambda r: _err(403, "SignatureDoesNotMatch", echoed))
    with pytest.raises(EssError) as info:
        h.run(h.client.describe_scaling_groups())
    for text in (str(info.value), repr(info.value), info.value.message, repr(h.client), repr(CREDS)):
        assert "s3cr3t" not in text and "sts-token" not in text and "sts-token%252F" not in text


def test_describe_actions_fetch_every_page_with_the_maximum_page_size() -> None:
    groups = [
        {"ScalingGroupId": f"asg-{i}", "MinSize": 0, "MaxSize": 5, "LifecycleState": "Active"} for i in range(120)
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        p = _params(request)
        number, size = int(p["PageNumber"]), int(p["PageSize"])
        page = groups[(number - 1) * size : number * size]
        return _ok({"TotalCount": len(groups), "PageNumber": number, "PageSize": size,
                    "ScalingGroups": {"ScalingGroup": page}})

    h = Harness(handler)
    result = h.run(h.client.describe_scaling_groups())
    assert [g.scaling_group_id for g in result] == [g["ScalingGroupId"] for g in groups]
    assert [_params(r)["PageSize"] for r in h.requests] == ["50", "50", "50"]


def test_list_parameters_are_flattened_as_name_dot_n() -> None:
    h = Harness(lambda r: _ok({"ScalingActivityId": "asa-1"}))
    h.run(h.client.attach_instances("asg-1", ["i-1", "i-2"], weights=[10, 20]))
    p = _params(h.requests[0])
    assert (p["InstanceId.1"], p["InstanceId.2"], p["LoadBalancerWeight.2"]) == ("i-1", "i-2", "20")


def test_ecs_actions_use_the_ecs_version() -> None:
    h = Harness(lambda r: _ok({"TaskId": "t-1"}))
    assert h.run(h.client.redeploy_instance("i-1", force_stop=True)) == "t-1"
    p = _params(h.requests[0])
    assert (p["Version"], p["ForceStop"], p["Action"]) == ("2014-05-26", "true", "RedeployInstance")


def test_the_endpoint_comes_from_the_reference_table() -> None:
    assert endpoint_for_region("cn-hangzhou") == "https://ess.aliyuncs.com"
    assert endpoint_for_region("ap-southeast-2") == "https://ess.ap-southeast-2.aliyuncs.com"
    with pytest.raises(ValueError, match="region"):
        endpoint_for_region("mars-1")


def test_a_success_body_is_returned_with_its_request_id() -> None:
    h = Harness(lambda r: httpx.Response(200, content=json.dumps({"RequestId": "R1", "X": 1}).encode()))
    assert h.run(h.client.call("DescribeNotificationTypes")) == {"RequestId": "R1", "X": 1}
