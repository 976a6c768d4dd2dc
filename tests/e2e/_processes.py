"""Real Prometheus and Alertmanager processes, and an exporter the test controls.

Shared by every end-to-end test (the metric sources, the alerting webhook, the
controller scaling on PromQL). Each process gets its own configuration file and data
directory under the test's ``tmp_path``, a free port on 127.0.0.1, and is stopped
(SIGTERM, then SIGKILL) when the test ends. Readiness is ``GET /-/ready``; a
configuration change is applied with ``POST /-/reload`` (Prometheus runs with
``--web.enable-lifecycle``). If a process dies or never becomes ready, the error
carries the tail of its log, so a failing e2e test says why.

Intervals are short (scrape and evaluation every second) so that tests wait
seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

PROMETHEUS_BINARY = "/usr/bin/prometheus"
ALERTMANAGER_BINARY = "/usr/bin/prometheus-alertmanager"
INTERVAL = "1s"
START_TIMEOUT = 30.0


class ProcessError(RuntimeError):
    """A test process could not be started, reloaded or found."""


def find_binary(path: str, package: str) -> Path:
    """The binary at ``path`` (or on PATH); a clear error naming the Debian package when missing."""
    found = Path(path) if Path(path).is_file() else None
    if found is None:
        on_path = shutil.which(Path(path).name)
        found = Path(on_path) if on_path else None
    if found is None:
        raise ProcessError(
            f"{path} is missing: the end-to-end tests need the Debian package {package!r} "
            f"(scripts/test.sh installs it as root: apt-get install -y {package})"
        )
    return found


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.2, what: str = "condition"
) -> None:
    """Poll ``predicate`` on the wall clock (real processes take real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout:g} s")


