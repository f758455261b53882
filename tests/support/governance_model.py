"""What the documents promise of tags, locks and the workspace settings that govern them
(docs/api.md: ``GET /tags``, ``PUT``/``DELETE /tags/{name}``, ``GET /locks``, ``POST``/``DELETE
/locks/{job|script}/{name}``, ``PUT /workspaces/{id}``, the job rename and delete calls), as a
model the generated stories of ``tests/unit/services/test_generated_governance.py`` are
checked against.

A workspace (a *place*) holds jobs (each with its tags) and scripts, its tags (locked or not),
the locks on its jobs and scripts (one holder each) and its lock policy (``soft``, the default,
or ``hard``). Who may do what: workspace admins change the settings and write tags; admins and
developers write jobs and scripts and take locks; a lock's holder releases it while their role
may lock, an admin releases anyone's. Under the hard policy a lock held by another user refuses
the update, delete and rename of what it locks (DLF.9012); under the soft one it refuses
nothing. A delete takes the object's lock with it, a rename carries it to the new name, and a
job saved naming a tag the workspace lacks creates it, unlocked; an admin deletes a tag no
job carries (DLF.9013) and not locked (DLF.9091), one the workspace has (DLF.3051). A
locked tag's jobs cannot change (the flag's own description, ``PUT /tags/{name}``, and an
import's ``locked_tag`` problem): the job calls refuse to create or save a job carrying one,
and to save, delete or rename a job that carries one (DLF.9091), whoever calls. A refused
step changes nothing and carries the code the documents name for its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN, DEVELOPER, OTHER_DEVELOPER, OPERATOR, VIEWER = "admin", "dev", "dev2", "ops", "viewer"
USERS = (ADMIN, DEVELOPER, OTHER_DEVELOPER, OPERATOR, VIEWER)
"""The users of a story, by the name they go by (two developers, so that one holds a lock
another writer runs into)."""
ROLE_OF = {
    ADMIN: "admin",
    DEVELOPER: "developer",
    OTHER_DEVELOPER: "developer",
    OPERATOR: "operator",
    VIEWER: "viewer",
}
DENIED = "DLF.6888"
INVALID = "DLF.3051"
LOCKED = "DLF.9012"
NO_LOCK = "DLF.3051"
"""A release of a lock nobody holds (``NotFoundError``'s code)."""
MISSING = {"job": "DLF.0100", "script": "DLF.6201"}
TAKEN = {"job": "DLF.0102", "script": "DLF.0202"}
NO_RENAME_SOURCE = "DLF.30100"
LOCKED_TAG = "DLF.9091"
"""A job call changing a job that carries a locked tag, or giving one a locked tag."""
NO_TAG = "DLF.3051"
"""A delete of a tag the workspace does not have (``NotFoundError``'s code)."""
CARRIED = "DLF.9013"
"""A delete of a tag jobs carry."""
NO_STATUS = "DLF.0802"
"""A save without ``targetStatus`` in a workspace with approval switched on."""
TAG_NAMES = ("daily", "weekly", "finance")
"""The tag names the stories write (others they draw are invalid ones)."""
BAD_TAGS = (" daily", "a\tb", "t" * 129)
"""Tag names breaking the name rule (docs/api.md "Names"), in a tag's call or a job's tags."""
Key = tuple[str, str]
"""An object: (kind, name)."""
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass
class Place:
    """What one workspace holds."""

    name: str
    policy: str = "soft"
    approval: bool = False
    signed_only: bool = False
    objects: dict[Key, tuple[str, ...]] = field(default_factory=dict)
    """Each job's tags (a script's: none)."""
    tags: dict[str, bool] = field(default_factory=dict)
    locks: dict[Key, str] = field(default_factory=dict)
    """Each lock's holder."""
    roles: dict[str, str] = field(default_factory=lambda: dict(ROLE_OF))
    """Each user's role."""

    def writes(self, user: str) -> bool:
        """Whether ``user`` writes jobs and scripts and takes locks here."""
        return self.roles[user] in ("admin", "developer")


class Model:
    """The places of a story and the audit entries each change writes."""

    def __init__(self, places: dict[str, str]) -> None:
        self.places = {place: Place(name) for place, name in places.items()}
        self.audit: list[Line] | None = []
        """The entries the last step wrote (None: not told here)."""

    def created(self, place: str, kind: str, name: str, tags: tuple[str, ...]) -> None:
        """What the story opens with: an object an admin made."""
        held = self.places[place]
        held.objects[(kind, name)] = tags
        for tag in tags:
            held.tags.setdefault(tag, False)

    def settings(
        self, place: str, user: str, policy: str | None, approval: bool | None, signed: bool | None
    ) -> str | None:
        """``PUT /workspaces/{id}`` ``{"lockPolicy", "approvalEnabled", "requireSigned"}``
        (``None``: left as it is)."""
        held = self.places[place]
        if held.roles[user] != "admin":
            return DENIED
        was = (held.policy, held.approval, held.signed_only)
        held.policy = held.policy if policy is None else policy
        held.approval = held.approval if approval is None else approval
        held.signed_only = held.signed_only if signed is None else signed
        changed = was != (held.policy, held.approval, held.signed_only)  # else nothing written
        self.audit = [(user, "workspace.update", "workspace", held.name)] if changed else []
        return None

    def put_tag(self, place: str, user: str, name: str, locked: bool) -> str | None:
        """``PUT /tags/{name}`` ``{"locked"}``."""
        if self.places[place].roles[user] != "admin":
            return DENIED
        if name not in TAG_NAMES:
            return INVALID
        self.places[place].tags[name] = locked
        self.audit = [(user, "tag.put", "tag", name)]
        return None

    def untag(self, place: str, user: str, name: str) -> str | None:
        """``DELETE /tags/{name}``: a tag no job carries and not locked."""
        held = self.places[place]
        if held.roles[user] != "admin":
            return DENIED
        if name not in held.tags:
            return NO_TAG
        if held.tags[name]:
            return LOCKED_TAG
        if any(name in tags for tags in held.objects.values()):
            return CARRIED
        del held.tags[name]
        self.audit = [(user, "tag.delete", "tag", name)]
        return None

    def lock(self, place: str, user: str, kind: str, name: str) -> str | None:
        """``POST /locks/{kind}/{name}`` (idempotent for its holder)."""
        held = self.places[place]
        if not held.writes(user):
            return DENIED
        if (kind, name) not in held.objects:
            return MISSING[kind]
        holder = held.locks.get((kind, name))
        if holder is not None and holder != user:
            return LOCKED
        if holder is None:
            held.locks[(kind, name)] = user
            self.audit = [(user, "lock.acquire", kind, name)]
        return None

    def unlock(self, place: str, user: str, kind: str, name: str) -> str | None:
        """``DELETE /locks/{kind}/{name}``."""
        held = self.places[place]
        if not held.writes(user):
            return DENIED
        holder = held.locks.get((kind, name))
        if holder is None:
            return NO_LOCK
        if holder != user and held.roles[user] != "admin":
            return DENIED
        del held.locks[(kind, name)]
        self.audit = [(user, "lock.release", kind, name)]
        return None

    def _held_by_another(self, place: str, user: str, key: Key) -> bool:
        held = self.places[place]
        holder = held.locks.get(key)
        return held.policy == "hard" and holder is not None and holder != user

    def _locked_tag(self, place: str, *tags: tuple[str, ...]) -> bool:
        held = self.places[place]
        return any(held.tags.get(tag) for named in tags for tag in named)

    def _refused_save(
        self, place: str, user: str, tags: tuple[str, ...], status: str | None
    ) -> str | None:
        """Why a save is refused before the object is read: the caller's role, a tag breaking
        the name rule, no ``targetStatus`` with approval switched on."""
        held = self.places[place]
        if not held.writes(user):
            return DENIED
        if set(tags) & set(BAD_TAGS):
            return INVALID
        if held.approval and status is None:
            return NO_STATUS
        return None

    def create(
        self, place: str, user: str, kind: str, name: str, tags: tuple[str, ...], status: str | None
    ) -> str | None:
        """A job or script created (a job with ``tags``; ``status``: its ``targetStatus``)."""
        held = self.places[place]
        refused = self._refused_save(place, user, tags, status)
        if refused:
            return refused
        if (kind, name) in held.objects:
            return TAKEN[kind]
        if self._locked_tag(place, tags):
            return LOCKED_TAG
        self.created(place, kind, name, tags)
        self.audit = [(user, f"{kind}.create", kind, name)]
        return None

    def update(
        self, place: str, user: str, kind: str, name: str, tags: tuple[str, ...], status: str | None
    ) -> str | None:
        """A job or script saved anew (a job with ``tags``; ``status``: its ``targetStatus``)."""
        held = self.places[place]
        refused = self._refused_save(place, user, tags, status)
        if refused:
            return refused
        if (kind, name) not in held.objects:
            return MISSING[kind]
        if self._held_by_another(place, user, (kind, name)):
            return LOCKED
        if self._locked_tag(place, held.objects[(kind, name)], tags):
            return LOCKED_TAG
        self.created(place, kind, name, tags)
        self.audit = [(user, f"{kind}.update", kind, name)]
        return None

    def delete(self, place: str, user: str, kind: str, name: str) -> str | None:
        """A job or script deleted: its lock goes with it."""
        held = self.places[place]
        if not held.writes(user):
            return DENIED
        if (kind, name) not in held.objects:
            return MISSING[kind]
        if self._held_by_another(place, user, (kind, name)):
            return LOCKED
        if self._locked_tag(place, held.objects[(kind, name)]):
            return LOCKED_TAG
        del held.objects[(kind, name)]
        held.locks.pop((kind, name), None)
        self.audit = [(user, f"{kind}.delete", kind, name)]
        return None

    def rename(self, place: str, user: str, name: str, new_name: str) -> str | None:
        """A job renamed: it keeps its tags and its lock."""
        held = self.places[place]
        if not held.writes(user):
            return DENIED
        if ("job", name) not in held.objects:
            return NO_RENAME_SOURCE
        if new_name == name:
            return None
        if ("job", new_name) in held.objects:
            return TAKEN["job"]
        if self._held_by_another(place, user, ("job", name)):
            return LOCKED
        if self._locked_tag(place, held.objects[("job", name)]):
            return LOCKED_TAG
        held.objects[("job", new_name)] = held.objects.pop(("job", name))
        if ("job", name) in held.locks:
            held.locks[("job", new_name)] = held.locks.pop(("job", name))
        self.audit = [(user, "job.rename", "job", new_name)]
        return None

    def role(self, place: str, user: str, who: str, role: str) -> str | None:
        """A workspace admin gives ``who`` another role (their locks stay)."""
        held = self.places[place]
        if held.roles[user] != "admin":
            return DENIED
        changed = held.roles.get(who) != role  # the role held already: nothing written
        held.roles[who] = role
        self.audit = [(user, "role.set", "user", who)] if changed else []
        return None

    def leave(self, place: str, user: str, who: str) -> None:
        """The project admin removes ``who`` (their locks are released everywhere) and makes a
        user of the same name again, with the roles ``who`` had (the audit entries of a
        removal and of a new user are told elsewhere)."""
        self.audit = None
        for held in self.places.values():
            held.locks = {key: u for key, u in held.locks.items() if u != who}
