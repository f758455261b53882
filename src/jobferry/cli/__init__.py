"""The ``jobferry`` command line: local server commands, remote flows, offline package tools.

``main`` is the console-script entry point; the Typer app is :data:`jobferry.cli.app.app`.
``main`` imports the command line itself, not this package: Ctrl-C while it loads (a few
tenths of a second, longer on a busy machine) then ends as every interruption of a command
does (one line, exit 130), not in a traceback.
"""

from __future__ import annotations

import json
import os
import sys

from jobferry.cli.exits import ExitCode

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``jobferry`` console script."""
    try:
        from jobferry.cli.app import main as run
    except KeyboardInterrupt:
        if "--json" in sys.argv:
            said = {"error": {"code": "interrupted", "message": "Interrupted."}}
            print(json.dumps(said, indent=2), flush=True)
        else:
            print("error: Interrupted.", file=sys.stderr, flush=True)
        # Nothing was started to be ended; a C extension stopped halfway through its import
        # can crash the interpreter's clean-up (a segmentation fault, 1 run in ~10 here).
        os._exit(ExitCode.INTERRUPTED)
    run()
