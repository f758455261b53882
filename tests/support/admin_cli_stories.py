"""Generated stories of the admin command line for ``tests/unit/cli/test_generated_admin.py``:
the server's operator runs ``jobferry admin …`` on its database — creates workspaces (new names,
names taken, names the name rule refuses) and users (with and without ``--project-admin``, taken,
refused), issues and revokes credentials (their own key, someone else's, one revoked already,
one the server never issued, for users who do not exist), makes users project admins and no
longer (the last admin too), removes users (``--yes``, asked on a terminal and answered yes or
no, with no terminal to ask), gives and takes roles (each role, the workspace by name or by id,
one that does not exist, the production side of an enterprise workspace, a word that is no
role), sets console passwords (on standard input: good, empty, short, the user's own name; on
a terminal: typed twice alike or not, or Ctrl-C pressed; neither) and unlocks access keys;
meanwhile a client's wrong signatures lock a key, and users sign in to the console and ask IAM
tokens.

The model of what the documents promise is ``support/admin_cli_model.py``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from support.admin_cli_model import Model
from support.cli import CtrlC
from support.release_stories import Step

USERS = ("admin", "carol", "dora", "Carol", "李雷", "u" * 128)
BAD_USERS = (" carol", "bad name", "ａｄｍｉｎ", "u" * 129, "..")
WORKSPACES = ("default", "prod", "staging", "生产", "ent")
BAD_WORKSPACES = (" prod", "..", "ｐｒｏｄ", "p" * 129, "a/b")
ROLES = ("admin", "developer", "operator", "viewer", "deployer", "boss")
"""The roles ``set-role`` takes, and a word that is none."""
KEYS = ("own", "own", "other", "gone", "unknown")
"""Which access key a step names: one of the user's, another user's, a revoked one, one the
server never issued."""
WHERE = ("name", "name", "id", "unknown", "production", "production-name")
"""How a step names its workspace: by name, by id, a name no workspace has, the enterprise
workspace's production side (by its id or its name)."""
PASSWORDS = (
    "good",
    "good",
    "empty",
    "short",
    "own-name",
    "typed",
    "typed-mismatch",
    "typed-interrupted",
    "none",
)
REMOVALS = ("yes", "yes", "asked-yes", "declined", "interrupted", "unasked")


def _someone() -> st.SearchStrategy[str]:
    return st.sampled_from((*USERS, "nobody"))


def steps() -> st.SearchStrategy[Step]:
    """One step of a story."""
    user, ws = _someone(), st.sampled_from(WORKSPACES)
    return st.one_of(
        st.builds(
            lambda n: Step("create-workspace", (n,)), st.sampled_from(WORKSPACES + BAD_WORKSPACES)
        ),
        st.builds(
            lambda n, a: Step("create-user", (n, a)),
            st.sampled_from(USERS + BAD_USERS),
            st.booleans(),
        ),
        st.builds(lambda u: Step("create-credentials", (u,)), user),
        st.builds(lambda u, k: Step("revoke-credentials", (u, k)), user, st.sampled_from(KEYS)),
        st.builds(lambda u, off: Step("set-project-admin", (u, off)), user, st.booleans()),
        st.builds(lambda u, h: Step("remove-user", (u, h)), user, st.sampled_from(REMOVALS)),
        st.builds(lambda u, k: Step("unlock-key", (u, k)), user, st.sampled_from(KEYS)),
        st.builds(lambda u, k: Step("lock", (u, k)), user, st.sampled_from(KEYS[:2])),
        st.builds(
            lambda u, w, where, r: Step("set-role", (u, w, where, r)),
            user,
            ws,
            st.sampled_from(WHERE),
            st.sampled_from(ROLES),
        ),
        st.builds(
            lambda u, w, where: Step("remove-role", (u, w, where)),
            user,
            ws,
            st.sampled_from(WHERE),
        ),
        st.builds(lambda u, p: Step("set-password", (u, p)), user, st.sampled_from(PASSWORDS)),
        st.builds(lambda u, t: Step("sign-in", (u, t)), user, st.booleans()),
        st.builds(lambda u: Step("approval-key", (u,)), user),
    )


def admin_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """A story: some users and credentials made first, then steps of every kind."""
    opening = st.lists(
        st.sampled_from(
            (
                Step("create-user", ("carol", False)),
                Step("create-credentials", ("carol",)),
                Step("create-credentials", ("admin",)),
                Step("create-workspace", ("prod",)),
            )
        ),
        max_size=4,
    )
    return st.tuples(opening, st.lists(steps(), min_size=1, max_size=12)).map(
        lambda parts: tuple(parts[0] + parts[1])
    )


