"""Generated stories of a folder of definitions (``tests/unit/package/test_generated_folders.py``):
files added, changed, deleted and moved, in sub-folders and hidden ones, under odd but legal
names (unicode, dots, blanks), written in every JSON style (compact, indented, CRLF, escaped,
with the server's keys, keys in another order) or broken (empty, cut short, a byte order mark,
not UTF-8, not an object, refused by the validation rules, of another kind), and the folder
pulled over (written back from what it holds). :mod:`support.folder_model` says what each
read must find.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from support.folder_model import FAULTS, KINDS, STYLES, Content, kind_of
from support.release_stories import Step

ROOTS = ("defs", "jobs", "scripts", "ölder")
"""Names of the folder given (a kind's folder counts for the ``*.json`` right in it)."""
NAMES = (
    "daily_sales",
    "a.b",
    "-x",
    "_",
    "日报",
    "Straße",
    "x.job",
    "data.json",
    ".dot",
    "a" * 128,
    "数据" * 64,
)
"""Definition names: legal, some odd (a dot first, an extension inside, unicode, the longest:
128 Chinese characters are 384 bytes, longer than a file name may be)."""
TOPS = ("jobs", "scripts", "resources", "misc", "")
SUBS = ("", "", "sub", "深 层", "jobs", "scripts", ".git", "a/b")
STEMS = ("a", "daily_sales", "日报", "x y", "café", "-dash", "a.b", ".hidden", "CON")
EXTENSIONS = (".json", ".json", ".job", ".script", ".resource", ".txt", ".JSON")


@dataclass(frozen=True)
class FolderStory:
    """The name of the folder given, and the steps."""

    root: str
    steps: tuple[Step, ...]


@st.composite
def paths(draw: st.DrawFn) -> str:
    """A file's path in the folder (relative, ``/``-separated)."""
    parts = (draw(st.sampled_from(TOPS)), draw(st.sampled_from(SUBS)))
    last = draw(st.sampled_from(STEMS)) + draw(st.sampled_from(EXTENSIONS))
    return "/".join(part for part in (*parts, last) if part)


@st.composite
def contents(draw: st.DrawFn, kind: str | None) -> Content:
    """What a file holds: mostly a definition of the kind its path says (``kind``)."""
    if kind is None or draw(st.integers(0, 5)) == 0:
        kind = draw(st.sampled_from(KINDS))
    fault = draw(st.sampled_from(FAULTS)) if draw(st.integers(0, 4)) == 0 else None
    return Content(
        kind,
        draw(st.sampled_from(NAMES)),
        draw(st.integers(0, 3)),
        draw(st.sampled_from(STYLES)),
        fault,
    )


@st.composite
def _step(draw: st.DrawFn, root: str) -> Step:
    act = draw(st.sampled_from(("add", "add", "add", "change", "delete", "move", "pull")))
    if act == "pull":
        return Step(act)
    if act == "add":
        path = draw(paths())
        return Step(act, (path, draw(contents(kind_of(path, root)))))
    pick = draw(st.integers(0, 99))
    if act == "change":
        return Step(act, (pick, draw(contents(None))))
    if act == "move":
        return Step(act, (pick, draw(paths())))
    return Step(act, (pick,))


@st.composite
def folder_stories(draw: st.DrawFn) -> FolderStory:
    """A story of 3 to 14 steps."""
    root = draw(st.sampled_from(ROOTS))
    return FolderStory(root, tuple(draw(st.lists(_step(root), min_size=3, max_size=14))))


def a_dot_name_pulled() -> FolderStory:
    """A job whose name starts with a dot (legal) written by ``pull``: read back, it must be
    found (a file named with a dot first is hidden, which a read skips); and a script of the
    longest name in Chinese, too long for a file name."""
    return FolderStory(
        "defs",
        (
            Step("add", ("jobs/a.json", Content("job", ".dot"))),
            Step("add", ("scripts/b.script", Content("script", ".dot", 1))),
            Step("add", ("scripts/c.json", Content("script", "数据" * 64, 2, "crlf"))),
            Step("pull"),
        ),
    )


def every_fault_once() -> FolderStory:
    """Each broken file once, beside twins and a file of another kind."""
    steps = [
        Step("add", (f"jobs/f{n}.json", Content("job", "daily_sales", n, fault=fault)))
        for n, fault in enumerate(FAULTS)
    ]
    steps += [
        Step("add", ("scripts/sub/a.json", Content("script", "a.b", 1, "crlf"))),
        Step("add", ("scripts/a.b.script", Content("script", "a.b", 2, "ascii"))),
        Step("add", ("resources/r.json", Content("script", "日报"))),
        Step("add", ("misc/x.json", Content("job", "x.job"))),
        Step("add", ("misc/x.job", Content("job", "x.job", 3, "server"))),
        Step("pull"),
    ]
    return FolderStory("defs", tuple(steps))


# -- a workspace and a folder evolving (apply -f, pull) ----------------------------------------

SYNC_JOBS = ("daily_sales", "日报", ".dot")
"""The jobs of the sync stories (each runs its ``_sql`` and ``_sh`` scripts)."""
LONE = (("script", "lone_sql"), ("resource", "udf_jar"), ("script", "hand_sql"))
"""Objects no job uses."""
HAND_SCRIPTS = ("hand_sql", "lone_sql", "daily_sales_sql")


def _sync_step() -> st.SearchStrategy[Step]:
    pick, tweak = st.integers(0, 99), st.integers(0, 2)
    return st.one_of(
        st.builds(lambda j, t: Step("add_job", (j, t)), st.sampled_from(SYNC_JOBS), tweak),
        st.builds(lambda o, t: Step("add", (*o, t)), st.sampled_from(LONE), tweak),
        st.builds(lambda p, t: Step("change", (p, t)), pick, tweak),
        st.builds(lambda p: Step("delete", (p,)), pick),
        st.builds(lambda p: Step("move", (p,)), pick),
        st.builds(lambda p: Step("retitle", (p,)), pick),
        st.just(Step("break")),
        st.builds(lambda s, t: Step("hand", (s, t)), st.sampled_from(HAND_SCRIPTS), tweak),
        st.builds(lambda p: Step("hand_delete", (p,)), pick),
        st.builds(lambda j: Step("schedule", (j,)), st.sampled_from(SYNC_JOBS)),
        st.builds(lambda j: Step("stop", (j,)), st.sampled_from(SYNC_JOBS)),
        st.builds(lambda prune: Step("apply", (prune,)), st.booleans()),
        st.builds(lambda prune: Step("apply", (prune,)), st.booleans()),
        st.just(Step("pull")),
    )


@st.composite
def sync_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """A story of 4 to 14 steps, starting from a folder of one job and what it runs."""
    steps = draw(st.lists(_sync_step(), min_size=4, max_size=14))
    return (Step("add_job", ("daily_sales", 0)), *steps)


def pruned_beside_hand_made_and_scheduled() -> tuple[Step, ...]:
    """Applied, pulled, a script made by hand and a job scheduled in the workspace, the job's
    file deleted: --prune is refused (a scheduled job), then applied once it is stopped (the
    hand-made script deleted with it); applied again, nothing to change."""
    return (
        Step("add_job", ("daily_sales", 0)),
        Step("add_job", ("日报", 1)),
        Step("apply", (False,)),
        Step("pull"),
        Step("hand", ("hand_sql", 1)),
        Step("schedule", ("日报",)),
        Step("delete", (0,)),
        Step("apply", (True,)),
        Step("stop", ("日报",)),
        Step("apply", (True,)),
        Step("apply", (True,)),
        Step("pull"),
    )


def a_script_still_used_and_a_broken_file() -> tuple[Step, ...]:
    """A script a remaining job runs left out of the folder (refused with --prune), a broken
    file (nothing applied), a dot-named job pulled and applied back with --prune."""
    return (
        Step("add_job", ("daily_sales", 0)),
        Step("add_job", (".dot", 0)),
        Step("apply", (True,)),
        Step("pull"),
        Step("delete", (3,)),
        Step("apply", (True,)),
        Step("apply", (False,)),
        Step("break"),
        Step("apply", (False,)),
        Step("pull"),
        Step("apply", (True,)),
    )
