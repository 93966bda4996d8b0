"""Our clients share one TLS context per process (building one per client cost the test suite
about 4% of its CPU), and sharing it weakens nothing."""

from __future__ import annotations

import ssl

import httpx

from skylight.integrations.unipile.simulator.control import SimulatorControl
from skylight.kit.tls import client_tls


def test_one_context_per_process_and_trust_setting() -> None:
    assert client_tls() is client_tls()
    assert client_tls(trust_env=False) is client_tls(trust_env=False)
    assert client_tls() is not client_tls(trust_env=False)


def test_the_shared_context_still_verifies_certificates_and_host_names() -> None:
    for context in (client_tls(), client_tls(trust_env=False)):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 0


async def test_a_client_of_ours_uses_it() -> None:
    control = SimulatorControl("http://127.0.0.1:9", "key")
    try:
        transport = control._http._transport  # where httpx keeps it
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        assert transport._pool._ssl_context is client_tls()
    finally:
        await control.aclose()
