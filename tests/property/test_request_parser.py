"""Fuzz of the emulator's request parser: any bytes give parameters or a documented error."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from autoscaler.emulator.http_request import parse_pairs, parse_params
from autoscaler.ess import EssError

_DOCUMENTED = {"InvalidParameter"}


@settings(max_examples=400, deadline=None)
@given(query=st.binary(max_size=300), body=st.binary(max_size=300), content_type=st.sampled_from(
    ["", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "text/xml", "\x00"]
))
def test_arbitrary_bytes_never_crash_the_parser(query: bytes, body: bytes, content_type: str) -> None:
    try:
        params = parse_params(query, body, content_type)
    except EssError as exc:
        assert exc.code in _DOCUMENTED and exc.http_status == 400
        assert exc.message
    else:
        assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in params.items())


_NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20)
_VALUES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, max_size=10))
def test_percent_encoded_parameters_round_trip(params: dict[str, str]) -> None:
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items()).encode()
    assert parse_params(encoded) == params


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_text_with_stray_percent_signs_and_plus_never_crashes(text: str) -> None:
    try:
        parse_pairs(text.encode("utf-8"))
    except EssError as exc:
        assert exc.code == "InvalidParameter"


def test_garbage_encodings_name_the_parameter() -> None:
    for raw, name in ((b"Name=%FF%FE", "Name"), (b"A=1&Name=%C3", "Name")):
        try:
            parse_params(raw)
        except EssError as exc:
            assert exc.code == "InvalidParameter" and name in exc.message
        else:
            raise AssertionError(f"{raw!r} was accepted")


def test_a_parameter_given_twice_with_two_values_is_rejected() -> None:
    try:
        parse_params(b"A=1", b"A=2", "application/x-www-form-urlencoded")
    except EssError as exc:
        assert exc.code == "InvalidParameter" and "A" in exc.message
    else:
        raise AssertionError("accepted")
    assert parse_params(b"SignatureType=&A=1", b"A=1") == {"SignatureType": "", "A": "1"}
