"""What docs/console.md (*Jobs*, *Job*, *Folders*, *Ticking folders*) and docs/api.md
(``list_jobs``, ``start_job``/``stop_job``) promise of the console's jobs pages, as a model the
generated stories of ``tests/console/test_generated_jobs_listing.py`` are checked against, and
the strategies that draw those stories.

A workspace holds jobs (:class:`JobSpec`: a name, the ``directory`` as stored — one folder may be
spelled ``/etl``, ``/etl/`` or ``etl`` —, tags, whether a version was submitted, whether it is
scheduled). From them alone the model says (:class:`Held`):

- what one folder's page lists under a filter (a part of the name, as written, case counting;
  a tag; a status: scheduled, stopped, never submitted): its sub-folders, each counting the
  jobs in it that match, its sub-folders' included, first; then its own matching jobs by name
  (code point order); ``size`` entries a page; a page past the last shows the last;
- what a set of ticks selects: a job's own tick, else the nearest ticked or unticked folder
  above it; a ticked folder takes every job in it that the filter the page showed matches;
- who may do what: anyone in the workspace reads; admins and developers tick and export;
  admins, developers and operators start and stop; a start needs a submitted version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hypothesis import strategies as st

from jobferry.domain.folders import folder_of, segments
from support.release_stories import Step

ROLES = ("admin", "developer", "operator", "viewer")
WRITERS = ("admin", "developer")
OPERATORS = ("admin", "developer", "operator")
STATUSES = ("", "scheduled", "stopped", "unsubmitted")
PAGE = 3
"""Entries a page in the stories (docs: 100; the stories shrink it to page small folders)."""

NAMES = (
    "daily",
    "Daily",
    "daily_1",
    "daily-1",
    "daily.1",
    "日报",
    "日报_周",
    "日报2",
    "ünïcode",
    "ωμεγα",
    "..x",
    ".hidden",
    "a.job",
)
SEGMENTS = ("etl", "ETL", "日报", "a b", "x?y", "r&d", "100%", "c#", "a+b", "etl ", "é", "..", " ")
TAGS = ("daily", "Daily", "周报", "a-b")
QUERIES = ("", "daily", "Daily", "日", "1", ".", "-", "ly_", " daily ", "zzz")


@dataclass(frozen=True)
class JobSpec:
    """A job a story makes: ``directory`` as sent (``None``: no directory at all)."""

    name: str
    directory: str | None
    tags: tuple[str, ...]
    submitted: bool
    scheduled: bool

    @property
    def folder(self) -> str:
        """The folder the job is in, spelled one way (its folder names kept as sent, blanks
        around the whole directory too: storage's ``directory_of``)."""
        return folder_of(self.directory or "/")


@dataclass(frozen=True)
class Filter:
    """What a listing's address asks: a name part, a tag, a status."""

    q: str = ""
    tag: str = ""
    status: str = ""

    def params(self) -> dict[str, str]:
        """The query parameters the page's own filter form sends."""
        return {"q": self.q, "tag": self.tag, "status": self.status}


@dataclass(frozen=True)
class Shown:
    """One page of a folder as the model says it: sub-folders (path → count) and jobs."""

    folders: tuple[tuple[str, int], ...]
    jobs: tuple[str, ...]
    count: int
    page: int
    pages: int


@dataclass(frozen=True)
class Ticks:
    """What a story ticked on a page: jobs and folders, ticked and unticked."""

    jobs: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    not_jobs: tuple[str, ...] = ()
    not_folders: tuple[str, ...] = ()

    def form(self) -> list[tuple[str, str]]:
        """The fields the export form posts for them."""
        pairs = [("job", n) for n in self.jobs] + [("job_folder", f) for f in self.folders]
        pairs += [("not_job", n) for n in self.not_jobs]
        return pairs + [("not_job_folder", f) for f in self.not_folders]


@dataclass
class Held:
    """The model: the workspace's jobs by name."""

    jobs: dict[str, JobSpec] = field(default_factory=dict)
    size: int = PAGE

    def matches(self, job: JobSpec, f: Filter) -> bool:
        """Whether a filter lets a job through (docs/console.md *Jobs*)."""
        q = f.q.strip()
        if q and q not in job.name:
            return False
        if f.tag.strip() and f.tag.strip() not in job.tags:
            return False
        return {
            "": True,
            "scheduled": job.scheduled,
            "stopped": not job.scheduled,
            "unsubmitted": not job.submitted,
        }[f.status]

    def listed(self, f: Filter) -> list[JobSpec]:
        return [j for j in self.jobs.values() if self.matches(j, f)]

    def folder(self, path: str, f: Filter) -> tuple[dict[str, int], list[str], int]:
        """A folder's sub-folders (path → matching jobs), own matching jobs by name, count."""
        base = segments(path)
        subs: dict[str, int] = {}
        own: list[str] = []
        for job in self.listed(f):
            parts = segments(job.folder)
            if parts[: len(base)] != base:
                continue
            if len(parts) == len(base):
                own.append(job.name)
            else:
                sub = "/" + "/".join(parts[: len(base) + 1])
                subs[sub] = subs.get(sub, 0) + 1
        return subs, sorted(own), len(own) + sum(subs.values())

    def page(self, path: str, f: Filter, number: int) -> Shown:
        """The ``number``-th page of ``path`` under ``f`` (past the last: the last)."""
        subs, own, count = self.folder(path, f)
        entries = len(subs) + len(own)
        pages = max(1, -(-entries // self.size))
        number = min(number, pages)
        start = (number - 1) * self.size
        order = sorted(subs, key=lambda p: (p.casefold(), p))
        rows: list[tuple[str, int] | str] = [(p, subs[p]) for p in order] + list(own)
        shown = rows[start : start + self.size]
        folders = tuple(r for r in shown if isinstance(r, tuple))
        jobs = tuple(r for r in shown if isinstance(r, str))
        return Shown(folders, jobs, count, number, pages)

    def selected(self, ticks: Ticks, f: Filter) -> list[str]:
        """The jobs a selection exports (docs/console.md *Ticking folders*), by name."""
        said = {folder_of(p): True for p in ticks.folders}
        said |= {folder_of(p): False for p in ticks.not_folders}
        chosen = set(ticks.jobs)
        for job in self.listed(f):
            if job.name in ticks.jobs or job.name in ticks.not_jobs:
                continue
            parts = segments(job.folder)
            for depth in range(len(parts), -1, -1):
                here = "/" + "/".join(parts[:depth])
                if here in said:
                    if said[here]:
                        chosen.add(job.name)
                    break
        return sorted(chosen - (set(ticks.not_jobs) - set(ticks.jobs)))

    def folders(self) -> list[str]:
        """Every folder in use (spelled one way), the root and those above a job's included."""
        found = {"/"}
        for job in self.jobs.values():
            parts = segments(job.folder)
            found |= {"/" + "/".join(parts[:d]) for d in range(1, len(parts) + 1)}
        return sorted(found)


def refusal(role: str, act: str, job: JobSpec | None = None) -> int | None:
    """The status a step is refused with (None: it is done)."""
    if act == "export" and role not in WRITERS:
        return 403
    if act in ("start", "stop") and role not in OPERATORS:
        return 403
    if act == "start" and job is not None and not job.submitted:
        return 400
    return None


# --- strategies -------------------------------------------------------------------------------


@st.composite
def directories(draw: st.DrawFn) -> str | None:
    """A job's directory as a client may send it: one folder in several spellings."""
    parts = draw(st.lists(st.sampled_from(SEGMENTS), max_size=3))
    spelling = draw(st.sampled_from(("plain", "trailing", "bare", "doubled", "none")))
    if spelling == "none" and not parts:
        return None
    joined = "/".join(parts)
    return {
        "plain": "/" + joined,
        "trailing": "/" + joined + "/",
        "bare": joined or "/",
        "doubled": "//" + "//".join(parts),
        "none": "/" + joined,
    }[spelling]


@st.composite
def job_specs(draw: st.DrawFn) -> tuple[JobSpec, ...]:
    """A workspace's jobs: unique drawn names in nested folders, tags, submitted or not,
    scheduled or not (a scheduled job was submitted)."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=12, unique=True))
    made = []
    for name in names:
        submitted = draw(st.booleans())
        made.append(
            JobSpec(
                name=name,
                directory=draw(directories()),
                tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
                submitted=submitted,
                scheduled=submitted and draw(st.booleans()),
            )
        )
    return tuple(made)


def filters() -> st.SearchStrategy[Filter]:
    """A filter, most often of one part or none (every part at once matches little)."""
    return st.builds(
        Filter,
        q=st.sampled_from(("",) * 4 + QUERIES),
        tag=st.sampled_from(("",) * 6 + TAGS),
        status=st.sampled_from(("",) * 6 + STATUSES),
    )


def _some(draw: st.DrawFn, pool: Iterable[str], least: int = 0) -> tuple[str, ...]:
    options = sorted(pool)
    if not options:
        return ()
    drawn = st.lists(st.sampled_from(options), min_size=min(least, len(options)), max_size=3)
    return tuple(dict.fromkeys(draw(drawn)))


@st.composite
def steps(draw: st.DrawFn, held: Held) -> Step:
    """One step: open a folder, walk every folder through the pages' links, export ticks,
    start or stop a job, read a job's page."""
    act = draw(st.sampled_from(("open", "walk", "export", "export", "start", "stop", "job")))
    role = draw(st.sampled_from(ROLES))
    folders = held.folders()
    if act == "open":
        folder = draw(st.sampled_from(folders))
        spelled = draw(st.sampled_from((folder, folder + "/", folder.lstrip("/") or "/")))
        page = draw(st.integers(1, 4))
        return Step(act, (role, spelled, draw(filters()), page, draw(st.booleans())))
    if act == "walk":
        return Step(act, (role, draw(filters()), draw(st.booleans())))
    if act == "export":
        f = draw(filters())
        shown = [j.name for j in held.listed(f)]
        jobs = _some(draw, shown)
        ticked = _some(draw, folders, least=0 if jobs else 1)
        if draw(st.booleans()):  # *Select all N jobs in the workspace*
            ticked = tuple(dict.fromkeys(("/", *ticked)))
        ticks = Ticks(
            jobs=jobs,
            folders=ticked,
            not_jobs=_some(draw, set(shown) - set(jobs)),
            not_folders=_some(draw, set(folders) - set(ticked)),
        )
        return Step(act, (role, draw(st.sampled_from(folders)), f, ticks))
    name = draw(st.sampled_from(sorted(held.jobs)))
    return Step(act, (role, name))


@st.composite
def stories(draw: st.DrawFn) -> tuple[tuple[JobSpec, ...], tuple[Step, ...]]:
    """A workspace's jobs, then up to 8 steps over them."""
    specs = draw(job_specs())
    held = Held({j.name: j for j in specs})
    told = tuple(draw(steps(held)) for _ in range(draw(st.integers(1, 8))))
    return specs, told
