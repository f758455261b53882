"""Which tests run on one xdist worker, and the scheduler that sends them there.

``--dist loadgroup`` sends the tests that share an ``xdist_group`` mark to one worker, but
pytest-xdist 3.8 passes the group to the controller by renaming ``item._nodeid``, which
pytest 9.2 no longer reads (pytest-dev/pytest-xdist#1386): the marks are silently ignored.
This scheduler reads the groups from the node ids instead, for the few modules whose tests
share processes of their own that are costly to start; every other test goes wherever a
worker is free (the servers most tests use are per worker anyway: ``SharedServers``).
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling

ONE_WORKER_MODULES = {
    # two servers on one database, for both tests
    "tests/e2e/test_signatures.py": "signatures",
    # a JOBFERRY_WORKERS=2 server, for all three tests
    "tests/e2e/test_workers.py": "workers",
    # a server with a small upload cap, for both tests
    "tests/e2e/test_upload_limit.py": "upload-limit",
    # second_servers: the targets' servers (SQLite, as the CLI tests run), ~1.5 s of CPU each,
    # started by every worker that runs one of these two modules' tests
    "tests/cli/test_promote_carried.py": "second-servers",
    "tests/cli/test_promote_basis.py": "second-servers",
    # a server that runs no task (JOBFERRY_TASK_THREADS=0), for its three tests
    "tests/cli/test_wait_timeout.py": "idle-server",
    # a console server for both tests, and one screenshot folder that one of them empties:
    # on two workers, each started its own server and one emptied the folder the other wrote
    # (or made it between the other's emptying and making it: FileExistsError)
    "tests/e2e/test_console_release_layout_browser.py": "release-layout",
    "tests/e2e/test_console_releases_browser.py": "console-releases",
    "tests/e2e/test_console_layout_browser.py": "console-layout",
}
"""Module -> its group: the modules of a group run on one worker."""


class OneWorkerModules(LoadGroupScheduling):
    """``loadgroup`` scheduling in which the modules of ``ONE_WORKER_MODULES`` go by group."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path in ONE_WORKER_MODULES:
            return ONE_WORKER_MODULES[path]
        scope: str = super()._split_scope(nodeid)
        return scope


class OneWorkerScheduler:
    """The plugin that hands xdist the scheduler (registered only when xdist is loaded:
    pytest refuses a hook nobody declared)."""

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getoption("dist") != "loadgroup":
            return None
        return OneWorkerModules(config, log)
