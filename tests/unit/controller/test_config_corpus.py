"""Every shipped configuration validates; every broken one gets one clear error naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoscaler.cli import main
from autoscaler.controller.config_loader import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "fixtures" / "bad_configs"

# file -> (line, field fragment, message fragment)
EXPECTED = {
    "not-yaml.yaml": (2, "", "invalid YAML"),
    "unknown-key.yaml": (3, "intervalSecs", "Extra inputs are not permitted"),
    "bad-mode.yaml": (2, "mode", "'live' or 'shadow'"),
    "bad-endpoint.yaml": (3, "ess.endpoint", "'embedded', 'region' or an http(s):// URL"),
    "interval-zero.yaml": (2, "intervalSeconds", "greater than or equal to 1"),
    "secret-inline.yaml": (4, "ess.accessKeyId", "valid dictionary"),
    "half-credentials.yaml": (2, "ess", "accessKeyId and accessKeySecret go together"),
    "missing-api-version.yaml": (1, "apiVersion", "Field required"),
    "bad-listen.yaml": (2, "listen", "should match pattern"),
    "demo-bounds.yaml": (3, "embedded.demoGroup", "maxSize must be >= minSize"),
    "prometheus-url.yaml": (3, "metrics.prometheus.url", "should match pattern"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_broken_configuration_names_its_file_line_and_field(name: str) -> None:
    line, field, message = EXPECTED[name]
    with pytest.raises(ConfigError) as info:
        load_config(BAD / name)
    text = str(info.value)
    assert text.startswith(f"{BAD / name}:{line}:"), text
    assert field in text and message in text, text
    assert len(info.value.problems) == 1, text


def test_every_bad_configuration_of_the_corpus_is_covered() -> None:
    on_disk = {p.name for p in BAD.glob("*.yaml")}
    assert on_disk == set(EXPECTED) | {"missing-policy-file.yaml"}


def test_a_missing_policy_file_is_reported_by_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(BAD / "missing-policy-file.yaml")]) == 2
    err = capsys.readouterr().err
    assert "does-not-exist.yaml" in err


def test_an_inline_secret_never_reaches_the_error_message() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(BAD / "secret-inline.yaml")
    assert "LTAI5tExampleKeyId" not in str(info.value)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.yaml")))
def test_every_shipped_configuration_validates(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(ROOT / "config" / name)]) == 0, capsys.readouterr().err
