"""Fixtures for end-to-end tests: real Prometheus and Alertmanager processes, a test exporter.

Every test in this folder is marked ``e2e``. A missing binary FAILS the test with the
Debian package to install (it is not skipped: ``scripts/test.sh`` installs the
packages, so a missing one is a broken machine, not an optional feature).

- ``exporter``: a :class:`TestExporter` on loopback.
- ``prometheus``: a Prometheus scraping ``exporter`` every second (job ``exporter``).
- ``prometheus_factory(config)`` / ``alertmanager_factory(config)``: start more, with
  any configuration (see ``prometheus_config`` and ``alertmanager_config``).
- ``alertmanager``: an Alertmanager with a receiver that sends nowhere.
All of them stop at the end of the test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.e2e._processes import (
    ALERTMANAGER_BINARY,
    PROMETHEUS_BINARY,
    AlertmanagerProcess,
    ProcessError,
    PrometheusProcess,
    TestExporter,
    alertmanager_config,
    find_binary,
    prometheus_config,
)
from tests.e2e._processes import (
    AlertmanagerFactory as AlertmanagerFactory,  # re-exported: tests import the factory types from here
)
from tests.e2e._processes import (
    PrometheusFactory as PrometheusFactory,
)

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _binary(path: str, package: str) -> Path:
    try:
        return find_binary(path, package)
    except ProcessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def prometheus_binary() -> Path:
    return _binary(PROMETHEUS_BINARY, "prometheus")


@pytest.fixture(scope="session")
def alertmanager_binary() -> Path:
    return _binary(ALERTMANAGER_BINARY, "prometheus-alertmanager")


@pytest.fixture
def exporter() -> Iterator[TestExporter]:
    server = TestExporter()
    yield server
    server.stop()


@pytest.fixture
def prometheus_factory(tmp_path: Path, prometheus_binary: Path) -> Iterator[PrometheusFactory]:
    started: list[PrometheusProcess] = []

    def start(config: Mapping[str, Any]) -> PrometheusProcess:
        process = PrometheusProcess(prometheus_binary, tmp_path / f"prometheus-{len(started)}")
        started.append(process)
        process.start(config)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def prometheus(prometheus_factory: PrometheusFactory, exporter: TestExporter) -> PrometheusProcess:
    return prometheus_factory(prometheus_config(scrape_targets=[exporter.target]))


@pytest.fixture
def alertmanager_factory(tmp_path: Path, alertmanager_binary: Path) -> Iterator[AlertmanagerFactory]:
    started: list[AlertmanagerProcess] = []

    def start(config: Mapping[str, Any]) -> AlertmanagerProcess:
        process = AlertmanagerProcess(alertmanager_binary, tmp_path / f"alertmanager-{len(started)}")
        started.append(process)
        process.start(config)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def alertmanager(alertmanager_factory: AlertmanagerFactory) -> AlertmanagerProcess:
    return alertmanager_factory(alertmanager_config())
