"""``JOBFERRY_PUBLIC_HOSTS``: a call is answered only for a Host among this server's public
names, so a request signed for another endpoint cannot be replayed here. Every way a call
authenticates (:mod:`jobferry.api.auth`: AK/SK, an IAM token; and, through its
``hold_to_public_hosts``, the IAM token calls of ``routes/tokens.py``: a password, a token to
validate or revoke) holds it once the caller authenticated, so a stranger learns nothing of
the names."""

from __future__ import annotations

from jobferry.errors import AuthenticationError


def check_public_host(headers: dict[str, str], public: frozenset[str]) -> None:
    """Refuse a request for a Host that is not one of ``JOBFERRY_PUBLIC_HOSTS``.

    Run after the signature (or IAM token) check: a signed ``Host`` then is the header sent.
    Clients that do not sign it (Go's, Terraform's) and token callers are held to the same list
    by the header they send.
    """
    host = headers.get("host", "")
    if public and host.strip().lower() not in public:
        raise AuthenticationError(
            f"Incorrect IAM authentication information: Host '{host[:100]}' is not one of this "
            f"server's public hosts (JOBFERRY_PUBLIC_HOSTS: {', '.join(sorted(public))}); "
            "send the request to one of them (an AK/SK-signed request: signed for that host).",
            host=host[:100],
            public_hosts=sorted(public),
        )
