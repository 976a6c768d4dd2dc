"""PrometheusSource against a real Prometheus 2.42 scraping an exporter the test controls."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from autoscaler.metrics import MetricSample, PrometheusSettings, PrometheusSource, RangeResult, SampleStatus
from tests.e2e._processes import PrometheusProcess, TestExporter, free_port, prometheus_config, wait_until

METRIC = "test_instance_cpu_utilisation"


def _query(url: str, ref: str, *, now: datetime | None = None, **settings: object) -> MetricSample:
    async def go() -> MetricSample:
        async with PrometheusSource(PrometheusSettings(url=url, **settings)) as source:  # type: ignore[arg-type]
            return await source.query(ref, now=now or datetime.now(UTC))

    return asyncio.run(go())


def _scraped(prometheus: PrometheusProcess, expected: dict[str, float]) -> None:
    def seen() -> bool:
        result = prometheus.query(METRIC)
        got = {item["metric"].get("instance_id"): float(item["value"][1]) for item in result}
        return got == expected

    wait_until(seen, timeout=30, what=f"Prometheus scraped {expected}")


def _with_two_instances(exporter: TestExporter, prometheus: PrometheusProcess) -> PrometheusProcess:
    exporter.set(METRIC, 0.2, instance_id="i-1")
    exporter.set(METRIC, 0.6, instance_id="i-2")
    _scraped(prometheus, {"i-1": 0.2, "i-2": 0.6})
    return prometheus


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, prometheus_binary: Path) -> Iterator[PrometheusProcess]:
    """One Prometheus for the tests that only read (Prometheus needs ~5 s to scrape a new target)."""
    exporter = TestExporter()
    process = PrometheusProcess(prometheus_binary, tmp_path_factory.mktemp("prometheus-shared"))
    try:
        process.start(prometheus_config(scrape_targets=[exporter.target]))
        yield _with_two_instances(exporter, process)
    finally:
        process.stop()
        exporter.stop()


@pytest.fixture
def two_instances(exporter: TestExporter, prometheus: PrometheusProcess) -> PrometheusProcess:
    """A Prometheus of the test's own, for the tests that change what the exporter serves."""
    return _with_two_instances(exporter, prometheus)


def test_a_vector_query_gives_per_instance_values_and_their_mean(shared: PrometheusProcess) -> None:
    sample = _query(shared.url, METRIC)
    assert sample.status is SampleStatus.OK
    assert dict(sample.per_instance) == {"i-1": 0.2, "i-2": 0.6}
    assert sample.value == pytest.approx(0.4)
    assert sample.timestamp is not None and abs(datetime.now(UTC) - sample.timestamp) < timedelta(seconds=30)


def test_a_scalar_query_gives_one_value(shared: PrometheusProcess) -> None:
    sample = _query(shared.url, f"scalar(sum({METRIC}))")
    assert sample.status is SampleStatus.OK and sample.value == pytest.approx(0.8)
    assert dict(sample.per_instance) == {}


def test_a_new_value_and_a_removed_instance_show_up_after_a_scrape(
    exporter: TestExporter, two_instances: PrometheusProcess
) -> None:
    exporter.set(METRIC, 0.9, instance_id="i-1")
    exporter.remove(METRIC, instance_id="i-2")
    _scraped(two_instances, {"i-1": 0.9})  # the vanished series is marked stale by Prometheus at once
    sample = _query(two_instances.url, METRIC)
    assert dict(sample.per_instance) == {"i-1": 0.9} and sample.value == 0.9


def test_an_unknown_metric_is_missing(shared: PrometheusProcess) -> None:
    sample = _query(shared.url, "test_metric_nobody_exports")
    assert sample.status is SampleStatus.MISSING


def test_a_target_that_goes_down_leaves_the_metric_missing(
    exporter: TestExporter, two_instances: PrometheusProcess
) -> None:
    exporter.stop()
    wait_until(lambda: not two_instances.query(METRIC), timeout=30, what="series gone after the target went down")
    assert _query(two_instances.url, METRIC).status is SampleStatus.MISSING


def test_an_answer_evaluated_long_before_the_callers_now_is_stale(shared: PrometheusProcess) -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    sample = _query(shared.url, METRIC, now=later, max_age=60)
    assert sample.status is SampleStatus.STALE and sample.value == pytest.approx(0.4)
    assert not sample.usable


