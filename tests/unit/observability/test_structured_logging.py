"""Logs are one JSON object per line (or a human line), and no secret ever reaches them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from autoscaler.observability.logging import REDACTED, JsonFormatter, RedactionFilter, Redactor, configure_logging

SECRET = "kR9zSecretValue+/="
TOKEN = "CAISsts.Token.Value1234"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(f"autoscaler.test.{id(object())}")
    log.propagate = False
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)


def _capture(logger: logging.Logger, fmt: str = "json") -> tuple[io.StringIO, Redactor]:
    stream = io.StringIO()
    redactor = configure_logging(level="DEBUG", fmt=fmt, stream=stream, logger=logger)  # type: ignore[arg-type]
    return stream, redactor


def test_a_json_line_has_ts_level_logger_msg_and_the_extra_fields(logger: logging.Logger) -> None:
    stream, _ = _capture(logger)
    logger.info("scaled %s to %d", "web", 5, extra={"group": "web", "reasons": ["cpu 0.9 > 0.6"], "target": 5})
    [line] = stream.getvalue().splitlines()
    document = json.loads(line)
    assert document["msg"] == "scaled web to 5" and document["level"] == "INFO"
    assert document["logger"] == logger.name and document["ts"].endswith("Z")
    assert document["group"] == "web" and document["reasons"] == ["cpu 0.9 > 0.6"] and document["target"] == 5


def test_dataclass_extras_become_json_objects(logger: logging.Logger) -> None:
    @dataclass(frozen=True)
    class Decision:
        target: int
        reasons: tuple[str, ...]
        secret: str = field(default=SECRET, repr=False)

    stream, _ = _capture(logger)
    logger.info("decision", extra={"decision": Decision(target=3, reasons=("cpu low",))})
    document = json.loads(stream.getvalue())
    assert document["decision"] == {"target": 3, "reasons": ["cpu low"]}
    assert SECRET not in stream.getvalue()


def test_the_human_format_is_one_readable_line_with_fields(logger: logging.Logger) -> None:
    stream, _ = _capture(logger, fmt="human")
    logger.warning("metric stale", extra={"group": "web"})
    line = stream.getvalue().strip()
    assert "WARNING" in line and "metric stale" in line and 'group="web"' in line


SHAPES = [
    f"GET /?Action=DescribeScalingGroups&AccessKeySecret={SECRET}&Format=JSON",
    f"SecurityToken={TOKEN}&Signature=abcd%2Bef%3D&SignatureNonce=1",
    f"headers={{'Authorization': 'Bearer {TOKEN}'}}",
    f"Authorization: Basic YWxpY2U6{SECRET}",
    f"proxy https://alice:{SECRET}@proxy.example:3128/",
    f'{{"access_key_secret": "{SECRET}", "password": "{SECRET}"}}',
    f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={SECRET} ALIBABA_CLOUD_SECURITY_TOKEN={TOKEN}",
    f"{{'password': '{SECRET}', 'security_token': '{TOKEN}'}}",
    f"password: '{SECRET}' x-acs-security-token: {TOKEN}",
]


@pytest.mark.parametrize("text", SHAPES)
def test_secrets_in_known_shapes_are_redacted_from_the_message(logger: logging.Logger, text: str) -> None:
    stream, _ = _capture(logger)
    logger.error("request failed: %s", text)
    output = stream.getvalue()
    assert SECRET not in output and TOKEN not in output and "abcd%2Bef%3D" not in output
    assert REDACTED in output


def test_a_registered_secret_is_redacted_everywhere(logger: logging.Logger) -> None:
    stream, redactor = _capture(logger)
    odd = "no-shape-at-all-9f8e"
    redactor.register_secret(odd)
    logger.info("free text %s and %r", odd, {"nested": [odd, {"deep": f"x{odd}y"}]}, extra={"note": odd,
                "items": (odd,), "url": f"http://h/?q={odd}"})
    assert odd not in stream.getvalue()
    assert stream.getvalue().count(REDACTED) >= 5


def test_a_registered_secret_is_redacted_in_its_url_encoded_form(logger: logging.Logger) -> None:
    stream, redactor = _capture(logger)
    redactor.register_secret("a/b+c=d")
    logger.info("url ?x=a%2Fb%2Bc%3Dd")
    assert "a%2Fb%2Bc%3Dd" not in stream.getvalue()


def test_extra_fields_named_like_secrets_are_redacted_whatever_their_value(logger: logging.Logger) -> None:
    stream, _ = _capture(logger)
    logger.info("creds", extra={"password": "plain", "headers": {"Authorization": "anything", "Accept": "json"}})
    document = json.loads(stream.getvalue())
    assert document["password"] == REDACTED
    assert document["headers"] == {"Authorization": REDACTED, "Accept": "json"}


def test_exception_text_is_redacted(logger: logging.Logger) -> None:
    stream, _ = _capture(logger)
    try:
        raise RuntimeError(f"signing failed for AccessKeySecret={SECRET}")
    except RuntimeError:
        logger.exception("tick failed")
    document = json.loads(stream.getvalue())
    assert "RuntimeError" in document["exc"] and SECRET not in stream.getvalue()


def test_a_bad_format_string_still_gives_a_line() -> None:
    # Called on the filter directly: pytest's own capture handler raises on bad arguments.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)
    assert RedactionFilter(Redactor()).filter(record)
    assert "bad log arguments" in json.loads(JsonFormatter().format(record))["msg"]


def test_plain_text_is_left_alone(logger: logging.Logger) -> None:
    stream, _ = _capture(logger)
    text = "SignatureMethod=HMAC-SHA1 basic auth configured, ClientToken=abc-123; password: must be non-empty"
    logger.info(text)
    assert json.loads(stream.getvalue())["msg"] == text


def test_configuring_twice_replaces_the_handler(logger: logging.Logger) -> None:
    _capture(logger)
    stream, _ = _capture(logger)
    logger.info("once")
    ours = [handler for handler in logger.handlers if isinstance(handler.formatter, JsonFormatter)]
    assert len(ours) == 1 and stream.getvalue().count("once") == 1


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^fmt"):
        configure_logging(fmt="xml", stream=io.StringIO(), logger=logging.getLogger("x"))  # type: ignore[arg-type]


