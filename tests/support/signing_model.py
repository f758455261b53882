"""What the signing keys of a few workspaces, and the packages they sign, must answer
(``tests/unit/services/test_generated_signing.py``), as docs/api.md ("Signed packages", the
signing-key and trusted-key calls) and docs/errors.md say it.

A package's verdict in a workspace: one signed by a key the workspace distrusts is refused
(``DLF.9065``) whatever ``requireSigned`` says (its signature is checked first); one an entry
of which changed is unreadable (``DLF.9020`` at check, plan and import); else its signature
is ``unsigned``, ``invalid`` (the manifest or ``manifest.sig`` changed), ``valid`` (signed by
a key the workspace trusts, its own signing key, or, without ``requireSigned``, the signing
key a workspace of its project holds now) or ``untrusted``. An ``invalid`` signature refuses the
import, and so do ``unsigned`` and ``untrusted`` ones under ``requireSigned``; the plan lists
that as its one problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobferry.package.signature import key_id_of

UNREADABLE = "unreadable"
DISTRUSTED = "distrusted"
HARMS = ("manifest", "sig", "entry", "strip")
"""How a package is altered after its export: a byte of ``manifest.json`` or of
``manifest.sig`` (the signature ``invalid``), of an entry (the package unreadable), or its
signature taken out (``unsigned``)."""


@dataclass
class Known:
    """A key a workspace lists: trusted, or distrusted (``distrusted_at``)."""

    key_id: str
    name: str
    public_key: str
    added_at: int
    added_by: str
    distrusted_at: int | None = None
    distrusted_by: str | None = None

    @property
    def shown(self) -> tuple[Any, ...]:
        return (
            self.key_id,
            self.name,
            self.public_key,
            self.added_at,
            self.added_by,
            self.distrusted_at,
            self.distrusted_by,
        )


@dataclass(frozen=True)
class Package:
    """A package of the story: its file, the job it carries in which look, the public key
    that signed it (``None``: unsigned) and how it was altered since (``""``: not)."""

    number: int
    path: Path
    job: str
    look: int
    signer: str | None
    changed_at: int
    """Its newest change (the job's update before the export)."""
    harm: str = ""


@dataclass(frozen=True)
class KeptPlan:
    """A plan kept for an import by its id: of which package into which workspace, and what
    its fingerprint hashed of the signature (its state and ``requireSigned``) and of the
    workspace's jobs."""

    plan_id: str
    ws: int
    number: int
    signed: tuple[str, bool]
    jobs: tuple[tuple[str, int], ...]


@dataclass
class Model:
    """The workspaces' keys, settings, jobs (name → look) and audit entries of keys."""

    workspaces: int
    signing: list[str | None] = field(default_factory=list)
    require: list[bool] = field(default_factory=list)
    known: list[dict[str, Known]] = field(default_factory=list)
    jobs: list[dict[str, int]] = field(default_factory=list)
    written: list[dict[str, int]] = field(default_factory=list)
    """Job → the newest change of the package that last wrote it, by workspace: an older
    package of the same source would put back an older definition, a problem of its plan."""
    audit: list[list[tuple[str, str, str, dict[str, Any]]]] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    """Every public key of the story: the foreign one first, then each workspace key made."""
    plans: dict[tuple[int, int], KeptPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.workspaces
        self.signing, self.require = [None] * n, [False] * n
        self.known, self.jobs = [{} for _ in range(n)], [{} for _ in range(n)]
        self.written = [{} for _ in range(n)]
        self.audit = [[] for _ in range(n)]

    # -- keys ------------------------------------------------------------------------------

    def listed(self, ws: int, distrusted: bool) -> list[tuple[Any, ...]]:
        """The keys ``GET /trusted-keys`` lists, by name (then id)."""
        keys = [k for k in self.known[ws].values() if distrusted or k.distrusted_at is None]
        return [k.shown for k in sorted(keys, key=lambda k: (k.name, k.key_id))]

    def audited(self, ws: int, action: str, kind: str, name: str, detail: dict[str, Any]) -> None:
        self.audit[ws].append((action, kind, name, detail))

    def accepted(self, ws: int) -> set[str]:
        """The public keys whose signatures the workspace accepts (before its distrusts)."""
        found = {k.public_key for k in self.known[ws].values() if k.distrusted_at is None}
        own = self.signing[ws]
        if self.require[ws]:
            return found | ({own} if own else set())
        return found | {k for k in self.signing if k is not None}

    def distrusted(self, ws: int) -> set[str]:
        return {k.public_key for k in self.known[ws].values() if k.distrusted_at is not None}

    # -- packages --------------------------------------------------------------------------

    def state(self, ws: int, package: Package) -> str:
        """The package's signature state in the workspace, or why it is refused outright
        (:data:`UNREADABLE`, :data:`DISTRUSTED`)."""
        if package.signer in self.distrusted(ws) and package.harm in ("", "entry"):
            return DISTRUSTED  # its signature is checked before its entries are read
        if package.harm == "entry":
            return UNREADABLE
        if package.signer is None or package.harm == "strip":
            return "unsigned"
        if package.harm:
            return "invalid"
        return "valid" if package.signer in self.accepted(ws) else "untrusted"

    def refused(self, ws: int, state: str) -> bool:
        """Whether a signature in ``state`` stops the import (a problem of the plan)."""
        return state == "invalid" or (self.require[ws] and state != "valid")

    def older(self, ws: int, package: Package) -> bool:
        """Whether the package is older than the one that last wrote its job there."""
        return package.changed_at < self.written[ws].get(package.job, package.changed_at)

    def jobs_shown(self, ws: int) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(self.jobs[ws].items()))


def key_of(public_key: str) -> str:
    """The id of a public key."""
    return key_id_of(public_key)
