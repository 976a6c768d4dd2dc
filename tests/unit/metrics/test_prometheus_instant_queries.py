"""PrometheusSource turns every Prometheus answer, good or broken, into a sample with a clear status."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from autoscaler.metrics import (
    Aggregate,
    BasicAuth,
    MetricSample,
    MetricsError,
    PrometheusSettings,
    PrometheusSource,
    SampleStatus,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TS = NOW.timestamp()


def _vector(*series: tuple[dict[str, str], str], ts: float = TS) -> dict[str, Any]:
    result = [{"metric": labels, "value": [ts, value]} for labels, value in series]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def _run(
    answer: Callable[[httpx.Request], httpx.Response],
    ref: str = "cpu",
    *,
    now: datetime = NOW,
    **settings: Any,
) -> MetricSample:
    async def go() -> MetricSample:
        async with PrometheusSource(
            PrometheusSettings(url="http://prom.test:9090", **settings), transport=httpx.MockTransport(answer)
        ) as source:
            return await source.query(ref, now=now)

    return asyncio.run(go())


def _json(document: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=document)


def test_a_scalar_result_is_an_ok_sample_with_its_timestamp() -> None:
    sample = _run(_json({"status": "success", "data": {"resultType": "scalar", "result": [TS - 3, "0.75"]}}))
    assert sample.status is SampleStatus.OK
    assert sample.value == 0.75
    assert sample.timestamp == NOW - timedelta(seconds=3)
    assert dict(sample.per_instance) == {}


def test_a_vector_gives_per_instance_values_and_their_mean() -> None:
    sample = _run(_json(_vector(({"instance_id": "i-1"}, "0.2"), ({"instance_id": "i-2"}, "0.6"))))
    assert sample.status is SampleStatus.OK
    assert dict(sample.per_instance) == {"i-1": 0.2, "i-2": 0.6}
    assert sample.value == pytest.approx(0.4)


@pytest.mark.parametrize(("aggregate", "expected"), [(Aggregate.SUM, 0.8), (Aggregate.MAX, 0.6), (Aggregate.MIN, 0.2)])
def test_the_aggregate_of_a_vector_is_configurable(aggregate: Aggregate, expected: float) -> None:
    answer = _json(_vector(({"instance_id": "i-1"}, "0.2"), ({"instance_id": "i-2"}, "0.6")))
    assert _run(answer, aggregate=aggregate).value == pytest.approx(expected)


def test_the_instance_label_is_configurable() -> None:
    answer = _json(_vector(({"host": "a"}, "1"), ({"host": "b"}, "3")))
    assert dict(_run(answer, instance_label="host").per_instance) == {"a": 1.0, "b": 3.0}


def test_a_single_unlabelled_series_is_a_plain_value() -> None:
    sample = _run(_json(_vector(({}, "42"),)))
    assert sample.value == 42.0 and dict(sample.per_instance) == {}


def test_an_empty_vector_is_missing() -> None:
    sample = _run(_json(_vector()))
    assert sample.status is SampleStatus.MISSING and sample.value is None
    assert "no series" in (sample.reason or "")


def test_an_answer_evaluated_long_before_now_is_stale_but_keeps_its_value() -> None:
    sample = _run(_json(_vector(({}, "5"), ts=TS - 300)), max_age=60)
    assert sample.status is SampleStatus.STALE
    assert sample.value == 5.0 and not sample.usable
    assert "300 s" in (sample.reason or "")


def test_the_oldest_series_decides_staleness() -> None:
    document = _vector(({"instance_id": "i-1"}, "1"))
    document["data"]["result"].append({"metric": {"instance_id": "i-2"}, "value": [TS - 120, "1"]})
    assert _run(_json(document), max_age=60).status is SampleStatus.STALE


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda r: httpx.Response(200, content=b"<html>oops</html>"), "not JSON"),
        (_json([1, 2]), "not a JSON object"),
        (_json({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}, 400), "bad_data"),
        (_json({"status": "weird"}), "status"),
        (_json({"status": "success"}), "data"),
        (_json({"status": "success", "data": {"resultType": "matrix", "result": []}}), "resultType"),
        (_json({"status": "success", "data": {"resultType": "string", "result": [TS, "x"]}}), "resultType"),
        (_json({"status": "success", "data": {"resultType": "scalar", "result": [TS, "NaN"]}}), "NaN"),
        (_json(_vector(({"instance_id": "i-1"}, "+Inf"))), "inf"),
        (_json(_vector(({}, "abc")),), "not a number"),
        (_json({"status": "success", "data": {"resultType": "vector", "result": [{"value": "x"}]}}), "timestamp"),
        (_json({"status": "success", "data": {"resultType": "vector", "result": "no"}}), "list"),
        (_json(_vector(({"instance_id": "i-1"}, "1"), ({"job": "x"}, "2"))), "lack the label"),
        (_json(_vector(({"instance_id": "i-1"}, "1"), ({"instance_id": "i-1"}, "2"))), "several series"),
        (_json(_vector(({}, "1")), status=503), "HTTP 503"),
    ],
)
def test_a_malformed_answer_becomes_an_error_sample_naming_the_problem(
    answer: Callable[[httpx.Request], httpx.Response], expected: str
) -> None:
    sample = _run(answer)
    assert sample.status is SampleStatus.ERROR and sample.value is None
    assert expected.lower() in (sample.reason or "").lower()


def test_a_connection_failure_is_an_error_sample() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sample = _run(refuse)
    assert sample.status is SampleStatus.ERROR and "ConnectError" in (sample.reason or "")


def test_a_timeout_is_an_error_sample_naming_the_limit() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    sample = _run(slow, timeout=1.5)
    assert sample.status is SampleStatus.ERROR and "1.5 s" in (sample.reason or "")


def test_an_empty_expression_is_an_error_without_a_request() -> None:
    calls: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    sample = _run(record, ref="  ")
    assert sample.status is SampleStatus.ERROR and calls == []


def test_the_query_is_posted_as_a_form_with_time_only_when_asked() -> None:
    seen: list[dict[str, list[str]]] = []

    def record(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/api/v1/query"
        seen.append(parse_qs(request.content.decode()))
        return httpx.Response(200, json=_vector(({}, "1")))

    _run(record, 'sum(rate(x{a="b"}[1m]))')
    _run(record, "up", evaluate_at_now=True)
    assert seen[0] == {"query": ['sum(rate(x{a="b"}[1m]))']}
    assert seen[1]["time"] == [f"{TS:.3f}"]


def test_a_bearer_token_is_sent_and_never_printed() -> None:
    headers: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers["Authorization"])
        return httpx.Response(200, json=_vector(({}, "1")))

    _run(record, bearer_token="s3cr3t-token")
    assert headers == ["Bearer s3cr3t-token"]
    settings = PrometheusSettings(url="http://p:9090", bearer_token="s3cr3t-token")
    assert "s3cr3t" not in repr(settings)
    assert "s3cr3t" not in repr(PrometheusSource(settings))


def test_basic_auth_is_sent_and_the_password_never_printed() -> None:
    headers: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers["Authorization"])
        return httpx.Response(200, json=_vector(({}, "1")))

    auth = BasicAuth(username="alice", password="pa55word")
    _run(record, basic_auth=auth)
    assert headers == ["Basic YWxpY2U6cGE1NXdvcmQ="]
    assert "pa55word" not in repr(PrometheusSettings(url="http://p:9090", basic_auth=auth))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://p"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://u:pw@p:9090"}, "url"),
        ({"url": "http://p:9090/?x=1"}, "url"),
        ({"url": "http://p", "timeout": 0}, "timeout"),
        ({"url": "http://p", "max_age": float("nan")}, "max_age"),
        ({"url": "http://p", "instance_label": "bad-label"}, "instance_label"),
        ({"url": "http://p", "bearer_token": "t", "basic_auth": BasicAuth(username="a", password="b")}, "bearer_token"),
        ({"url": "http://p", "client_key": "k.pem"}, "client_key"),
        ({"url": "http://p", "proxy": "socks"}, "proxy"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(MetricsError, match=f"^{field}"):
        PrometheusSettings(**kwargs)


def test_a_missing_ca_file_is_refused_at_construction(tmp_path: Any) -> None:
    settings = PrometheusSettings(url="https://p:9090", ca_file=tmp_path / "nope.pem")
    with pytest.raises(MetricsError, match=r"^ca_file"):
        PrometheusSource(settings)


def test_insecure_skip_verify_builds_a_context_without_verification() -> None:
    import ssl

    context = PrometheusSettings(url="https://p:9090", insecure_skip_verify=True).ssl_context()
    assert isinstance(context, ssl.SSLContext) and context.verify_mode is ssl.CERT_NONE
    assert PrometheusSettings(url="https://p:9090").ssl_context() is True

