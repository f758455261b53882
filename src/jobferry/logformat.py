"""The server's log format: uvicorn's logging set-up with jobferry's loggers, each line opening
with its time (UTC) and process id.

Kept apart from ``server.py`` and light to import: a worker process of ``JOBFERRY_WORKERS``
configures logging from :func:`log_config` (which names :class:`LogFormatter` by its import
path) before it starts answering its supervisor's health check, and uvicorn kills and replaces
a worker that does not answer within 5 s. Naming a class in ``server.py`` made each worker
import the whole app first (~3 s of CPU): on a loaded machine no new worker answered in time,
and uvicorn replaced them for as long as the load lasted.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelprefix)s %(message)s"
"""One line an event: when (UTC), which process (several serve one port with
``JOBFERRY_WORKERS``), the level and the message."""


class LogFormatter(DefaultFormatter):
    """uvicorn's formatter (its coloured level when standard error is a terminal), the time in
    UTC to the millisecond, as jobferry writes every time: ``2026-11-27T19:40:05.123Z``."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class OneLine(logging.Filter):
    """A record's exception as one line after its message, not its traceback: what SQLAlchemy's
    pool says of a connection the database closed ("Exception during reset or similar") names
    nothing an operator can act on, and the request or task that met the closed database logs
    why in a line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging set-up plus jobferry's loggers (``jobferry.access``: one line a
    request; ``jobferry.*``: tasks, housekeeping, errors), all to standard error, each line
    opening with its time and process id (:data:`LOG_FORMAT`)."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"].update({"()": f"{__name__}.LogFormatter", "fmt": LOG_FORMAT})
    config["loggers"]["jobferry"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    config.setdefault("filters", {})["one_line"] = {"()": f"{__name__}.OneLine"}
    config["handlers"]["one_line"] = {
        **config["handlers"]["default"],
        "filters": ["one_line"],
    }
    config["loggers"]["sqlalchemy.pool"] = {
        "handlers": ["one_line"],
        "level": "WARNING",
        "propagate": False,
    }
    return config
