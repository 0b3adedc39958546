"""What the feed poller may fetch is decided before a byte is sent: every inward address is
refused by its kind, a URL stays https on the subscribed host, and a redirect may not leave it."""

from __future__ import annotations

import pytest

from clearance.feeds.outbound import (
    FetchRefused,
    Limits,
    check_address,
    check_url,
    redirect_target,
)

STRICT = Limits()
LOCAL = Limits(loopback_http=True)
HOST = "feed.example.com"
CURRENT = "https://feed.example.com/world/rss"
# Refused below, never bound to.
UNSPECIFIED = "0.0.0.0"  # noqa: S104

REFUSED_ADDRESSES = [
    ("10.0.0.1", "address.private"),
    ("172.16.5.4", "address.private"),
    ("192.168.1.1", "address.private"),
    ("127.0.0.1", "address.loopback"),
    ("::1", "address.loopback"),
    ("169.254.169.254", "address.link-local"),
    ("fd00:ec2::254", "address.link-local"),
    ("100.64.0.1", "address.shared"),
    (UNSPECIFIED, "address.unspecified"),
    ("224.0.0.1", "address.multicast"),
    ("240.0.0.1", "address.reserved"),
    ("::ffff:10.0.0.1", "address.private"),
    ("fe80::1", "address.link-local"),
    ("fc00::1", "address.private"),
]

# IPv6 forms that carry an IPv4 address, each leading inward.
CARRIED = [
    ("::ffff:169.254.169.254", "address.link-local"),
    ("::ffff:127.0.0.1", "address.loopback"),
    ("2002:a00:1::", "address.private"),
    ("64:ff9b::a00:1", "address.private"),
    ("64:ff9b::6440:1", "address.shared"),
]


def refusal(call: object, *args: object) -> FetchRefused:
    assert callable(call)
    with pytest.raises(FetchRefused) as caught:
        call(*args)
    return caught.value


@pytest.mark.parametrize(("address", "code"), REFUSED_ADDRESSES)
def test_every_inward_address_is_refused_by_its_kind(address: str, code: str) -> None:
    # Given an address that is not globally routable, and limits for AWS
    # When it is checked
    refused = refusal(check_address, address, STRICT)
    # Then it is refused with the code of its kind, naming the address
    assert refused.code == code
    assert address in refused.message


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254"])
def test_the_instance_metadata_service_is_named_as_such(address: str) -> None:
    # Given an address of the instance metadata service
    # When it is checked
    refused = refusal(check_address, address, STRICT)
    # Then the refusal says what it would have reached
    assert "instance metadata" in refused.message


@pytest.mark.parametrize(("address", "code"), CARRIED)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(address: str, code: str) -> None:
    # Given an IPv6 address (mapped, 6to4 or NAT64) carrying an inward IPv4 address
    # When it is checked
    refused = refusal(check_address, address, STRICT)
    # Then it is refused as the IPv4 address would be
    assert refused.code == code
    assert "carries" in refused.message


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:4700::1", "::ffff:93.184.215.14", "64:ff9b::5db8:d70e"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    # Given a globally routable address (or a form carrying one)
    # When it is checked, then nothing is raised
    check_address(address, STRICT)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_allowed_only_on_the_local_stack(address: str) -> None:
    # Given a loopback address
    # When it is checked with limits for AWS, then it is refused
    assert refusal(check_address, address, STRICT).code == "address.loopback"
    # And when it is checked with the local stack's limits, then it is allowed
    check_address(address, LOCAL)


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", UNSPECIFIED, "fe80::1"])
def test_the_local_stack_still_refuses_every_other_inward_address(address: str) -> None:
    # Given an inward address that is not loopback
    # When it is checked with the local stack's limits, then it is still refused
    assert refusal(check_address, address, LOCAL).code.startswith("address.")


def test_an_address_that_is_not_one_is_refused() -> None:
    # Given a resolver's answer that is no IP address
    # When it is checked, then it is refused
    assert refusal(check_address, "feed.example.com", STRICT).code == "address.invalid"


@pytest.mark.parametrize(
    "url",
    [
        "https://feed.example.com/world/rss",
        "https://FEED.Example.COM/world/rss",
        "https://feed.example.com./world/rss",
        "https://feed.example.com:8443/world/rss?page=2",
    ],
)
def test_an_https_url_on_the_subscribed_host_is_accepted(url: str) -> None:
    # Given an https URL on the subscribed host (any case, trailing dot, any port)
    # When it is checked
    split = check_url(url, HOST, STRICT)
    # Then it is returned as it will be requested
    assert split.scheme == "https"
    assert split.geturl() == url


