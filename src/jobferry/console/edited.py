"""The kinds the definition editor (``editor.py``) edits, jobs and scripts: each one's words,
pages and the service calls its editor makes: the review of a save (``services.reviews``),
and the save, through the same ``create``/``update`` the API calls, saying the definition it
was made from and the cautions of the review the person confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jobferry.console.missing import JOBS, SCRIPTS, Listed
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.cautions import Cautions
from jobferry.services.definitions.review import DefinitionReview

Base = dict[str, Any] | None
"""The definition the editor was opened with, which a save is made from (``None``: new)."""
Save = Callable[[Services, Scope, str, dict[str, Any], Base, Cautions], None]
"""Create (name ``''``) or replace (the name edited) a definition through its service, with
the cautions of the review confirmed (refused when the workspace now gives others)."""
Review = Callable[[Services, Scope, str, dict[str, Any], Base], DefinitionReview]
"""What that save would do (refused as the save would be)."""


class Editable(Protocol):
    """The service of a kind the editor saves (jobs, scripts)."""

    def create(self, scope: Scope, body: dict[str, Any], /, *, cautions: Cautions) -> object: ...

    def update(
        self, scope: Scope, name: str, body: dict[str, Any], base: Base, /, *, cautions: Cautions
    ) -> object: ...


def _saved_by(service: Callable[[Services], Editable]) -> Save:
    """The :data:`Save` of a kind: through its ``service``'s create or update."""

    def save(
        services: Services,
        scope: Scope,
        name: str,
        body: dict[str, Any],
        base: Base,
        cautions: Cautions,
    ) -> None:
        if name:
            service(services).update(scope, name, body, base, cautions=cautions)
        else:
            service(services).create(scope, body, cautions=cautions)

    return save


@dataclass(frozen=True)
class Edited:
    """What the editor edits: a kind's words, its pages, its service calls, and the definition
    a new one starts from."""

    kind: str
    pages: str
    show: Callable[[Services, Scope, str], dict[str, Any]]
    save: Save
    review: Review
    start: dict[str, Any]
    rename: str
    """How to rename one, since the editor does not (``{old}``: the name edited)."""
    listed: Listed
    """The list of the kind, where the editor of one that is not there links back to."""


EDITED = {
    "jobs": Edited(
        "job",
        "jobs",
        lambda services, scope, name: services.jobs.show(scope, name).document,
        _saved_by(lambda services: services.jobs),
        lambda services, scope, name, body, base: services.reviews.job(scope, name, body, base),
        {
            "name": "new_job",
            "directory": "/",
            "processType": "BATCH",
            "nodes": [{"name": "step_1", "type": "Dummy", "location": {"x": "10", "y": "10"}}],
            "schedule": {"type": "EXECUTE_ONCE"},
            "params": [],
        },
        "rename it with jobferry jobs rename {old} {new} -w {workspace}",
        JOBS,
    ),
    "scripts": Edited(
        "script",
        "scripts",
        lambda services, scope, name: services.scripts.show(scope, name).document,
        _saved_by(lambda services: services.scripts),
        lambda services, scope, name, body, base: services.reviews.script(scope, name, body, base),
        {"name": "new_script", "type": "Shell", "directory": "/", "content": "echo hello"},
        "create the new name with New script and delete '{old}'",
        SCRIPTS,
    ),
}
