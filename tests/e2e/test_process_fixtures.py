"""The shared e2e fixtures start real processes, reload their configuration, and fail clearly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e._processes import (
    AlertmanagerProcess,
    ProcessError,
    PrometheusFactory,
    PrometheusProcess,
    alertmanager_config,
    find_binary,
    prometheus_config,
    wait_until,
)


def test_a_missing_binary_names_the_debian_package_to_install() -> None:
    with pytest.raises(ProcessError, match="apt-get install -y prometheus-foo"):
        find_binary("/nonexistent/prometheus-foo-binary", "prometheus-foo")


def test_alertmanager_starts_and_reloads_a_new_configuration(alertmanager: AlertmanagerProcess) -> None:
    def receivers() -> str:
        status = httpx.get(f"{alertmanager.url}/api/v2/status", timeout=5, trust_env=False).json()
        return str(status["config"]["original"])

    assert "webhook_configs" not in receivers()
    alertmanager.reload(alertmanager_config(webhook_url="http://127.0.0.1:9/alerts"))
    assert "http://127.0.0.1:9/alerts" in receivers()


def test_an_invalid_reload_is_refused_with_the_reason(alertmanager: AlertmanagerProcess) -> None:
    with pytest.raises(ProcessError, match="refused the reload"):
        alertmanager.reload({"route": {"receiver": "nobody"}, "receivers": [{"name": "default"}]})
    assert alertmanager.running


def test_prometheus_reloads_rules_and_evaluates_them_every_second(
    prometheus: PrometheusProcess, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("groups:\n- name: t\n  rules:\n  - record: test_always_one\n    expr: vector(1)\n")
    prometheus.reload(prometheus_config(rule_files=[rules]))
    wait_until(lambda: bool(prometheus.query("test_always_one")), timeout=15, what="the recording rule evaluated")


def test_prometheus_that_cannot_start_reports_its_log(prometheus_factory: PrometheusFactory) -> None:
    with pytest.raises(ProcessError, match="exited") as failure:
        prometheus_factory({"global": {"scrape_interval": "not-a-duration"}})
    assert "--- log ---" in str(failure.value)
