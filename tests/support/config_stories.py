"""Generated stories of a person setting up the CLI (``tests/unit/cli/test_generated_config.py``):
``config init`` from a server's credentials (again, with ``--replace``, under another name),
contexts added, edited and dropped by hand, ``default_context`` set, the file broken by hand
(not TOML, ``contexts`` not a table, a value of the wrong type, a misspelt key) and mended, the
file deleted or left readable by all, ``JOBFERRY_*`` variables (and the one a context's
``sk_env`` names) set, emptied and unset, and ``config show`` asked with and without
``--context``, ``-w`` and ``--wait-timeout``.
:class:`~support.config_model.Model` says what each command must answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.config_model import NAMES, Flags

WHERE = ("flag", "env", "xdg", "home")
"""How a story names its config file: ``--config``, ``JOBFERRY_CONFIG``, ``XDG_CONFIG_HOME``
(the default file under it) or nothing (``~/.config/jobferry/config.toml``)."""
ENDPOINTS = ("http://127.0.0.1:8000", "http://jobferry.test:8080/", "https://dayu.example")
WORKSPACES = ("default", "sales", "0123456789abcdef0123456789abcdef")
VARIABLES: dict[str, tuple[str, ...]] = {
    "JOBFERRY_CONTEXT": (*NAMES, "ghost", ""),
    "JOBFERRY_ENDPOINT": ("http://env.test:9000/", ""),
    "JOBFERRY_PROJECT_ID": ("p-env", ""),
    "JOBFERRY_WORKSPACE": ("ws-env", ""),
    "JOBFERRY_AK": ("AK-ENV",),
    "JOBFERRY_SK": ("SK-ENV-secret-4f1d",),
    "JOBFERRY_TIMEOUT": ("30", "0", "ten"),
    "JOBFERRY_WAIT_TIMEOUT": ("90", "0", "-1"),
    "MY_SK": ("SK-var-5e5e", ""),
}
"""The variables a story sets (``""``: set but empty, as unset), good values and bad."""
CREDENTIALS = (
    {"projectId": "p-first", "accessKey": "AK-FIRST", "secretKey": "SK-first-9c0e"},
    {"projectId": "p-again", "accessKey": "AK-AGAIN", "secretKey": "SK-again-77ab"},
    None,
)
"""What a server's credentials file holds: the first start's, a start on an empty data folder
again, none (no file)."""


@dataclass(frozen=True)
class Step:
    """One step of a story: what, and its drawn arguments."""

    what: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ConfigStory:
    """How the file is named, the steps, and the ``config show`` asked after each."""

    where: str
    steps: tuple[tuple[Step, Flags], ...]


_NAME = st.sampled_from(NAMES)
_SECONDS = st.sampled_from(("15", "2.5", "100000", "-3", "x"))


def _hand_values() -> st.SearchStrategy[dict[str, Any]]:
    keys = {
        "endpoint": st.sampled_from(ENDPOINTS),
        "project_id": st.sampled_from(("p-hand", "p-other")),
        "workspace": st.sampled_from(WORKSPACES),
        "ak": st.just("AK-HAND"),
        "sk": st.sampled_from(("SK-hand-0b1d", "SK-hand-e3f2")),
        "sk_env": st.just("MY_SK"),
        "timeout": st.sampled_from((60, 2.5)),
        "wait_timeout": st.sampled_from((0, 1800)),
    }
    return st.fixed_dictionaries({}, optional=keys)


def _steps() -> st.SearchStrategy[Step]:
    variable = st.sampled_from(sorted(VARIABLES))
    return st.one_of(
        st.tuples(
            st.sampled_from((*NAMES, "")),
            st.integers(0, len(CREDENTIALS) - 1),
            st.booleans(),
            st.sampled_from(ENDPOINTS),
            st.sampled_from(WORKSPACES),
            st.booleans(),
        ).map(lambda a: Step("init", a)),
        st.tuples(_NAME, _hand_values()).map(lambda a: Step("hand", a)),
        st.tuples(st.sampled_from(("toml", "contexts", "type", "key")), _NAME).map(
            lambda a: Step("break", a)
        ),
        st.just(Step("mend")),
        st.tuples(st.one_of(st.none(), _NAME, st.just("ghost"))).map(lambda a: Step("default", a)),
        st.tuples(_NAME).map(lambda a: Step("drop", a)),
        st.just(Step("delete")),
        st.just(Step("chmod")),
        variable.flatmap(
            lambda v: st.tuples(st.just(v), st.one_of(st.none(), st.sampled_from(VARIABLES[v])))
        ).map(lambda a: Step("env", a)),
    )


def _flags() -> st.SearchStrategy[Flags]:
    return st.builds(
        Flags,
        context=st.one_of(st.none(), _NAME, st.just("ghost")),
        workspace=st.one_of(st.none(), st.sampled_from(("ws-flag", "sales"))),
        workspace_first=st.booleans(),
        wait=st.one_of(st.none(), _SECONDS),
    )


@st.composite
def config_stories(draw: st.DrawFn) -> ConfigStory:
    """A story of 3 to 12 steps, a ``config show`` after each."""
    steps = draw(st.lists(st.tuples(_steps(), _flags()), min_size=3, max_size=12))
    return ConfigStory(draw(st.sampled_from(WHERE)), tuple(steps))


def init_replace_and_break() -> ConfigStory:
    """A quickstart, a restart on an empty data folder taken with ``--replace``, another
    context added by hand, the file broken and mended."""
    none = Flags()
    return ConfigStory(
        "xdg",
        (
            (Step("init", ("default", 0, False, ENDPOINTS[0], "default", False)), none),
            (Step("init", ("default", 1, False, ENDPOINTS[0], "default", True)), none),
            (Step("init", ("default", 1, True, ENDPOINTS[1], "sales", True)), Flags("default")),
            (Step("hand", ("test", {"endpoint": ENDPOINTS[2], "sk": "SK-hand-0b1d"})), none),
            (Step("break", ("toml", "test")), Flags("test")),
            (Step("mend"), Flags("test", "ws-flag", True, "15")),
        ),
    )


def precedence_everywhere() -> ConfigStory:
    """Every level of the precedence given at once, then taken away one by one."""
    full = {"endpoint": ENDPOINTS[1], "project_id": "p-hand", "sk": "SK-hand-e3f2"}
    return ConfigStory(
        "flag",
        (
            (Step("hand", ("prod", {**full, "wait_timeout": 1800, "timeout": 60})), Flags()),
            (Step("default", ("prod",)), Flags()),
            (Step("env", ("JOBFERRY_CONTEXT", "test")), Flags("prod")),
            (Step("env", ("JOBFERRY_ENDPOINT", "http://env.test:9000/")), Flags("prod")),
            (Step("env", ("JOBFERRY_WAIT_TIMEOUT", "90")), Flags("prod", "ws-flag", False, "15")),
            (Step("env", ("JOBFERRY_CONTEXT", None)), Flags(None, "sales")),
            (Step("init", ("test", 0, False, ENDPOINTS[0], "sales", False)), Flags()),
        ),
    )