UNKNOWN_LEAVING = (
    Step("create-user", ("carol", False)),
    Step("remove-user", ("李雷", "interrupted")),
    Step("remove-user", ("李雷", "declined")),
    Step("remove-user", ("carol", "interrupted")),
)
"""Found by CI: a user who does not exist is refused before the removal's question (which
names what their going leaves short of approvers), so Ctrl-C is never reached there."""

LAST_ADMIN = (
    Step("create-user", ("dora", True)),
    Step("create-credentials", ("dora",)),
    Step("set-project-admin", ("admin", True)),
    Step("set-project-admin", ("admin", False)),
    Step("remove-user", ("dora", "yes")),
    Step("set-project-admin", ("admin", False)),
    Step("remove-user", ("admin", "asked-yes")),
    Step("create-credentials", ("admin",)),
    Step("unlock-key", ("admin", "own")),
    Step("lock", ("admin", "own")),
    Step("unlock-key", ("admin", "own")),
    Step("unlock-key", ("admin", "own")),
    Step("revoke-credentials", ("admin", "own")),
    Step("unlock-key", ("admin", "gone")),
)
"""The last admin kept, another made and removed; a key unlocked while not locked, locked,
unlocked (twice) and revoked."""
ROLES_EVERYWHERE = (
    Step("create-user", ("carol", False)),
    Step("create-workspace", ("prod",)),
    Step("set-role", ("carol", "prod", "name", "deployer")),
    Step("set-role", ("carol", "prod", "id", "viewer")),
    Step("set-role", ("carol", "ent", "production", "viewer")),
    Step("set-role", ("carol", "ent", "name", "boss")),
    Step("set-role", ("carol", "nowhere", "unknown", "admin")),
    Step("remove-role", ("carol", "ent", "production")),
    Step("set-role", ("carol", "ent", "production-name", "admin")),
    Step("remove-role", ("carol", "prod", "id")),
    Step("remove-role", ("carol", "prod", "name")),
    Step("set-password", ("carol", "typed")),
    Step("sign-in", ("carol", True)),
    Step("set-password", ("carol", "good")),
    Step("sign-in", ("carol", False)),
    Step("sign-in", ("carol", True)),
    Step("set-password", ("carol", "typed-mismatch")),
    Step("set-password", ("carol", "empty")),
    Step("set-password", ("nobody", "good")),
    Step("remove-user", ("carol", "declined")),
    Step("remove-user", ("carol", "interrupted")),
    Step("set-password", ("carol", "typed-interrupted")),
    Step("approval-key", ("carol",)),
    Step("remove-user", ("carol", "unasked")),
    Step("remove-user", ("carol", "asked-yes")),
    Step("create-user", ("carol", False)),
    Step("sign-in", ("carol", True)),
    Step("remove-user", ("nobody", "yes")),
)
"""Every way of naming a workspace, a role that is none, every way of giving a password."""

NEVER_ISSUED = "AKNEVERISSUED0000001"
GOOD = "a good password 1"


def key_named(model: Model, user: str, which: str) -> str:
    """The access key a step names (``support.admin_cli_stories.KEYS``)."""
    live = model.live_keys()
    owned = [k for k, u in live.items() if u == user]
    others = [k for k, u in live.items() if u != user]
    gone = [k for k in model.secrets if k not in live]
    pick = {"own": owned, "other": others, "gone": gone}.get(which) or [NEVER_ISSUED]
    return pick[-1]


def password_given(step: Step) -> tuple[list[str], str | CtrlC | None, bool, str | None]:
    """The options, standard input and terminal of a ``set-password`` step, and the password
    the model reads it as (``None``: none given)."""
    user, how = step.args
    if how == "none":
        return [], None, False, None
    if how == "typed-interrupted":
        return [], CtrlC(), True, None
    if how.startswith("typed"):
        again = GOOD if how == "typed" else "another password 2"
        return [], f"{GOOD}\n{again}\n", True, GOOD
    sent = {"good": GOOD, "empty": "", "short": "short 1", "own-name": user}[how]
    return ["--password-stdin"], f"{sent}\n", False, sent


def workspace_named(
    model: Model, side: tuple[str, str], name: str, where: str
) -> tuple[str, str | None]:
    """The workspace argument a step gives (``side``: the production side's id and name), and
    the id the model reads it as (``None``: no workspace the project lists; ``"production"``:
    the production side)."""
    known = model.workspaces.get(name)
    if where.startswith("production"):
        return side[0] if where == "production" else side[1], "production"
    if where == "id":
        return (known, known) if known else ("0" * 32, None)
    if where == "unknown":
        return "nowhere", None
    return name, known
