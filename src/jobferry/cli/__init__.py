"""The ``jobferry`` command line: local server commands, remote flows, offline package tools.

``app`` is the Typer app (see :mod:`jobferry.cli.app`), ``main`` the console-script entry point.
"""

from jobferry.cli.app import app, main

__all__ = ["app", "main"]
