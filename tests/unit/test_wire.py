"""Wire helpers: flattening, times, JSON/XML rendering, credentials and ClientTokens."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from autoscaler.ess.credentials import Credentials, CredentialsError, parse_access_key
from autoscaler.ess.tokens import client_token, validate_client_token
from autoscaler.ess.wire import (
    WireFormatError,
    flatten,
    format_minute,
    format_timestamp,
    parse_json,
    parse_timestamp,
    parse_xml,
    render_json,
    render_xml,
)


def test_lists_flatten_to_name_dot_n_and_structures_to_name_dot_n_dot_field() -> None:
    flat = flatten({"InstanceId": ["i-1", "i-2"], "DataDisk": [{"Size": 40, "Category": "cloud"}], "Skip": None,
                    "Force": True})
    assert flat == {"InstanceId.1": "i-1", "InstanceId.2": "i-2", "DataDisk.1.Size": "40",
                    "DataDisk.1.Category": "cloud", "Force": "true"}


def test_flatten_renders_str_subclasses_and_enums_by_their_wire_value() -> None:
    class Policy(str, enum.Enum):  # noqa: UP042 (on purpose: a str subclass whose str() is not its value)
        BALANCE = "BALANCE"

    flat = flatten({"MultiAZPolicy": Policy.BALANCE, "Name": "web", "MaxSize": 5})
    assert flat == {"MultiAZPolicy": "BALANCE", "Name": "web", "MaxSize": "5"}
    assert all(type(v) is str for v in flat.values())


def test_times_use_the_two_ess_formats_in_utc() -> None:
    local = datetime(2024, 1, 1, 8, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    assert format_timestamp(local) == "2024-01-01T00:30:05Z"
    assert format_minute(local) == "2024-01-01T00:30Z"
    assert parse_timestamp("2024-01-01T00:30Z") == datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    assert parse_timestamp("2024-01-01T00:30:05Z") == datetime(2024, 1, 1, 0, 30, 5, tzinfo=UTC)
    for bad in ("2024-01-01 00:30Z", "2024-02-30T00:00Z", "yesterday", "2024-01-01T00:30:05+08:00"):
        with pytest.raises(WireFormatError, match="Timestamp"):
            parse_timestamp(bad)
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2024, 1, 1))


def test_json_and_xml_render_the_same_wrapped_lists() -> None:
    body = {"RequestId": "R", "TotalCount": 2,
            "ScalingGroups": {"ScalingGroup": [{"ScalingGroupId": "a", "VSwitchIds": {"VSwitchId": ["v1", "v2"]}},
                                               {"ScalingGroupId": "b<&>"}]}}
    assert parse_json(render_json(body)) == body
    root, parsed = parse_xml(render_xml("DescribeScalingGroupsResponse", body), list_tags={"ScalingGroup"})
    assert root == "DescribeScalingGroupsResponse"
    groups = parsed["ScalingGroups"]["ScalingGroup"]
    assert [g["ScalingGroupId"] for g in groups] == ["a", "b<&>"]
    assert groups[0]["VSwitchIds"]["VSwitchId"] == ["v1", "v2"]
    assert parsed["TotalCount"] == "2"
    assert render_xml("Error", {"Code": "X"}).startswith(b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>X')


def test_a_one_element_list_stays_a_list_when_named() -> None:
    _, parsed = parse_xml(render_xml("R", {"Items": {"Item": [{"Id": "1"}]}}), list_tags={"Item"})
    assert parsed["Items"]["Item"] == [{"Id": "1"}]


@pytest.mark.parametrize("data", [b"", b"[1]", b"\xff", b"{bad"])
def test_unreadable_json_is_a_wire_format_error(data: bytes) -> None:
    with pytest.raises(WireFormatError):
        parse_json(data)


def test_credentials_never_show_their_secrets() -> None:
    creds = Credentials(access_key_id="AK", access_key_secret="very-secret", security_token="tok-123")
    assert "very-secret" not in repr(creds) and "tok-123" not in repr(creds) and "tok-123" not in str(creds)
    assert "AK" in repr(creds)


def test_credentials_come_from_the_alibaba_cloud_variables_of_an_explicit_mapping() -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK",
           "ALIBABA_CLOUD_SECURITY_TOKEN": "T"}
    creds = Credentials.from_env(env)
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == ("AK", "SK", "T")
    assert Credentials.from_env({k: v for k, v in env.items() if "TOKEN" not in k}).security_token is None
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set"):
        Credentials.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK"})
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_ID") as info:
        Credentials.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "A K\n", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK"})
    assert "SK" not in str(info.value)


def test_access_keys_parse_from_id_colon_secret() -> None:
    creds = parse_access_key("id:se:cret")
    assert (creds.access_key_id, creds.access_key_secret) == ("id", "se:cret")
    with pytest.raises(CredentialsError, match="ID:SECRET"):
        parse_access_key("nocolon")


def test_client_tokens_are_deterministic_64_ascii_characters() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    token = client_token("asg-1", "cpu", 7, when)
    assert token == client_token("asg-1", "cpu", 7, when)
    assert len(token) == 64 and token.isascii()
    assert validate_client_token(token) == token
    assert token != client_token("asg-1", "cpu", "7", when)
    assert client_token("a|b", "c") != client_token("a", "b|c")
    with pytest.raises(ValueError, match="ClientToken"):
        validate_client_token("x" * 65)
    with pytest.raises(TypeError):
        client_token(object())


def test_client_tokens_hash_the_compact_ascii_json_of_the_typed_parts() -> None:
    # Journaled intents keep their tokens across versions: the hashed text must never change.
    when = datetime(2024, 1, 1, 0, 5, tzinfo=UTC)
    assert client_token("asg-1", "cpu", "capacity", 7, when) == (
        "b49d86312f673e54addc4ac99d77c6cab88ba0de5a16319c89b8a05e27ab01f0")

    def reference(*parts: object) -> str:
        typed = [["datetime", format_timestamp(p)] if isinstance(p, datetime) else [type(p).__name__, str(p)]
                 for p in parts]
        text = json.dumps(typed, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    eight = datetime(2024, 1, 1, 8, 5, tzinfo=timezone(timedelta(hours=8)))
    for parts in [("grp \"\u00e9\" \\ \u2713\n\x00\U0001f600", None, True, 2.5, eight), ("[\"a\",\"b\"]", -1, "")]:
        assert client_token(*parts) == reference(*parts)
