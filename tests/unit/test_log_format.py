"""The server's log lines open with their time (UTC, to the millisecond) and the id of the
process that wrote them: with ``JOBFERRY_WORKERS=2`` two processes write to one log."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from typing import Any

from jobferry.server import log_config


def formatter(config: dict[str, Any]) -> logging.Formatter:
    spec = dict(config["formatters"]["default"])
    path = spec.pop("()")
    module, _, name = path.rpartition(".")
    cls = getattr(__import__(module, fromlist=[name]), name)
    made: logging.Formatter = cls(**spec)
    return made


def test_a_log_line_says_when_in_utc_and_which_process_wrote_it() -> None:
    record = logging.LogRecord(
        "jobferry.tasks", logging.WARNING, __file__, 1, "task %s FAILED", ("abc",), None
    )
    record.created, record.msecs = 1_780_000_000.25, 250  # the tests run at UTC+8
    line = formatter(log_config("info")).format(record)
    assert "\n" not in line
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    assert re.fullmatch(rf"{stamp}\.250Z \[{os.getpid()}\] WARNING: +task abc FAILED", line), line


def test_a_worker_process_sets_its_log_up_without_importing_the_app() -> None:
    """uvicorn's worker process (``JOBFERRY_WORKERS``) applies the log config the server gives
    it before it answers its supervisor's health check, and is killed when it has not answered
    within 5 s: importing the app there (~3 s of CPU) had uvicorn replace every new worker on a
    loaded machine, so a second process never started serving."""
    applies = (
        "import json, logging.config, sys; logging.config.dictConfig(json.load(sys.stdin)); "
        "print(json.dumps(sorted(m for m in ('fastapi', 'sqlalchemy', 'jobferry.server') "
        "if m in sys.modules)))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", applies],
        input=json.dumps(log_config("info")),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(ran.stdout) == [], ran.stdout


def test_the_pool_s_error_on_a_connection_the_database_closed_is_one_line_not_a_trace() -> None:
    # a database gone away logged SQLAlchemy's "Exception during reset or similar" with its
    # whole traceback, past jobferry's format, beside jobferry's own one line saying why
    says = (
        "import json, logging, logging.config, sys; "
        "logging.config.dictConfig(json.load(sys.stdin))\n"
        "try:\n    raise OSError('the connection is lost')\n"
        "except OSError:\n"
        "    logging.getLogger('sqlalchemy.pool.impl.QueuePool').error("
        "'Exception during reset or similar', exc_info=True)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", says],
        input=json.dumps(log_config("info")),
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = ran.stderr.splitlines()
    assert line.endswith("Exception during reset or similar: the connection is lost"), line
    assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z \[\d+\] ERROR:", line), line
