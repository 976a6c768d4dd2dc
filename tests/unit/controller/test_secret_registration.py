"""Every secret the composition root resolves is registered with the log redactor."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

from autoscaler.cli._compose import build_runtime
from autoscaler.clock import SystemClock
from autoscaler.controller.config_loader import parse_config
from autoscaler.observability.logging import configure_logging

ROOT = Path(__file__).resolve().parents[3]
CONFIG = """\
apiVersion: autoscaler/v1
state: state.sqlite
ess:
  endpoint: https://ess.example.invalid
  accessKeyId: {env: AK_ID}
  accessKeySecret: {env: AK_SECRET}
metrics:
  prometheus: {url: "http://127.0.0.1:9", bearerToken: {env: PROM_TOKEN}}
policyFiles: [%s]
alerting:
  receiver: {auth: {type: bearer, token: {env: ALERT_TOKEN}}}
""" % (ROOT / "policies" / "web-cpu.yaml")
ENV = {"AK_ID": "LTAIexample", "AK_SECRET": "ak-secret-value-123", "PROM_TOKEN": "prom-token-value-456",
       "ALERT_TOKEN": "alert-token-value-7890abcdef"}


def test_resolved_secrets_are_redacted_from_every_log_line(tmp_path: Path) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.secrets")
    logger.propagate = False
    redactor = configure_logging(level="INFO", fmt="json", stream=stream, logger=logger)
    config = parse_config(CONFIG, path="c.yaml", environ=ENV, base=tmp_path)

    async def build() -> None:
        # The group lookup needs the real service; building the runtime stops there, after
        # every secret was resolved.
        try:
            rt = await build_runtime(config, base=tmp_path, environ=ENV, clock=SystemClock(),
                                     register_secret=redactor.register_secret)
        except Exception:
            return
        await rt.aclose()

    asyncio.run(build())
    for name in ("AK_SECRET", "PROM_TOKEN", "ALERT_TOKEN"):
        logger.warning("leak attempt %s", ENV[name])
    text = stream.getvalue()
    assert text.count("leak attempt") == 3
    for name in ("AK_SECRET", "PROM_TOKEN", "ALERT_TOKEN"):
        assert ENV[name] not in text, name
