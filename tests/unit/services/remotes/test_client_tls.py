"""The remote clients' TLS settings: made once per process and shared, verifying the server's
certificate and host name against the system's trust store."""

from __future__ import annotations

import ssl

from jobferry.services.remotes.client import tls_context


def test_every_client_shares_one_context_that_verifies_servers() -> None:
    context = tls_context()
    assert tls_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