class _Process:
    """A child process with a log file, a URL, readiness and reload."""

    name = "process"

    def __init__(self, binary: Path, workdir: Path, *, client_tls: ssl.SSLContext | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "config.yml"
        self.log_path = workdir / "process.log"
        self.port = free_port()
        self.client_tls = client_tls  # set when the process serves HTTPS: how the fixtures reach it
        self.url = f"{'https' if client_tls else 'http'}://127.0.0.1:{self.port}"
        self._popen: subprocess.Popen[bytes] | None = None

    def _client(self, timeout: float) -> httpx.Client:
        return httpx.Client(timeout=timeout, trust_env=False, verify=self.client_tls or True)

    def _args(self) -> list[str]:
        raise NotImplementedError

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def write_config(self, config: Mapping[str, Any]) -> None:
        self.config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))

    def start(self, config: Mapping[str, Any]) -> None:
        self.write_config(config)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                [str(self.binary), *self._args()], stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
            )
        try:
            wait_until(self._ready, timeout=START_TIMEOUT, what=f"{self.name} ready at {self.url}")
        except TimeoutError as exc:
            self.stop()
            raise ProcessError(f"{self.name} did not become ready: {exc}\n--- log ---\n{self.log_tail()}") from exc

    def _ready(self) -> bool:
        if self._popen is not None and self._popen.poll() is not None:
            raise ProcessError(
                f"{self.name} exited with {self._popen.returncode} at start\n--- log ---\n{self.log_tail()}"
            )
        try:
            with self._client(1.0) as client:
                return client.get(f"{self.url}/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def reload(self, config: Mapping[str, Any]) -> None:
        """Rewrite the configuration and apply it with ``POST /-/reload``."""
        self.write_config(config)
        with self._client(10.0) as client:
            response = client.post(f"{self.url}/-/reload")
        if response.status_code != 200:
            raise ProcessError(f"{self.name} refused the reload ({response.status_code}): {response.text.strip()}")

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self._popen is None:
            return
        if self._popen.poll() is None:
            self._popen.terminate()
            try:
                self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait(timeout)
        self._popen = None


class PrometheusProcess(_Process):
    """``/usr/bin/prometheus`` with lifecycle endpoints, scraping and evaluating every second.

    ``web_config`` is Prometheus' ``--web.config.file`` (TLS, client certificates); give
    ``client_tls`` too so that the fixture itself can reach an HTTPS Prometheus.
    """

    name = "prometheus"

    def __init__(
        self,
        binary: Path,
        workdir: Path,
        *,
        web_config: Mapping[str, Any] | None = None,
        client_tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(binary, workdir, client_tls=client_tls)
        self.web_config = web_config

    def _args(self) -> list[str]:
        extra = []
        if self.web_config is not None:
            web_path = self.workdir / "web.yml"
            web_path.write_text(yaml.safe_dump(dict(self.web_config), sort_keys=False))
            extra.append(f"--web.config.file={web_path}")
        return [
            *extra,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """A synchronous instant query, for the tests' own waiting (not the code under test)."""
        with self._client(5.0) as client:
            response = client.post(f"{self.url}/api/v1/query", data={"query": promql})
        document: dict[str, Any] = response.json()
        if document.get("status") != "success":
            raise ProcessError(f"query {promql!r} failed: {document}")
        result: list[dict[str, Any]] = document["data"]["result"]
        return result


def prometheus_config(
    *,
    scrape_targets: Sequence[str] = (),
    job: str = "exporter",
    rule_files: Sequence[Path] = (),
    alertmanagers: Sequence[str] = (),
) -> dict[str, Any]:
    """A Prometheus configuration scraping ``scrape_targets`` (host:port) every second."""
    config: dict[str, Any] = {
        "global": {"scrape_interval": INTERVAL, "scrape_timeout": INTERVAL, "evaluation_interval": INTERVAL},
        "scrape_configs": [],
    }
    if scrape_targets:
        config["scrape_configs"].append({"job_name": job, "static_configs": [{"targets": list(scrape_targets)}]})
    if rule_files:
        config["rule_files"] = [str(path) for path in rule_files]
    if alertmanagers:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]}
    return config


class AlertmanagerProcess(_Process):
    """``/usr/bin/prometheus-alertmanager``, standalone (clustering off)."""

    name = "alertmanager"

    def _args(self) -> list[str]:
        return [
            f"--config.file={self.config_path}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def alertmanager_config(*, webhook_url: str | None = None, group_wait: str = "1s") -> dict[str, Any]:
    """Alertmanager routing every alert to one webhook (or nowhere), quickly."""
    receiver: dict[str, Any] = {"name": "default"}
    if webhook_url is not None:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    return {
        "route": {
            "receiver": "default",
            "group_by": ["alertname"],
            "group_wait": group_wait,
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }


PrometheusFactory = Callable[[Mapping[str, Any]], PrometheusProcess]
AlertmanagerFactory = Callable[[Mapping[str, Any]], AlertmanagerProcess]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class TestExporter:
    """A Prometheus exporter on 127.0.0.1 whose series the test sets and removes.

    Example::

        exporter.set("instance_cpu_utilisation", 0.4, instance_id="i-1")
        exporter.remove("instance_cpu_utilisation", instance_id="i-1")
    """

    __test__ = False  # not a pytest test class despite its name

    def __init__(self) -> None:
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._lock = threading.Lock()
        self.scrapes = 0
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.render().encode()
                self.send_response(200 if self.path.startswith("/metrics") else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                exporter.scrapes += 1

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-exporter", daemon=True)
        self._thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._series[(name, tuple(sorted(labels.items())))] = value

    def remove(self, name: str, **labels: str) -> None:
        with self._lock:
            self._series.pop((name, tuple(sorted(labels.items()))), None)

    def clear(self) -> None:
        with self._lock:
            self._series.clear()

    def render(self) -> str:
        with self._lock:
            items = sorted(self._series.items())
        lines = []
        for (name, labels), value in items:
            text = ",".join(f'{key}="{_escape(val)}"' for key, val in labels)
            lines.append(f"{name}{{{text}}} {value!r}" if text else f"{name} {value!r}")
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(5)