def test_evaluating_at_a_time_before_any_data_is_missing(shared: PrometheusProcess) -> None:
    sample = _query(shared.url, METRIC, now=datetime.now(UTC) - timedelta(hours=1), evaluate_at_now=True)
    assert sample.status is SampleStatus.MISSING


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("sum(", "bad_data"),
        (f"{METRIC}[1m]", "resultType"),
        ("scalar(vector(0) / vector(0))", "nan"),
        ('label_replace(vector(1), "instance_id", "x", "", "") or vector(2)', "lack the label"),
    ],
)
def test_an_unusable_answer_is_an_error_sample(shared: PrometheusProcess, ref: str, expected: str) -> None:
    sample = _query(shared.url, ref)
    assert sample.status is SampleStatus.ERROR
    assert expected.lower() in (sample.reason or "").lower()


def test_an_unreachable_prometheus_is_an_error_sample_not_an_exception() -> None:
    sample = _query(f"http://127.0.0.1:{free_port()}", "up", timeout=2)
    assert sample.status is SampleStatus.ERROR and "ConnectError" in (sample.reason or "")


def test_query_range_returns_the_history_as_arrays(shared: PrometheusProcess) -> None:
    wait_until(lambda: bool(shared.query(f"count_over_time({METRIC}[10s]) >= 3")), timeout=30,
               what="three scrapes in Prometheus")
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(seconds=5)

    async def go() -> RangeResult:
        async with PrometheusSource(PrometheusSettings(url=shared.url)) as source:
            return await source.query_range(METRIC, start=start, end=end, step=timedelta(seconds=1))

    result = asyncio.run(go())
    assert result.timestamps.shape == (6,) and result.timestamps[0] == start.timestamp()
    assert result.instances == ("i-1", "i-2")
    np.testing.assert_allclose(result.per_instance[:, -1], [0.2, 0.6])
    np.testing.assert_allclose(result.values[-1], 0.4)


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None, *, ca: bool
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]) if issuer else name
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    files: dict[str, Path] = {}
    ca_cert = _certificate("test-ca", ca_key, None, ca=True)
    files["ca"] = folder / "ca.pem"
    files["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for role in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(role, key, ("test-ca", ca_key), ca=False)
        files[f"{role}_cert"] = folder / f"{role}.pem"
        files[f"{role}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files[f"{role}_key"] = folder / f"{role}.key"
        files[f"{role}_key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return files


def test_tls_with_a_ca_file_and_a_client_certificate(
    tmp_path: Path, prometheus_binary: Path, exporter: TestExporter
) -> None:
    pki = _pki(tmp_path)
    client_tls = ssl.create_default_context(cafile=str(pki["ca"]))
    client_tls.load_cert_chain(str(pki["client_cert"]), str(pki["client_key"]))
    web = {"tls_server_config": {
        "cert_file": str(pki["server_cert"]), "key_file": str(pki["server_key"]),
        "client_auth_type": "RequireAndVerifyClientCert", "client_ca_file": str(pki["ca"]),
    }}
    process = PrometheusProcess(prometheus_binary, tmp_path / "tls", web_config=web, client_tls=client_tls)
    try:
        process.start(prometheus_config())
        assert process.url.startswith("https://")
        good = _query(process.url, "vector(3)", ca_file=pki["ca"], client_cert=pki["client_cert"],
                      client_key=pki["client_key"])
        assert good.status is SampleStatus.OK and good.value == 3.0
        no_client_cert = _query(process.url, "vector(3)", ca_file=pki["ca"])
        assert no_client_cert.status is SampleStatus.ERROR
        unknown_ca = _query(process.url, "vector(3)", client_cert=pki["client_cert"], client_key=pki["client_key"])
        assert unknown_ca.status is SampleStatus.ERROR and "CERTIFICATE_VERIFY_FAILED" in (unknown_ca.reason or "")
        skip_verify = _query(process.url, "vector(3)", insecure_skip_verify=True, client_cert=pki["client_cert"],
                             client_key=pki["client_key"])
        assert skip_verify.status is SampleStatus.OK
    finally:
        process.stop()
