"""The whole `alerting:` section validates at once, with errors that name the field and hide secrets."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from autoscaler.alerting import MappingConfigError, ReceiverSettings, load_alerting_settings

SECTION = {
    "receiver": {"auth": {"type": "basic", "username": "am", "password": "a-long-password-1"}},
    "mappings": [{"name": "floor", "alertname": "Backlog", "group": "worker",
                  "action": {"type": "floor", "min_capacity": 3}}],
    "notifications": {"targets": [{"url": "https://hooks.example/x", "headers": {"X-Token": "t0ps3cret"}}]},
}


def test_a_whole_section_loads() -> None:
    settings = load_alerting_settings(SECTION)
    assert settings.receiver is not None and settings.receiver.auth.type == "basic"
    assert [m.name for m in settings.mapping_set.mappings] == ["floor"]
    assert settings.notifications.targets[0].safe_url == "https://hooks.example/x"
    assert "t0ps3cret" not in repr(settings) and "a-long-password-1" not in repr(settings)


def test_an_empty_section_means_no_endpoint_and_no_notifications() -> None:
    settings = load_alerting_settings({})
    assert settings.receiver is None and settings.mappings == () and settings.notifications.targets == ()


def test_mappings_without_a_receiver_are_refused() -> None:
    with pytest.raises(MappingConfigError, match=r"^alerting: mappings: alert mappings need a receiver"):
        load_alerting_settings({"mappings": SECTION["mappings"]})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"receiver": {"auth": {"type": "basic", "username": "am", "password": "short"}}},
         "alerting: receiver.auth.password:"),
        ({"mappings": [*SECTION["mappings"], *SECTION["mappings"]]}, "duplicate mapping name 'floor'"),
        ({"receiver": {"auth": {"type": "none"}, "max_body_bytes": 10}}, "alerting: receiver.max_body_bytes:"),
        ({"notifications": {"max_attempts": 99}}, "alerting: notifications.max_attempts:"),
    ],
)
def test_errors_name_the_field_without_echoing_secrets(change: dict[str, object], expected: str) -> None:
    with pytest.raises(MappingConfigError) as caught:
        load_alerting_settings({**SECTION, **change})
    assert expected in str(caught.value) and "short" not in str(caught.value)


def test_tls_settings_become_uvicorn_options(tmp_path: Path) -> None:
    settings = ReceiverSettings.model_validate({
        "auth": {"type": "bearer", "token": "x" * 16},
        "tls": {"cert_file": tmp_path / "c.pem", "key_file": tmp_path / "k.pem", "client_ca_file": tmp_path / "ca.pem",
                "require_client_cert": True},
    })
    assert settings.tls is not None
    assert settings.tls.uvicorn_options() == {"ssl_certfile": str(tmp_path / "c.pem"),
                                              "ssl_keyfile": str(tmp_path / "k.pem"),
                                              "ssl_ca_certs": str(tmp_path / "ca.pem"),
                                              "ssl_cert_reqs": ssl.CERT_REQUIRED}
