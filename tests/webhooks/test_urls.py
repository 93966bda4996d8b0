"""The SSRF guard's rules at creation: every disguise of a private address is a 422 naming
the rule; public names and addresses pass."""

from __future__ import annotations

import ipaddress

import pytest

from skylight.kit.errors import Unprocessable
from skylight.webhooks.urls import PLAIN_IP, PRIVATE, QUALIFIED, check_url, is_public


def problem(url: str) -> str:
    with pytest.raises(Unprocessable) as refused:
        check_url(url, allow_private=False)
    errors = refused.value.errors
    assert errors is not None
    return errors["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001/hook",
        "http://2130706433/hook",
        "http://127.1/hook",
        "http://0177.0.0.1/hook",
        "http://0/hook",
        "http://1.2.3.4./hook",
        "http://127.0.0.1.:8000/hook",
    ],
)
def test_ip_addresses_not_written_plainly_are_refused(url: str) -> None:
    assert problem(url) == PLAIN_IP


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://100.64.0.1/hook",  # CGNAT
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[64:ff9b::a00:5]/hook",  # NAT64 of 10.0.0.5
        "http://[fe80::1]/hook",
        "http://[ff02::1]/hook",
        "http://localhost/hook",
        "http://localhost./hook",
        "http://LOCALHOST/hook",
        "http://api.localhost/hook",
        "http://printer.local/hook",
        "http://metadata.google.internal/hook",
    ],
)
def test_private_and_local_addresses_are_refused(url: str) -> None:
    assert problem(url) == PRIVATE
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["http://intranet/hook", "http://%6c%6f%63%61%6c%68%6f%73%74/"])
def test_single_label_and_encoded_names_are_refused(url: str) -> None:
    assert problem(url) == QUALIFIED


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/skylight",
        "https://straße.example/hook",
        "http://8.8.8.8:8080/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://hooks.example.com./x",
    ],
)
def test_public_names_and_addresses_pass(url: str) -> None:
    assert check_url(url, allow_private=False) == url


def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry() -> None:
    assert is_public(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert not is_public(ipaddress.ip_address("::ffff:192.168.0.1"))
    assert is_public(ipaddress.ip_address("2002:808:808::1"))
    assert not is_public(ipaddress.ip_address("2001:0::1"))  # Teredo
