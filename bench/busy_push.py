"""``python -m bench.busy_push [bench.remotes_cli's options]``: ``bench.busy``'s probes (an API
list and show, three console pages, ``jobferry jobs list --name``) against the local server of
``bench.remotes_cli`` while its big steps run: the first refresh of the remote (every object of
the remote written into its shadow workspace) and each ``promote … --apply`` (the plan, its
import into the shadow and the push of the changes to the DataArts stand-in). The probes read
the local server's workspace ``test`` (5,000 jobs; before it is made, during the first refresh,
the empty default workspace: the job's show and page are then counted as not answered), as a
colleague browsing beside the push. Prints each
step's probe figures as ``bench.busy`` does, then ``bench.remotes_cli``'s own figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench.remotes_cli as remotes_cli
from bench.busy import SESSIONS, Prober, during, seen_a_minute_ago, show
from bench.http import Client
from bench.throughput import AK, PROJECT, SK

LOCAL: dict[str, Any] = {}
"""The local server's data folder, database and address, once it serves."""


@contextmanager
def local_server(
    data: Path, url: str, port: int = 0, log_level: str | None = None
) -> Iterator[tuple[str, int]]:
    with SERVE(data, url, port, log_level) as (address, pid):
        LOCAL.update(data=data, url=url, address=address)
        yield address, pid


def step(self: Any, cli: Any, *args: str, codes: tuple[int, ...] = (0,)) -> Any:
    """The step, probed when it is a refresh or an apply."""
    if not ("refresh" in args or "--apply" in args):
        return STEP(self, cli, *args, codes=codes)
    port = int(LOCAL["address"].rsplit(":", 1)[1])
    listed = Client(port, PROJECT, None, AK, SK).send("GET", "/workspaces")["workspaces"]
    test = [w["id"] for w in listed if w["name"] == "test"]
    browsed = test[0] if test else next(w["id"] for w in listed if w.get("isDefault"))
    prober = Prober(port, PROJECT, browsed, cli.env, SK)
    prober.sessions = seen_a_minute_ago(LOCAL["data"], LOCAL["url"], SESSIONS)
    kept: dict[str, Any] = {}

    def work() -> None:
        kept["result"] = STEP(self, cli, *args, codes=codes)

    figures = during(prober, work, None)
    show(" ".join(args), figures)
    PROBED.append({"step": " ".join(args), **figures})
    return kept["result"]


SERVE, STEP = remotes_cli.local_server, remotes_cli.Step.__call__
PROBED: list[dict[str, Any]] = []


def main() -> None:
    remotes_cli.local_server = local_server
    remotes_cli.Step.__call__ = step  # type: ignore[method-assign]
    remotes_cli.main()
    print(json.dumps(PROBED))


if __name__ == "__main__":
    main()
