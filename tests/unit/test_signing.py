"""Signature version 1.0: the reference's worked example and the encoding rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from autoscaler.clock import VirtualClock
from autoscaler.ess._signing import (
    SignatureV1Auth,
    canonical_query,
    percent_encode,
    sign,
    signature_matches,
    string_to_sign,
)
from autoscaler.ess.credentials import Credentials


@pytest.fixture(scope="module")
def worked_example(shared_dir: Path) -> dict[str, object]:
    spec = yaml.safe_load((shared_dir / "spec" / "ess-api-part1.yaml").read_text("utf-8"))
    example: dict[str, object] = spec["common"]["signature"]["worked_example"]
    return example


def test_the_worked_example_of_the_reference_gives_the_documented_string_to_sign(worked_example) -> None:
    params = {k: str(v) for k, v in worked_example["parameters"].items()}
    assert string_to_sign("GET", params) == worked_example["string_to_sign"]


def test_the_worked_example_of_the_reference_gives_the_documented_signature(worked_example) -> None:
    params = {k: str(v) for k, v in worked_example["parameters"].items()}
    signature = sign(string_to_sign("GET", params), "testsecret")
    assert signature == "SmhZuLUnXmqxSEZ/GqyiwGqmf+M="
    assert signature == worked_example["expected_signature"]
    assert percent_encode(signature) == worked_example["signature_url_encoded"]


def test_the_signature_parameter_itself_never_takes_part() -> None:
    params = {"Action": "X", "Signature": "abc"}
    assert canonical_query(params) == "Action=X"


def test_empty_values_take_part_in_the_string_to_sign() -> None:
    assert canonical_query({"SignatureType": "", "A": "1"}) == "A=1&SignatureType="
    assert sign(string_to_sign("POST", {"SignatureType": ""}), "s") != sign(string_to_sign("POST", {}), "s")


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("~-_.", "~-_."),
        ("*", "%2A"),
        ("+", "%2B"),
        ("/", "%2F"),
        ('"', "%22"),
        ("é", "%C3%A9"),
        ("中", "%E4%B8%AD"),
        ("AZaz09", "AZaz09"),
    ],
)
def test_percent_encoding_follows_the_reference_rules(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_the_http_method_is_part_of_the_string_to_sign() -> None:
    assert string_to_sign("post", {"A": "1"}).startswith("POST&%2F&")


def test_signatures_compare_in_constant_time_and_exactly() -> None:
    assert signature_matches("abc=", "abc=")
    assert not signature_matches("abc=", "abd=")
    assert not signature_matches("abc=", "é")


def test_the_auth_flow_adds_common_parameters_and_a_verifiable_signature() -> None:
    clock = VirtualClock(datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC))
    nonces = iter(["n1", "n2"])
    creds = Credentials(access_key_id="ak", access_key_secret="sk", security_token="sts")
    auth = SignatureV1Auth(creds, clock=clock, nonce=lambda: next(nonces))
    request = httpx.Request("POST", "http://127.0.0.1/", data={"Action": "DescribeScalingGroups", "Name": "a b"})
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    params = dict(parse_qsl(signed.content.decode(), keep_blank_values=True))
    assert params["AccessKeyId"] == "ak"
    assert params["SignatureNonce"] == "n1"
    assert params["Timestamp"] == "2024-05-01T12:00:00Z"
    assert params["SecurityToken"] == "sts"
    assert params["Name"] == "a b"
    assert b"Name=a%20b" in signed.content
    expected = sign(string_to_sign("POST", {k: v for k, v in params.items() if k != "Signature"}), "sk")
    assert params["Signature"] == expected
    assert "sk" not in repr(auth) and "sts" not in repr(auth)
    second = dict(parse_qsl(next(auth.sync_auth_flow(request)).content.decode()))
    assert second["SignatureNonce"] == "n2"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_the_fast_percent_encoder_equals_rfc_3986_quoting(text: str) -> None:
    try:
        expected = quote(text, safe="-_.~", encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            percent_encode(text)
        return
    assert percent_encode(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10, alphabet=st.characters(exclude_categories=["Cs"])),
                       st.text(max_size=20, alphabet=st.characters(exclude_categories=["Cs"])), max_size=8))
def test_the_string_to_sign_is_the_percent_encoded_canonical_query(params: dict[str, str]) -> None:
    assert string_to_sign("GET", params) == "GET&%2F&" + percent_encode(canonical_query(params))