def test_a_fragment_is_dropped() -> None:
    # Given a URL with a fragment
    # When it is checked
    split = check_url("https://feed.example.com/rss#latest", HOST, STRICT)
    # Then the fragment, which is never sent, is gone
    assert split.geturl() == "https://feed.example.com/rss"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://user:secret@feed.example.com/rss", "url.invalid"),
        ("https://token@feed.example.com/rss", "url.invalid"),
        ("https:///rss", "url.invalid"),
        ("https://[::1/rss", "url.invalid"),
        ("https://feed.example.com:99999/rss", "url.invalid"),
        ("https://feed.example.com/a b", "url.invalid"),
        ("https://feed.example.com/\r\nX-Injected: 1", "url.invalid"),
        ("https://feed.example.com/nachrichten/über", "url.invalid"),
        ("http://feed.example.com/rss", "url.scheme"),
        ("ftp://feed.example.com/rss", "url.scheme"),
        ("file:///etc/passwd", "url.scheme"),
        ("gopher://feed.example.com/", "url.scheme"),
        ("https://other.example.com/rss", "url.host"),
        ("https://feed.example.com.evil.test/rss", "url.host"),
        ("https://evil.test\\@feed.example.com/rss", "url.invalid"),
    ],
)
def test_a_url_that_may_not_be_fetched_is_refused_with_why(url: str, code: str) -> None:
    # Given a URL that is malformed, carries credentials, is not https or is off the host
    # When it is checked
    refused = refusal(check_url, url, HOST, STRICT)
    # Then it is refused with the reason's code
    assert refused.code == code


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8080/rss", "127.0.0.1"),
        ("http://localhost:8080/rss", "localhost"),
        ("http://[::1]:8080/rss", "::1"),
    ],
)
def test_plain_http_is_accepted_only_to_loopback_on_the_local_stack(url: str, host: str) -> None:
    # Given a plain http URL to a loopback host
    # When it is checked with limits for AWS, then it is refused for its scheme
    assert refusal(check_url, url, host, STRICT).code == "url.scheme"
    # And when it is checked with the local stack's limits, then it is accepted
    assert check_url(url, host, LOCAL).scheme == "http"


def test_plain_http_to_a_public_host_is_refused_even_on_the_local_stack() -> None:
    # Given a plain http URL to a public host, and the local stack's limits
    # When it is checked
    refused = refusal(check_url, "http://feed.example.com/rss", HOST, LOCAL)
    # Then it is refused for its scheme
    assert refused.code == "url.scheme"


def test_ip_literals_are_compared_as_addresses() -> None:
    # Given a host subscribed as one spelling of an IPv6 address
    # When a URL names the same address spelled differently
    split = check_url("http://[0:0::1]:8080/rss", "::1", LOCAL)
    # Then it is on the subscribed host
    assert split.hostname == "0:0::1"


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("/world/rss?page=2", "https://feed.example.com/world/rss?page=2"),
        ("rss2", "https://feed.example.com/world/rss2"),
        ("https://feed.example.com/new/rss#top", "https://feed.example.com/new/rss"),
        ("  https://FEED.example.com:8443/rss ", "https://FEED.example.com:8443/rss"),
    ],
)
def test_a_redirect_on_the_same_host_is_followed_as_an_absolute_url(
    location: str, target: str
) -> None:
    # Given a Location on the subscribed host, relative or absolute
    # When its target is worked out
    # Then it is the absolute URL, fragment dropped
    assert redirect_target(CURRENT, location, HOST, STRICT) == target


@pytest.mark.parametrize(
    "location",
    ["https://evil.test/rss", "//evil.test/rss", "http://evil.test/", "https://93.184.215.14/"],
)
def test_a_redirect_to_another_host_is_refused_naming_both(location: str) -> None:
    # Given a Location on another host
    # When its target is worked out
    refused = refusal(redirect_target, CURRENT, location, HOST, STRICT)
    # Then it is refused, naming the subscribed host and the other one
    assert refused.code == "redirect.other-host"
    assert HOST in refused.message
    assert location.split("//")[1].strip("/").split("/")[0] in refused.message


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("http://169.254.169.254/latest/meta-data/", "address.link-local"),
        ("https://[fd00:ec2::254]/latest/meta-data/", "address.link-local"),
        ("https://10.0.0.1/admin", "address.private"),
        ("http://127.0.0.1:2375/containers", "address.loopback"),
    ],
)
def test_a_redirect_to_an_inward_address_is_named_as_such(location: str, code: str) -> None:
    # Given a Location whose host is an inward IP address
    # When its target is worked out
    refused = refusal(redirect_target, CURRENT, location, HOST, STRICT)
    # Then it is refused for the address, the shape of an SSRF attempt
    assert refused.code == code


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("http://feed.example.com/rss", "url.scheme"),
        ("file:///etc/passwd", "url.scheme"),
        ("https://user:pw@feed.example.com/rss", "url.invalid"),
        ("https://feed.example.com/a b", "url.invalid"),
    ],
)
def test_a_same_host_redirect_still_obeys_the_url_rules(location: str, code: str) -> None:
    # Given a Location that downgrades to http, leaves the web or is malformed
    # When its target is worked out
    refused = refusal(redirect_target, CURRENT, location, HOST, STRICT)
    # Then it is refused as the URL itself would be
    assert refused.code == code
