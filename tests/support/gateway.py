"""A filter in front of a server playing a remote DataArts endpoint, as the real API gateway.

It passes only the calls of DataArts' public API (``tests/data/dataarts-calls.json``: method and
path template of every call in the compatibility contract) and answers anything else 404
``APIGW.0101``, as the gateway does for an API it does not publish. It can add latency to every
call, answer 429 for chosen calls (the Nth passed call), and for chosen writes (the Nth write
passed: a call that is not a GET nor the batch export) refuse it without passing it on, pass it
on and answer 500 (the write took effect, its answer was lost), or pass it on and drop the
connection; it records every request it saw, so a test can check that a client made only
contract calls.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CALLS_FILE = Path(__file__).resolve().parents[1] / "data" / "dataarts-calls.json"
NO_API = {
    "error_code": "APIGW.0101",
    "error_msg": "The API does not exist or has not been published in the environment.",
}
THROTTLED = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached."}
INJECTED = {"error_code": "DLF.3051", "error_msg": "Refused by the test gateway."}
LOST = {"error_code": "APIGW.0203", "error_msg": "Internal error (the test gateway lost it)."}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def contract_calls() -> list[tuple[str, str, re.Pattern[str]]]:
    """(SDK method, HTTP method, path pattern) of every call in the contract."""
    calls = json.loads(CALLS_FILE.read_text(encoding="utf-8"))["calls"]
    return [(c["call"], c["method"], _pattern(c["path"])) for c in calls]


@dataclass
class Seen:
    """One request that reached the gateway."""

    method: str
    path: str
    call: str | None
    """The contract call it matched (``None``: refused with APIGW.0101)."""
    status: int
    at: float = field(default_factory=time.monotonic)
    """When it was answered (``time.monotonic``)."""


@dataclass
class Gateway:
    """The running filter: its URL, what it saw, and its knobs."""

    upstream: str
    url: str = ""
    latency: float = 0.0
    throttle: set[int] = field(default_factory=set)
    """Numbers (1-based, counted over the calls passed) of calls answered 429 instead."""
    refuse_writes: set[int] = field(default_factory=set)
    """Numbers (1-based, counted over the writes passed) of writes answered 400 unsent."""
    lose_answers: set[int] = field(default_factory=set)
    """Numbers of writes passed on, then answered 500 (their effect happened)."""
    drop_writes: set[int] = field(default_factory=set)
    """Numbers of writes passed on, then answered by closing the connection."""
    unpublished: set[str] = field(default_factory=set)
    """Contract calls this gateway does not publish (answered 404 ``APIGW.0101``, as another
    host's calls are: the DataArts Studio calls on the Factory endpoint)."""
    seen: list[Seen] = field(default_factory=list)
    _passed: int = 0
    _writes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def match(self, method: str, path: str) -> str | None:
        for call, verb, pattern in CALLS:
            if verb == method and pattern.match(path):
                return call
        return None

    def admit(self, method: str, path: str) -> tuple[str | None, bool]:
        """(the contract call, whether to throttle it) for one request."""
        call = self.match(method, path)
        with self._lock:
            if call is None or call in self.unpublished:
                return None, False
            self._passed += 1
            return call, self._passed in self.throttle

    def fault(self, method: str, call: str) -> str | None:
        """What to do wrong with a passed call: ``refuse``, ``lose``, ``drop`` or nothing."""
        if method == "GET" or call == "export_job_list":
            return None
        with self._lock:
            self._writes += 1
            n = self._writes
        for fault, numbers in (
            ("refuse", self.refuse_writes),
            ("lose", self.lose_answers),
            ("drop", self.drop_writes),
        ):
            if n in numbers:
                return fault
        return None

    def refuse_write_in(self, n: int) -> None:
        """Refuse the ``n``th write passed from now on (1: the next), as ``refuse_writes``."""
        with self._lock:
            self.refuse_writes.add(self._writes + n)

    def reset(self) -> None:
        """Forget what was seen and counted, and every fault asked for."""
        with self._lock:
            self.seen.clear()
            self._passed = self._writes = 0
            self.throttle, self.refuse_writes = set(), set()
            self.lose_answers, self.drop_writes = set(), set()
            self.unpublished = set()

    def writes(self) -> list[str]:
        """The writes passed (answered, whatever the answer), in order."""
        return [
            s.call
            for s in self.seen
            if s.call and s.method != "GET" and s.call != "export_job_list"
        ]

    def refused(self) -> list[Seen]:
        """Requests that matched no contract call."""
        return [s for s in self.seen if s.call is None]

    def calls(self) -> list[str]:
        """The contract calls passed, in order."""
        return [s.call for s in self.seen if s.call is not None]


CALLS = contract_calls()


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(gateway.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, str]) -> None:
            self._answer(status, json.dumps(body).encode(), [("Content-Type", "application/json")])

        def _filter(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            call, throttled = gateway.admit(self.command, path)
            if gateway.latency:
                time.sleep(gateway.latency)
            if call is None:
                gateway.seen.append(Seen(self.command, path, None, 404))
                self._json(404, NO_API)
                return
            if throttled:
                gateway.seen.append(Seen(self.command, path, call, 429))
                self._json(429, THROTTLED)
                return
            fault = gateway.fault(self.command, call)
            if fault == "refuse":
                gateway.seen.append(Seen(self.command, path, call, 400))
                self._json(400, INJECTED)
                return
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                answer = conn.getresponse()
                data = answer.read()
                gateway.seen.append(Seen(self.command, path, call, answer.status))
                if fault == "lose":
                    self._json(500, LOST)
                elif fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self._answer(answer.status, data, answer.getheaders())
            finally:
                conn.close()

        # http.server dispatches to do_<METHOD>: every method gets the same filter.
        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _filter  # noqa: N815

    return Handler


@contextmanager
def gateway_to(upstream: str) -> Iterator[Gateway]:
    """A filter on a free loopback port in front of ``upstream`` (``http://host:port``)."""
    gateway = Gateway(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() returns once serve_forever next looks at its flag: every 0.5 s by default, half
    # a second of every remotes test's teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
