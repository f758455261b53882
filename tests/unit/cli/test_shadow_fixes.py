"""A refusal in a remote's shadow (``DLF.9063``) says its fix in the CLI's commands
(``cli/remedies.py``): what an import into the shadow pushes to the remote is changed by one;
what it does not push (environment variables, locks: ``pushed`` false) is changed in the remote,
then refreshed."""

from __future__ import annotations

from jobferry.cli.remedies import refusal_text
from jobferry.domain.remedies import Remedy

PROBLEM = (
    "Workspace 'prod' is the shadow of remote 'prod' and may not lock objects: it changes only "
    "with the remote."
)


def _said(**context: object) -> str:
    body = {"remedy": Remedy.REFRESH_SHADOW.value, "problem": PROBLEM, "remote": "prod"}
    return refusal_text("the server's own words", body | context)


def test_a_change_an_import_pushes_is_to_be_imported() -> None:
    for said in (_said(pushed=True), _said()):  # a server before ``pushed`` said nothing of it
        assert said.startswith(PROBLEM)
        assert "jobferry remotes refresh prod" in said
        assert "import a package into the shadow: the import is pushed to the remote" in said


def test_a_lock_or_a_variable_is_to_be_changed_in_the_remote_then_refreshed() -> None:
    said = _said(pushed=False)

    assert said == (
        f"{PROBLEM} Make the change in the remote workspace, then refresh it with jobferry "
        "remotes refresh prod."
    )
