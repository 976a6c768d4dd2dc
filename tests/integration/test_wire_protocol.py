"""The common protocol of ess-local over real loopback HTTP: auth, versions, formats, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
import yaml

from autoscaler.clock import VirtualClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess._signing import sign, string_to_sign
from autoscaler.ess.credentials import Credentials
from autoscaler.ess.wire import format_timestamp, parse_json, parse_xml
from tests.integration._server import RunningEmulator, running_emulator

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY = Credentials(access_key_id="AK1", access_key_secret="SK1")


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    clock = VirtualClock(START)
    with running_emulator(clock, keys={"AK1": KEY}) as running:
        yield running


_counter = iter(range(10**9))


def signed(
    clock: VirtualClock, params: dict[str, str], *, method: str = "GET", secret: str = "SK1",
    nonce: str | None = None, when: datetime | None = None,
) -> dict[str, str]:
    out = {
        "Format": "JSON", "Version": "2014-08-28", "AccessKeyId": "AK1", "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0", "SignatureNonce": nonce or f"n-{next(_counter)}",
        "Timestamp": format_timestamp(when or clock.now()), **params,
    }
    out["Signature"] = sign(string_to_sign(method, out), secret)
    return out


def get(emu: RunningEmulator, params: dict[str, str]) -> httpx.Response:
    query = urlencode(params, quote_via=quote, safe="-_.~")
    return httpx.get(f"{emu.url}/?{query}", timeout=10)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = parse_json(response.content)
    assert set(body) == {"RequestId", "HostId", "Code", "Message"}
    return response.status_code, body["Code"], body["Message"]


def test_an_unknown_action_gets_the_documented_unsupported_operation(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    status, code, message = error_of(get(emu, signed(clock, {"Action": "LaunchRockets"})))
    assert (status, code, message) == (400, "UnsupportedOperation", "The specified action is not supported.")


def test_a_missing_version_is_missing_parameter_and_a_wrong_one_no_such_version(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    params = signed(clock, {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou"})
    del params["Version"]
    assert error_of(get(emu, params))[:2] == (400, "MissingParameter")
    assert "Version" in error_of(get(emu, params))[2]
    wrong = signed(clock, {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou", "Version": "2014-05-26"})
    assert error_of(get(emu, wrong)) == (400, "NoSuchVersion", "The specified version does not exist.")


def test_an_unknown_access_key_is_invalid_access_key_id_not_found(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    params = signed(clock, {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou", "AccessKeyId": "nobody"})
    status, code, _ = error_of(get(emu, params))
    assert (status, code) == (400, "InvalidAccessKeyId.NotFound")


def test_a_wrong_signature_is_403_with_the_servers_string_to_sign_after_a_colon(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    params = signed(clock, {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou"}, secret="wrong")
    status, code, message = error_of(get(emu, params))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith("The signature we calculated does not match the one you provided.")
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    assert message.split(":")[1] == string_to_sign("GET", unsigned)


def test_a_timestamp_more_than_15_minutes_off_is_rejected(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    base = {"Action": "DescribeScalingGroups", "RegionId": "cn-hangzhou"}
    for offset in (timedelta(minutes=16), -timedelta(minutes=16)):
        status, code, message = error_of(get(emu, signed(clock, base, when=clock.now() + offset)))
        assert (status, code) == (400, "InvalidTimeStamp.Expired")
        assert message == "Specified time stamp or date value is expired."
    bad = signed(clock, base)
    bad["Timestamp"] = "yesterday"
    bad["Signature"] = sign(string_to_sign("GET", {k: v for k, v in bad.items() if k != "Signature"}), "SK1")
    assert error_of(get(emu, bad))[1] == "InvalidTimeStamp.Format"


def test_a_reused_signature_nonce_is_rejected(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    base = {"Action": "LaunchRockets"}
    first = get(emu, signed(clock, base, nonce="same"))
    assert error_of(first)[1] == "UnsupportedOperation"
    status, code, message = error_of(get(emu, signed(clock, base, nonce="same")))
    assert (status, code, message) == (400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def test_post_with_a_form_body_and_get_with_a_query_string_are_both_verified(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    params = signed(clock, {"Action": "LaunchRockets"}, method="POST")
    response = httpx.post(f"{emu.url}/", data=params, timeout=10)
    assert error_of(response)[1] == "UnsupportedOperation"  # authenticated: it got past the signature


def test_errors_render_as_xml_with_format_xml(emu: RunningEmulator) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    response = get(emu, signed(clock, {"Action": "LaunchRockets", "Format": "xml"}))
    root, body = parse_xml(response.content)
    assert response.status_code == 400 and root == "Error"
    assert set(body) == {"RequestId", "HostId", "Code", "Message"} and body["Code"] == "UnsupportedOperation"
    assert response.headers["content-type"].startswith("text/xml")


def test_garbage_encodings_get_invalid_parameter_and_never_a_500(emu: RunningEmulator) -> None:
    for raw in ("Action=%FF%FE", "%ZZ=1&Action=X", "=x", "Action=DescribeScalingGroups&Version=%C3"):
        response = httpx.get(f"{emu.url}/?{raw}", timeout=10)
        assert response.status_code == 400, raw
        assert error_of(response)[1] in ("InvalidParameter", "MissingParameter"), raw
    response = httpx.post(f"{emu.url}/", content=b"\x00\xff" * 10, headers={"content-type": "image/png"}, timeout=10)
    assert error_of(response)[:2] == (400, "InvalidParameter")


def test_the_worked_example_of_the_reference_is_accepted_by_the_server(shared_dir: Path) -> None:
    spec = yaml.safe_load((shared_dir / "spec" / "ess-api-part1.yaml").read_text("utf-8"))
    example = spec["common"]["signature"]["worked_example"]
    clock = VirtualClock(datetime(2014, 8, 15, 11, 10, 7, tzinfo=UTC))
    settings = EmulatorSettings(region="cn-qingdao", zones=("cn-qingdao-b",))
    with running_emulator(clock, settings=settings) as running:
        signed_url: str = example["signed_url"]
        response = httpx.get(signed_url.replace("http://ess.aliyuncs.com", running.url), timeout=10)
    assert response.status_code == 200, response.text
    root, body = parse_xml(response.content, list_tags={"ScalingGroup"})
    assert root == "DescribeScalingGroupsResponse" and body["RequestId"] and body["TotalCount"] == "0"


def test_the_admin_interface_reports_health_and_state(emu: RunningEmulator) -> None:
    assert httpx.get(f"{emu.url}/_emulator/health").json() == {"ok": True}
    state = httpx.get(f"{emu.url}/_emulator/state").json()
    assert state["scaling_groups"] == 0 and state["internal_errors"] == 0
    bad = httpx.put(f"{emu.url}/_emulator/faults", json={"rules": [{"error_rate": 2}]})
    assert bad.status_code == 400 and "rules[0].error_rate" in bad.json()["error"]
    bad_code = httpx.put(f"{emu.url}/_emulator/faults", json={"rules": [{"error_codes": ["Nope"]}]})
    assert bad_code.status_code == 400 and "Nope" in bad_code.json()["error"]
    assert httpx.get(f"{emu.url}/_emulator/nothing").status_code == 404
