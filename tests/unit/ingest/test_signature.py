"""Webhook signature checks: interoperability with Standard Webhooks, and hostile input."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.ingest.signature import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    Reason,
    SecretError,
    SignatureError,
    sign,
    signed_headers,
    verify,
)

pytestmark = pytest.mark.reliability

# The test vector shared by the Standard Webhooks reference libraries.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = datetime.fromtimestamp(TIMESTAMP, UTC)
NEXT_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
UNRELATED_SECRET = "whsec_" + base64.b64encode(b"\xff" * 32).decode()
SIG_BYTES = base64.b64decode(SIGNATURE.removeprefix("v1,"))
SIG_B64 = SIGNATURE.removeprefix("v1,")

HEADER_NAMES = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
REASONS = set(get_args(Reason))


def vector_headers(**overrides: str) -> dict[str, str]:
    headers = {ID_HEADER: MSG_ID, TIMESTAMP_HEADER: str(TIMESTAMP), SIGNATURE_HEADER: SIGNATURE}
    headers.update({name.replace("_", "-"): value for name, value in overrides.items()})
    return headers


def rejection(
    headers: dict[str, str],
    *,
    body: bytes = BODY,
    now: datetime = NOW,
    secrets: tuple[str, ...] = (SECRET,),
) -> SignatureError:
    with pytest.raises(SignatureError) as excinfo:
        verify(secrets, headers, body, now)
    return excinfo.value


# --- interoperability ---------------------------------------------------------------------------


def test_sign_reproduces_the_standard_webhooks_test_vector() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == SIGNATURE


def test_verify_accepts_the_standard_webhooks_test_vector() -> None:
    assert verify([SECRET], vector_headers(), BODY, NOW) == Delivery(MSG_ID, TIMESTAMP)


def test_the_known_answer_vector_is_reproduced_and_any_one_change_to_it_is_refused(
    figure: Callable[[str], None],
) -> None:
    # Given the Standard Webhooks test vector / Then we make its signature and accept it
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == SIGNATURE
    assert verify([SECRET], vector_headers(), BODY, NOW) == Delivery(MSG_ID, TIMESTAMP)
    # And a change to any one thing it signs is refused as not matching
    changed = {
        "secret": rejection(vector_headers(), secrets=(UNRELATED_SECRET,)),
        "id": rejection(vector_headers(webhook_id=MSG_ID + "x")),
        "timestamp": rejection(vector_headers(webhook_timestamp=str(TIMESTAMP + 1))),
        "body": rejection(vector_headers(), body=BODY.replace(b"2", b"3", 1)),
    }
    assert {name: error.reason for name, error in changed.items()} == dict.fromkeys(
        changed, "no-matching-signature"
    )
    figure(
        f"Standard Webhooks known-answer vector: {SIGNATURE[:12]}... reproduced byte for byte and"
        f" verified; {len(changed)} of {len(changed)} one-field changes (secret, id, timestamp,"
        " body) refused"
    )


def test_secret_without_whsec_prefix_is_the_same_key() -> None:
    bare = SECRET.removeprefix("whsec_")
    assert verify([bare], vector_headers(), BODY, NOW).id == MSG_ID
    assert sign(bare, MSG_ID, TIMESTAMP, BODY) == SIGNATURE


def test_secret_with_its_base64_padding_stripped_is_the_same_key() -> None:
    padded = NEXT_SECRET
    assert padded.endswith("=")
    headers = signed_headers(padded, MSG_ID, TIMESTAMP, BODY)
    assert verify([padded.rstrip("=")], headers, BODY, NOW).id == MSG_ID


@pytest.mark.parametrize(
    "casing",
    [str.lower, str.upper, str.title, lambda name: name[0].upper() + name[1:]],
    ids=["lower", "upper", "title", "first-letter"],
)
def test_header_names_match_in_any_case(casing: Callable[[str], str]) -> None:
    headers = {casing(name): value for name, value in vector_headers().items()}
    assert verify([SECRET], headers, BODY, NOW) == Delivery(MSG_ID, TIMESTAMP)


def test_unrelated_headers_are_ignored() -> None:
    headers = vector_headers() | {"content-type": "application/json", "svix-id": "other"}
    assert verify([SECRET], headers, BODY, NOW).id == MSG_ID


def test_signed_headers_are_accepted_by_verify() -> None:
    headers = signed_headers(NEXT_SECRET, "msg_2", TIMESTAMP, b"{}")
    assert headers == {
        ID_HEADER: "msg_2",
        TIMESTAMP_HEADER: str(TIMESTAMP),
        SIGNATURE_HEADER: sign(NEXT_SECRET, "msg_2", TIMESTAMP, b"{}"),
    }
    assert verify([NEXT_SECRET], headers, b"{}", NOW) == Delivery("msg_2", TIMESTAMP)


def test_empty_body_can_be_signed_and_verified() -> None:
    headers = signed_headers(SECRET, MSG_ID, TIMESTAMP, b"")
    assert verify([SECRET], headers, b"", NOW).id == MSG_ID


def test_id_of_exactly_256_characters_is_accepted() -> None:
    msg_id = "m" * 256
    headers = signed_headers(SECRET, msg_id, TIMESTAMP, BODY)
    assert verify([SECRET], headers, BODY, NOW).id == msg_id


@given(
    msg_id=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","),
        min_size=1,
        max_size=256,
    ),
    offset=st.integers(min_value=-300, max_value=300),
    body=st.binary(max_size=512),
)
def test_sign_then_verify_round_trips(msg_id: str, offset: int, body: bytes) -> None:
    timestamp = TIMESTAMP + offset
    headers = signed_headers(SECRET, msg_id, timestamp, body)
    assert verify([SECRET], headers, body, NOW) == Delivery(msg_id, timestamp)


# --- secret rotation and signature versions ---------------------------------------------------


def test_rotation_accepts_a_delivery_signed_only_with_the_next_secret() -> None:
    headers = signed_headers(NEXT_SECRET, MSG_ID, TIMESTAMP, BODY)
    assert verify([SECRET, NEXT_SECRET], headers, BODY, NOW).id == MSG_ID


def test_rotation_accepts_a_delivery_signed_only_with_the_current_secret() -> None:
    assert verify([SECRET, NEXT_SECRET], vector_headers(), BODY, NOW).id == MSG_ID


@pytest.mark.parametrize("held", [(SECRET,), (NEXT_SECRET,), (SECRET, NEXT_SECRET)])
def test_rotation_accepts_two_signatures_with_either_secret_held(held: tuple[str, ...]) -> None:
    both = f"{sign(NEXT_SECRET, MSG_ID, TIMESTAMP, BODY)} {SIGNATURE}"
    headers = vector_headers(webhook_signature=both)
    assert verify(held, headers, BODY, NOW).id == MSG_ID


def test_rotation_rejects_two_signatures_when_neither_secret_is_held() -> None:
    both = f"{sign(NEXT_SECRET, MSG_ID, TIMESTAMP, BODY)} {SIGNATURE}"
    headers = vector_headers(webhook_signature=both)
    assert rejection(headers, secrets=(UNRELATED_SECRET,)).reason == "no-matching-signature"


def test_entries_with_other_versions_are_ignored() -> None:
    asymmetric = "v1a," + base64.b64encode(b"\x00" * 64).decode()
    header = f"{asymmetric} v2,anything-at-all {SIGNATURE} v0,{SIG_B64}"
    assert verify([SECRET], vector_headers(webhook_signature=header), BODY, NOW).id == MSG_ID


def test_only_other_versions_is_no_matching_signature() -> None:
    header = f"v1a,{SIG_B64} V1,{SIG_B64}"
    assert rejection(vector_headers(webhook_signature=header)).reason == "no-matching-signature"


# --- tampering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (vector_headers(), b'{"test": 2432232315}'),
        (vector_headers(), BODY + b" "),
        (vector_headers(), b""),
        (vector_headers(webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJeK"), BODY),
        (vector_headers(webhook_timestamp=str(TIMESTAMP + 1)), BODY),
        (vector_headers(webhook_timestamp=str(TIMESTAMP - 1)), BODY),
        (vector_headers(webhook_signature="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), BODY),
        (vector_headers(webhook_signature="v1," + base64.b64encode(bytes(32)).decode()), BODY),
    ],
    ids=[
        "body-changed",
        "body-extended",
        "body-removed",
        "id-changed",
        "timestamp-later",
        "timestamp-earlier",
        "signature-changed",
        "signature-zeroed",
    ],
)
def test_tampered_delivery_is_rejected(headers: dict[str, str], body: bytes) -> None:
    assert rejection(headers, body=body).reason == "no-matching-signature"


def test_delivery_signed_with_another_secret_is_rejected() -> None:
    assert rejection(vector_headers(), secrets=(NEXT_SECRET,)).reason == "no-matching-signature"


# --- malformed headers ------------------------------------------------------------------------

MALFORMED: list[tuple[str, dict[str, str | None], str]] = [
    # (case id, header overrides where None removes the header, expected reason)
    ("id-missing", {ID_HEADER: None}, "missing-header"),
    ("timestamp-missing", {TIMESTAMP_HEADER: None}, "missing-header"),
    ("signature-missing", {SIGNATURE_HEADER: None}, "missing-header"),
    ("id-empty", {ID_HEADER: ""}, "missing-header"),
    ("timestamp-empty", {TIMESTAMP_HEADER: ""}, "missing-header"),
    ("signature-empty", {SIGNATURE_HEADER: ""}, "missing-header"),
    ("id-twice-in-two-cases", {"Webhook-Id": MSG_ID}, "duplicate-header"),
    ("timestamp-twice-differing", {"WEBHOOK-TIMESTAMP": "1614265331"}, "duplicate-header"),
    ("signature-twice", {"Webhook-Signature": SIGNATURE}, "duplicate-header"),
    ("id-257-chars", {ID_HEADER: "m" * 257}, "malformed-id"),
    ("id-nul", {ID_HEADER: "msg\x00"}, "malformed-id"),
    ("id-newline", {ID_HEADER: "msg\nwebhook-id: x"}, "malformed-id"),
    ("id-carriage-return", {ID_HEADER: "msg\r"}, "malformed-id"),
    ("id-tab", {ID_HEADER: "msg\t1"}, "malformed-id"),
    ("id-del", {ID_HEADER: "msg\x7f"}, "malformed-id"),
    ("id-c1-control", {ID_HEADER: "msg\x85"}, "malformed-id"),
    ("id-bidi-override", {ID_HEADER: "msg\u202e1"}, "malformed-id"),
    ("id-lone-surrogate", {ID_HEADER: "msg\udc80"}, "malformed-id"),
    ("id-non-ascii", {ID_HEADER: "msg_é"}, "malformed-id"),
    ("id-space", {ID_HEADER: "msg 1"}, "malformed-id"),
    ("id-joined-by-gateway", {ID_HEADER: f"{MSG_ID}, {MSG_ID}"}, "malformed-id"),
    ("id-joined-without-space", {ID_HEADER: f"{MSG_ID},{MSG_ID}"}, "malformed-id"),
    ("timestamp-word", {TIMESTAMP_HEADER: "now"}, "malformed-timestamp"),
    ("timestamp-exponent", {TIMESTAMP_HEADER: "1e10"}, "malformed-timestamp"),
    ("timestamp-exponent-exact", {TIMESTAMP_HEADER: "1.61426533e9"}, "malformed-timestamp"),
    ("timestamp-negative", {TIMESTAMP_HEADER: "-5"}, "malformed-timestamp"),
    ("timestamp-40-digits", {TIMESTAMP_HEADER: "9" * 40}, "malformed-timestamp"),
    ("timestamp-5000-digits", {TIMESTAMP_HEADER: "9" * 5000}, "malformed-timestamp"),
    ("timestamp-12-digits", {TIMESTAMP_HEADER: "100000000000"}, "malformed-timestamp"),
    ("timestamp-leading-plus", {TIMESTAMP_HEADER: "+1614265330"}, "malformed-timestamp"),
    ("timestamp-leading-zero", {TIMESTAMP_HEADER: "01614265330"}, "malformed-timestamp"),
    ("timestamp-leading-space", {TIMESTAMP_HEADER: " 1614265330"}, "malformed-timestamp"),
    ("timestamp-trailing-space", {TIMESTAMP_HEADER: "1614265330 "}, "malformed-timestamp"),
    ("timestamp-trailing-newline", {TIMESTAMP_HEADER: "1614265330\n"}, "malformed-timestamp"),
    ("timestamp-fraction", {TIMESTAMP_HEADER: "1614265330.0"}, "malformed-timestamp"),
    ("timestamp-underscores", {TIMESTAMP_HEADER: "1_614_265_330"}, "malformed-timestamp"),
    ("timestamp-hex", {TIMESTAMP_HEADER: "0x6037a2f2"}, "malformed-timestamp"),
    ("timestamp-arabic-digits", {TIMESTAMP_HEADER: "١٦١٤٢٦٥٣٣٠"}, "malformed-timestamp"),
    (
        "timestamp-fullwidth-digits",
        {TIMESTAMP_HEADER: "１６１４２６５３３０"},
        "malformed-timestamp",
    ),
    ("timestamp-milliseconds", {TIMESTAMP_HEADER: "1614265330000"}, "malformed-timestamp"),
    ("timestamp-iso-8601", {TIMESTAMP_HEADER: "2021-02-25T15:02:10Z"}, "malformed-timestamp"),
    (
        "timestamp-joined-by-gateway",
        {TIMESTAMP_HEADER: f"{TIMESTAMP}, {TIMESTAMP}"},
        "malformed-timestamp",
    ),
    ("signature-without-version", {SIGNATURE_HEADER: SIG_B64}, "malformed-signature"),
    ("signature-version-only", {SIGNATURE_HEADER: "v1"}, "malformed-signature"),
    ("signature-empty-payload", {SIGNATURE_HEADER: "v1,"}, "malformed-signature"),
    ("signature-empty-version", {SIGNATURE_HEADER: f",{SIG_B64}"}, "malformed-signature"),
    ("signature-two-commas", {SIGNATURE_HEADER: f"v1,{SIG_B64},x"}, "malformed-signature"),
    ("signature-not-base64", {SIGNATURE_HEADER: "v1,not base64!"}, "malformed-signature"),
    (
        "signature-base64url",
        {SIGNATURE_HEADER: "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="},
        "malformed-signature",
    ),
    ("signature-unpadded", {SIGNATURE_HEADER: f"v1,{SIG_B64.rstrip('=')}"}, "malformed-signature"),
    ("signature-non-ascii", {SIGNATURE_HEADER: f"v1,{SIG_B64[:-2]}é="}, "malformed-signature"),
    ("signature-hex", {SIGNATURE_HEADER: f"v1,{SIG_BYTES.hex()}"}, "malformed-signature"),
    ("signature-too-short", {SIGNATURE_HEADER: "v1,AAAA"}, "malformed-signature"),
    (
        "signature-too-long",
        {SIGNATURE_HEADER: "v1," + base64.b64encode(SIG_BYTES * 2).decode()},
        "malformed-signature",
    ),
    (
        "signature-joined-by-gateway",
        {SIGNATURE_HEADER: f"{SIGNATURE}, {SIGNATURE}"},
        "malformed-signature",
    ),
    (
        "signature-joined-after-other-version",
        {SIGNATURE_HEADER: f"v1a,xyz, {SIGNATURE}"},
        "malformed-signature",
    ),
    (
        "signature-double-space",
        {SIGNATURE_HEADER: f"{SIGNATURE}  {SIGNATURE}"},
        "malformed-signature",
    ),
    ("signature-leading-space", {SIGNATURE_HEADER: f" {SIGNATURE}"}, "malformed-signature"),
    ("signature-trailing-space", {SIGNATURE_HEADER: f"{SIGNATURE} "}, "malformed-signature"),
    (
        "signature-tab-separated",
        {SIGNATURE_HEADER: f"{SIGNATURE}\t{SIGNATURE}"},
        "malformed-signature",
    ),
    (
        "signature-valid-then-garbage",
        {SIGNATURE_HEADER: f"{SIGNATURE} v1,AAAA"},
        "malformed-signature",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [pytest.param(overrides, reason, id=case) for case, overrides, reason in MALFORMED],
)
def test_malformed_headers_are_rejected_with_a_stable_reason(
    overrides: dict[str, str | None], reason: str
) -> None:
    headers = vector_headers()
    for name, value in overrides.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    assert rejection(headers).reason == reason


def test_missing_headers_are_reported_even_without_any_headers() -> None:
    assert rejection({}).reason == "missing-header"


# --- tolerance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds_after_signing",
    [0, 1, -1, 299, -299, 300, -300],
)
def test_timestamps_within_five_minutes_either_way_are_accepted(
    seconds_after_signing: int,
) -> None:
    now = NOW + timedelta(seconds=seconds_after_signing)
    assert verify([SECRET], vector_headers(), BODY, now).timestamp == TIMESTAMP


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (NOW + timedelta(seconds=301), "stale-timestamp"),
        (NOW + timedelta(seconds=300, microseconds=1), "stale-timestamp"),
        (NOW + timedelta(days=365), "stale-timestamp"),
        (NOW - timedelta(seconds=301), "future-timestamp"),
        (NOW - timedelta(seconds=300, microseconds=1), "future-timestamp"),
        (NOW - timedelta(days=365), "future-timestamp"),
    ],
    ids=[
        "301s-old",
        "just-over-300s-old",
        "a-year-old",
        "301s-ahead",
        "just-over-300s-ahead",
        "a-year-ahead",
    ],
)
def test_timestamps_beyond_five_minutes_are_rejected(now: datetime, reason: str) -> None:
    assert rejection(vector_headers(), now=now).reason == reason


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [("0", "stale-timestamp"), ("99999999999", "future-timestamp")],
    ids=["epoch", "largest-accepted-spelling"],
)
def test_extreme_but_well_formed_timestamps_are_out_of_tolerance(
    timestamp: str, reason: str
) -> None:
    assert rejection(vector_headers(webhook_timestamp=timestamp)).reason == reason


def test_tolerance_compares_instants_not_wall_clocks() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9))) + timedelta(seconds=300)
    assert verify([SECRET], vector_headers(), BODY, tokyo).id == MSG_ID


def test_a_correctly_signed_replay_is_reported_as_stale() -> None:
    later = NOW + timedelta(hours=1)
    assert rejection(vector_headers(), now=later).reason == "stale-timestamp"


# --- configuration faults are not client faults ----------------------------------------------


@pytest.mark.parametrize(
    "secrets",
    [
        (),
        ("whsec_not base64!",),
        ("whsec_",),
        ("",),
        ("whsec_abcde",),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw-_",),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSé",),
        (SECRET, "whsec_not base64!"),
    ],
    ids=[
        "none",
        "not-base64",
        "prefix-only",
        "empty",
        "impossible-length",
        "base64url",
        "non-ascii",
        "second-of-two-bad",
    ],
)
def test_invalid_secret_is_a_secret_error_not_a_signature_error(
    secrets: tuple[str, ...],
) -> None:
    with pytest.raises(SecretError) as excinfo:
        verify(secrets, vector_headers(), BODY, NOW)
    assert not isinstance(excinfo.value, SignatureError)
    for secret in secrets:
        if secret.removeprefix("whsec_"):
            assert secret.removeprefix("whsec_") not in str(excinfo.value)
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__context__ is None or excinfo.value.__suppress_context__


def test_invalid_secret_is_reported_before_any_request_fault() -> None:
    with pytest.raises(SecretError):
        verify(["whsec_not base64!"], {}, BODY, NOW)


def test_signing_with_an_invalid_secret_is_a_secret_error() -> None:
    with pytest.raises(SecretError):
        sign("whsec_not base64!", MSG_ID, TIMESTAMP, BODY)


def test_a_single_string_is_not_mistaken_for_a_list_of_secrets() -> None:
    with pytest.raises(TypeError):
        verify(SECRET, vector_headers(), BODY, NOW)


def test_naive_now_is_refused_rather_than_read_as_local_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify([SECRET], vector_headers(), BODY, NOW.replace(tzinfo=None))


# --- errors are safe to return -----------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {ID_HEADER: "CANARY<script>" + "x" * 300},
        {TIMESTAMP_HEADER: "CANARY"},
        {SIGNATURE_HEADER: "v1,CANARY"},
        {SIGNATURE_HEADER: "CANARY"},
        {"Webhook-Id": "CANARY"},
        {TIMESTAMP_HEADER: str(TIMESTAMP + 3600)},
    ],
    ids=["id", "timestamp", "signature-payload", "signature-entry", "duplicate", "stale"],
)
def test_error_messages_never_echo_input_or_secrets(overrides: dict[str, str]) -> None:
    error = rejection(vector_headers() | overrides)
    message = str(error)
    assert message.endswith(".")
    assert "CANARY" not in message
    assert str(TIMESTAMP + 3600) not in message
    assert SECRET.removeprefix("whsec_") not in message
    assert SIG_B64 not in message


def test_delivery_is_immutable() -> None:
    delivery = verify([SECRET], vector_headers(), BODY, NOW)
    with pytest.raises(FrozenInstanceError):
        delivery.id = "other"  # type: ignore[misc]


# --- hostile input never escapes as another exception ----------------------------------------

header_names = st.sampled_from(
    [*HEADER_NAMES, *(n.upper() for n in HEADER_NAMES), "Webhook-Id", "content-type"]
) | st.text(max_size=20)


def verify_or_reject(headers: dict[str, str], body: bytes = BODY) -> None:
    outcome: Delivery | SignatureError
    try:
        outcome = verify([SECRET, NEXT_SECRET], headers, body, NOW)
    except SignatureError as error:
        outcome = error
    if isinstance(outcome, SignatureError):
        assert outcome.reason in REASONS
        assert str(outcome)


@given(headers=st.dictionaries(header_names, st.text(), max_size=8), body=st.binary(max_size=64))
def test_arbitrary_headers_only_ever_raise_signature_error(
    headers: dict[str, str], body: bytes
) -> None:
    verify_or_reject(headers, body)


@given(name=st.sampled_from(HEADER_NAMES), value=st.text())
def test_one_arbitrary_header_among_valid_ones_only_raises_signature_error(
    name: str, value: str
) -> None:
    verify_or_reject(vector_headers() | {name: value})


signature_entries = st.lists(
    st.one_of(
        st.just(SIGNATURE),
        st.builds(lambda v, p: f"{v},{p}", st.sampled_from(["v1", "v1a", "v2", ""]), st.text()),
        st.text(),
    ),
    max_size=5,
)


@given(entries=signature_entries, separator=st.sampled_from([" ", ", ", "  ", ","]))
def test_arbitrary_signature_lists_only_raise_signature_error(
    entries: list[str], separator: str
) -> None:
    verify_or_reject(vector_headers(webhook_signature=separator.join(entries)))


@given(secret=st.text())
def test_arbitrary_secrets_raise_only_secret_error_or_signature_error(secret: str) -> None:
    with contextlib.suppress(SecretError, SignatureError):
        verify([secret], vector_headers(), BODY, NOW)
