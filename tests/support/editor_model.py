"""What the definition editor and the library pages promise (docs/console.md: *Job editor*,
*Saving in the editor*, *Scripts, Resources*, *Script*, *Resource*), for
``tests/console/test_generated_editor.py``.

The editor saves through the same create and update as the API, so a text it can read as a
definition is taken or refused as the same service call on a twin workspace is; a text that
is no definition (not JSON, no object, a rename) is refused by the editor itself (400). Only
admins and developers use it (403 for the others), and never on a production side, which
changes only by a release. Whatever refused a post, nothing changed, and the page says why in
the console's words. A script's page lists its submitted versions and the jobs that run it; a
resource's page the jobs that use it; a script's Delete is refused while a job runs it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.errors import ProductionSideError
from jobferry.services.container import Services
from jobferry.services.context import Scope

WRITERS = frozenset({"admin", "developer"})
"""Who may use the editor and a script's Delete (docs/console.md, *Pages*)."""
ROLE_REFUSED = 403
PRODUCTION_TARGET = "PRODUCTION"
"""A save straight to production: the editor offers it to admins only."""
EDITOR_REFUSED = 400
"""A text the editor does not read as a definition: refused before any service is called."""
PRODUCTION_REFUSED = ProductionSideError.status
SERVER_ERROR = 500
_LEFT_OUT = frozenset((*SERVER_FIELDS, *CONTROL_FIELDS))


@dataclass(frozen=True)
class Held:
    """A workspace's jobs and scripts as the services read them, naming nothing of the
    workspace: each one's name, latest submitted version and definition (without what the
    server sets)."""

    jobs: tuple[tuple[str, int | None, str], ...]
    scripts: tuple[tuple[str, int | None, str], ...]


def _kept(document: dict[str, Any]) -> str:
    return repr(sorted((k, repr(v)) for k, v in document.items() if k not in _LEFT_OUT))


def held(services: Services, scope: Scope) -> Held:
    """What ``scope``'s workspace holds."""
    kw: dict[str, Any] = {"job_type": None, "job_name": None, "tags": None}
    _, jobs = services.jobs.list_jobs(scope, **kw, limit=100, offset=0)
    _, scripts = services.scripts.list_scripts(scope, script_name=None, limit=100, offset=0)
    shown = [services.jobs.show(scope, j.name) for j in jobs]
    return Held(
        tuple(sorted((j.name, j.version, _kept(j.document)) for j in shown)),
        tuple(sorted((s.name, s.version, _kept(s.document)) for s in scripts)),
    )


USING = {"scripts": "scriptName", "resources": "resourceName"}
"""The node property by which a job uses a script or a resource."""


def uses(document: dict[str, Any], kind: str, name: str) -> bool:
    """Whether a job's definition uses the script or resource ``name``: a node's property
    (``USING``) names it."""
    for node in document.get("nodes") or []:
        for prop in node.get("properties") or [] if isinstance(node, dict) else []:
            named = isinstance(prop, dict) and prop.get("name") == USING[kind]
            if named and prop.get("value") == name:
                return True
    return False


def jobs_using(services: Services, scope: Scope, name: str, kind: str = "scripts") -> list[str]:
    """The jobs whose development state uses the script (or resource) ``name``, by name."""
    kw: dict[str, Any] = {"job_type": None, "job_name": None, "tags": None}
    _, jobs = services.jobs.list_jobs(scope, **kw, limit=100, offset=0)
    shown = [services.jobs.show(scope, j.name).document for j in jobs]
    return sorted(str(d.get("name")) for d in shown if uses(d, kind, name))


_BOX = re.compile(r'<textarea id="definition"[^>]*>(.*?)</textarea>', re.S)
_USED = re.compile(r"<h2>Used by</h2>(.*?)</section>", re.S)
_VERSIONS = re.compile(r"<h2>Submitted versions</h2>(.*?)</section>", re.S)


def typed(page: str) -> str | None:
    """The text in the editor's definition box (``None``: the page has none)."""
    found = _BOX.search(page)
    return html.unescape(found.group(1)) if found else None


def hidden(page: str, name: str) -> str:
    """A hidden field of the editor's form, as the browser posts it back (``''``: none)."""
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def used_by(page: str) -> list[str]:
    """The jobs a script's or resource's page says use it."""
    found = _USED.search(page)
    assert found, "no Used by card"
    return sorted(html.unescape(j) for j in re.findall(r"<li><a [^>]*>([^<]*)</a></li>", found[1]))


def versions_shown(page: str) -> list[int]:
    """The submitted versions a script's page lists, as shown (newest first)."""
    found = _VERSIONS.search(page)
    assert found, "no Submitted versions card"
    return [int(v) for v in re.findall(r'<td class="nowrap">v(\d+)</td>', found[1])]


def offered(who: str, target: str) -> bool:
    """Whether the editor offers ``who`` to save with ``target`` (a status it offers none:
    refused by the editor, in its words)."""
    return target in ("SUBMITTED", "SAVED") or (target == PRODUCTION_TARGET and who == "admin")


def choices(body: dict[str, Any], target: str, approvers: str) -> dict[str, Any]:
    """The request body of a save made with the editor's choices, as docs/api.md writes it:
    ``targetStatus``, and the approvers typed as ``[{"approverName"}]`` (none typed: none)."""
    names = [a.strip() for a in approvers.split(",") if a.strip()]
    return {**body, "targetStatus": target} | (
        {"approvers": [{"approverName": a} for a in names]} if names else {}
    )
