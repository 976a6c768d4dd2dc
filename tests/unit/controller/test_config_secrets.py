"""Alerting secrets are references ({env: NAME} / {file: PATH}), resolved at load, never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoscaler.controller.config_loader import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[3]
TEXT = """\
apiVersion: autoscaler/v1
policyFiles: [%s]
alerting:
  receiver:
    auth: {type: bearer, token: {env: AUTOSCALER_ALERT_TOKEN}}
  notifications:
    targets:
      - url: https://chat.example/hook
        headers: {Authorization: {file: hook-token.txt}}
""" % (ROOT / "policies" / "web-cpu.yaml")


def test_references_resolve_from_the_environment_and_files(tmp_path: Path) -> None:
    (tmp_path / "hook-token.txt").write_text("Bearer s3cr3t-header-value\n")
    config = parse_config(TEXT, path="c.yaml", environ={"AUTOSCALER_ALERT_TOKEN": "t" * 24}, base=tmp_path)
    assert config.alerting is not None and config.alerting.receiver is not None
    auth = config.alerting.receiver.auth
    assert auth.token.get_secret_value() == "t" * 24  # type: ignore[union-attr]
    headers = config.alerting.notifications.targets[0].headers
    assert headers["Authorization"].get_secret_value() == "Bearer s3cr3t-header-value"
    assert "s3cr3t" not in repr(config)


def test_a_missing_variable_names_the_field_and_the_variable_never_a_value(tmp_path: Path) -> None:
    (tmp_path / "hook-token.txt").write_text("Bearer s3cr3t-header-value\n")
    with pytest.raises(ConfigError) as info:
        parse_config(TEXT, path="c.yaml", environ={}, base=tmp_path)
    text = str(info.value)
    assert text.startswith("c.yaml:5: alerting.receiver.auth.token:"), text
    assert "AUTOSCALER_ALERT_TOKEN is not set" in text
    assert "s3cr3t" not in text
