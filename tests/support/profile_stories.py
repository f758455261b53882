"""Generated stories of profiles and time zones across an import, for
``tests/unit/services/importing/test_generated_profile_moves.py``: a source workspace whose
scripts and jobs use data connections (by a script's ``connectionName`` and a node's
``connectionName`` property; a node may hold an EL value instead, which names nothing) and
declare parameters, whose jobs run on cron schedules (every few minutes, hourly, daily, on
days of the week or of the month, 29-31 included; with or without a startTime and endTime)
in one zone; a target holding some of the connections; and the profile the import applies:
connections renamed (some mappings missing, some renamed to a connection the target lacks),
parameters set workspace-wide and per job, and a move of the schedules to the target's zone.

What the import must make of it is computed here from the docs (docs/api.md, "Profiles" and
"Time zones"; the schedule part in ``support/zone_model.py``), never from the import's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from support.builders import make_job, make_load_node, make_script
from support.zone_model import Cron, Move, instant_move, wall_move

ZONES = (
    "Asia/Shanghai",
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Europe/Paris",
)
"""Zones with and without daylight saving, offsets of whole and half hours (Paris: Berlin's
offsets, changing at the same instants)."""
CONNECTIONS = ("dws_a", "dws_b", "dws_c")
FATES = ("mapped", "mapped", "same", "mapped_missing", "unmapped_missing")
"""What the profile and the target make of a source connection: renamed to one the target
holds (twice as likely), held under the same name, renamed to one the target lacks, neither
renamed nor held (the last two in a third of the stories only)."""
EL_VALUE = "${conn_name}"
"""A node's connection given as an EL expression: no reference, never renamed."""
SCRIPTS = ("sa", "sb")
JOBS = ("ja", "jb", "jc")
PAST = datetime(2025, 6, 1, tzinfo=UTC)


def _day(month: int, day: int, year: int = 2027) -> datetime:
    return datetime(year, month, day, 6, 0, tzinfo=UTC)


WINDOWS: tuple[tuple[datetime, datetime | None], ...] = (
    (datetime(2024, 1, 1, tzinfo=UTC), None),
    (PAST, None),
    (_day(1, 10), _day(2, 20)),  # no zone changes its offset
    (_day(1, 10), _day(4, 20)),  # New York, Berlin and Adelaide do
    (_day(5, 1), _day(9, 20)),  # northern summer, Adelaide's winter: no change
    (_day(3, 20), _day(3, 31)),  # Berlin changes (2027-03-28), no other
    (PAST, _day(2, 20)),
    (_day(1, 10), None),
    (_day(3, 30), None),  # Adelaide's change (2027-04-04) comes first
    (datetime(2027, 3, 14, 4, 0, tzinfo=UTC), None),  # 3 hours before New York's change
)
"""(startTime, endTime) of a schedule (a job must have a startTime: one in the past lets
the move's window start now)."""
STYLES = ("colon", "Z", "naive")
"""How a startTime or endTime is written: with the zone's offset, in UTC, or as the zone's
wall time without an offset."""


def crons() -> st.SearchStrategy[Cron]:
    """Every few minutes (all day, or within an hour or two), hourly, daily (once or twice),
    on days of the week or of the month."""
    minute = st.sampled_from((0, 15, 30, 45, 5))
    hour = st.integers(0, 23)
    one = st.builds(frozenset, st.lists(hour, min_size=1, max_size=1))
    return st.one_of(
        st.sampled_from((5, 10, 15, 20, 30, 45, 7)).map(
            lambda n: Cron(frozenset(range(0, 60, n)), frozenset(range(24)))
        ),
        st.builds(
            lambda n, h: Cron(frozenset(range(0, 60, n)), h),
            st.sampled_from((15, 20, 30)),
            st.builds(frozenset, st.lists(hour, min_size=1, max_size=2)),
        ),
        minute.map(lambda m: Cron(frozenset({m}), frozenset(range(24)))),
        st.builds(
            lambda m, h: Cron(frozenset({m}), h),
            minute,
            st.builds(frozenset, st.lists(hour, min_size=1, max_size=2)),
        ),
        st.builds(
            lambda m, h, d, named: Cron(frozenset({m}), h, days_of_week=d, named=named),
            minute,
            st.builds(frozenset, st.lists(hour, min_size=1, max_size=2)),
            st.builds(frozenset, st.lists(st.integers(0, 6), min_size=1, max_size=5)),
            st.booleans(),
        ),
        st.builds(
            lambda m, h, d: Cron(frozenset({m}), h, days_of_month=d),
            minute,
            one,
            st.builds(
                frozenset,
                st.lists(
                    st.sampled_from((1, 2, 10, 15, 27, 28, 29, 30, 31)), min_size=1, max_size=3
                ),
            ),
        ),
    )


@dataclass(frozen=True)
class StoryJob:
    """A job of the source: its script, its node's connection, its parameters, its cron."""

    name: str
    script: str
    connection: str
    env: str
    region: str | None
    cron: Cron
    window: tuple[datetime, datetime | None]
    style: str


@dataclass(frozen=True)
class Story:
    """The source, the target's connections and the profile the import applies."""

    scripts: tuple[tuple[str, str], ...]
    """(name, connection) of each script."""
    jobs: tuple[StoryJob, ...]
    fates: tuple[tuple[str, str], ...]
    """(connection, fate) of every source connection (see :data:`FATES`)."""
    source_zone: str
    zoneless: bool
    """The jobs' crons name no zone (the profile's sourceZone gives it, when it does)."""
    give_source_zone: bool
    """The move names the source zone: the zoneless crons' zone; a cron naming its own zone
    keeps it (then the move may name another, ``decoy``)."""
    decoy: str | None
    target_zone: str
    mode: str
    params: bool
    """The profile sets ``env`` workspace-wide."""
    job_params: tuple[str, ...]
    """The jobs whose ``region`` the profile sets."""
    stored: bool
    """The profile is stored in the target and named, else given inline."""
    swap: bool = False
    """The profile swaps two connections' names (``dws_a`` is ``dws_b`` in the target and the
    other way round; the target holds both), whatever their fates say."""

    def __repr__(self) -> str:
        jobs = " ".join(
            f"{j.name}({j.script},{j.connection},{j.cron.quartz()!r},{j.window[0]}..{j.window[1]}"
            f",{j.style})"
            for j in self.jobs
        )
        return (
            f"Story(scripts={self.scripts}, jobs=[{jobs}], fates={self.fates}, "
            f"zones={self.source_zone}->{self.target_zone} {self.mode} zoneless={self.zoneless} "
            f"given={self.give_source_zone} decoy={self.decoy}, params={self.params}, "
            f"jobParams={self.job_params}, stored={self.stored}, swap={self.swap})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints the story as :meth:`__repr__` does (its crons' sets whole are
        tens of kB)."""
        printer.text(repr(self))

    # --- the profile and the target ----------------------------------------------------------

    def renames(self) -> dict[str, str]:
        """Source connection → its name in the target, as the profile maps it."""
        out = {c: f"{c}_prod" for c, fate in self.fates if fate.startswith("mapped")}
        if self.swap:
            out.update(dws_a="dws_b", dws_b="dws_a")
        return out

    def profile(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"renames": {"connection": self.renames()}}
        if self.params:
            doc["params"] = {"env": "prod"}
        if self.job_params:
            doc["jobParams"] = {name: {"region": "r9"} for name in self.job_params}
        move = {"zone": self.target_zone, "mode": self.mode}
        if self.give_source_zone:
            move["sourceZone"] = self.decoy or self.source_zone
        doc["timeZone"] = move
        return doc

    def held_by_target(self) -> list[str]:
        """The connections the target holds."""
        held = {"mapped": "{}_prod", "same": "{}"}
        found = [held[fate].format(c) for c, fate in self.fates if fate in held]
        return sorted({*found, "dws_a", "dws_b"}) if self.swap else found

    def used(self) -> set[str]:
        """The source connections the package's objects name."""
        found = {c for _, c in self.scripts}
        return found | {j.connection for j in self.jobs if j.connection != EL_VALUE}

    def missing(self) -> set[str]:
        """The connections the import cannot find, by the name it looks for."""
        renames = self.renames()
        return {renames.get(c, c) for c in self.used()} - set(self.held_by_target())

    def users(self) -> dict[str, tuple[set[str], set[str]]]:
        """Each missing connection → the jobs and the scripts naming it."""
        renames = self.renames()
        out: dict[str, tuple[set[str], set[str]]] = {n: (set(), set()) for n in self.missing()}
        for job in self.jobs:
            name = renames.get(job.connection, job.connection)
            if name in out and job.connection != EL_VALUE:
                out[name][0].add(job.name)
        for script, connection in self.scripts:
            name = renames.get(connection, connection)
            if name in out:
                out[name][1].add(script)
        return out

    # --- the schedules --------------------------------------------------------------------

    def zone_of(self, job: StoryJob) -> str | None:
        """The zone the job's cron is read in (``None``: neither it nor the move gives one)."""
        if not self.zoneless or self.give_source_zone:
            return self.source_zone
        return None

    def begin(self, job: StoryJob, now: datetime) -> datetime:
        return max(job.window[0], now)

    def move(self, job: StoryJob, now: datetime) -> Move:
        """What the move makes of the job's schedule."""
        zone = self.zone_of(job)
        if zone is None:
            return Move(refused="no zone to move from")
        window = (self.begin(job, now), job.window[1])
        if self.mode == "keepWallClock":
            if zone == self.target_zone:
                return Move()
            return wall_move(job.cron, self.target_zone, self.moved_window(job, zone, now))
        return instant_move(job.cron, (zone, self.target_zone), window)

    def moved_window(
        self, job: StoryJob, zone: str, now: datetime
    ) -> tuple[datetime, datetime | None]:
        """[begin, end] of a schedule kept at its wall clock: a time written without an offset
        is read in the target zone once moved."""
        start, end = (
            None
            if moment is None
            else instant_of(written(moment, zone, job.style), self.target_zone)
            for moment in job.window
        )
        assert start is not None
        return max(start, now), end

    def refused_jobs(self, now: datetime) -> set[str]:
        return {j.name for j in self.jobs if self.move(j, now).refused is not None}

    # --- the definitions ------------------------------------------------------------------

    def script_doc(self, name: str, connection: str) -> dict[str, Any]:
        return make_script(
            name, content=f"select * from t; -- {connection}", connectionName=connection
        )

    def job_doc(self, job: StoryJob) -> dict[str, Any]:
        """The job as the source holds it: its connection also named in its description and
        a parameter's value (which no mapping touches)."""
        node = make_load_node(job.script)
        node["properties"][1]["value"] = job.connection
        params = [{"name": "env", "value": job.env, "type": "variable"}]
        if job.region is not None:
            params.append({"name": "region", "value": job.region, "type": "variable"})
        doc = make_job(job.name, description=f"loads {job.connection}", params=params)
        doc["nodes"] = [node]
        cron: dict[str, Any] = {"expression": job.cron.quartz()}
        if not self.zoneless:
            cron["expressionTimeZone"] = self.source_zone
        for key, moment in zip(("startTime", "endTime"), job.window, strict=True):
            if moment is not None:
                cron[key] = written(moment, self.source_zone, job.style)
        doc["schedule"] = {"type": "CRON", "cron": cron}
        return doc

    def expected_script(self, name: str, connection: str) -> dict[str, Any]:
        doc = self.script_doc(name, connection)
        doc["connectionName"] = self.renames().get(connection, connection)
        return doc

    def expected_job(self, job: StoryJob) -> dict[str, Any]:
        """The job as the import writes it but its cron's expression, startTime and endTime
        when a keepInstant move rewrites them (checked by their instants)."""
        doc = self.job_doc(job)
        props = doc["nodes"][0]["properties"]
        props[1]["value"] = self.renames().get(job.connection, job.connection)
        for param in doc["params"]:
            if param["name"] == "env" and self.params:
                param["value"] = "prod"
            if param["name"] == "region" and job.name in self.job_params:
                param["value"] = "r9"
        doc["schedule"]["cron"]["expressionTimeZone"] = self.target_zone
        return doc

    def reverse_profile(self) -> dict[str, Any]:
        """The profile that carries the target's definitions back into the source."""
        used = self.used()
        back = {new: old for old, new in self.renames().items() if old in used}
        job_params: dict[str, dict[str, str]] = {}
        for job in self.jobs:
            values = {"env": job.env} if self.params else {}
            if job.name in self.job_params and job.region is not None:
                values["region"] = job.region
            if values:
                job_params[job.name] = values
        doc: dict[str, Any] = {"renames": {"connection": back}, "jobParams": job_params}
        doc["timeZone"] = {"zone": self.source_zone, "mode": self.mode}
        return doc


def written(moment: datetime, zone: str, style: str) -> str:
    """``moment`` written in ``style`` (see :data:`STYLES`), ``zone``'s offset or wall time."""
    if style == "Z":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.astimezone(ZoneInfo(zone))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "naive":
        return text
    minutes = int((local.utcoffset() or timedelta(0)) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def instant_of(text: str, zone: str) -> datetime:
    """The instant a startTime or endTime names (without an offset: in ``zone``)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


@st.composite
def stories(draw: st.DrawFn) -> Story:
    """A source of one or two scripts and one to three jobs, the target's connections and
    the profile."""
    scripts = draw(st.lists(st.sampled_from(SCRIPTS), min_size=1, max_size=2, unique=True))
    conn = st.sampled_from(CONNECTIONS)
    jobs = []
    for name in draw(st.lists(st.sampled_from(JOBS), min_size=1, max_size=3, unique=True)):
        jobs.append(
            StoryJob(
                name=name,
                script=draw(st.sampled_from(scripts)),
                connection=draw(st.sampled_from((*CONNECTIONS, EL_VALUE))),
                env=draw(st.sampled_from(("dev", "dws_a", "${yyyyMMdd}"))),
                region=draw(st.none() | st.just("r1")),
                cron=draw(crons()),
                window=draw(st.sampled_from(WINDOWS)),
                style=draw(st.sampled_from(STYLES)),
            )
        )
    regional = [j.name for j in jobs if j.region is not None]
    fates = FATES if draw(st.integers(0, 2)) == 0 else FATES[:3]
    zoneless = draw(st.integers(0, 3)) == 0
    return Story(
        scripts=tuple((name, draw(conn)) for name in scripts),
        jobs=tuple(jobs),
        fates=tuple((c, draw(st.sampled_from(fates))) for c in CONNECTIONS),
        source_zone=draw(st.sampled_from(ZONES)),
        zoneless=zoneless,
        give_source_zone=not zoneless or draw(st.integers(0, 3)) > 0,
        decoy=None if zoneless else draw(st.none() | st.sampled_from(ZONES)),
        target_zone=draw(st.sampled_from(ZONES)),
        mode=draw(st.sampled_from(("keepInstant", "keepInstant", "keepWallClock"))),
        params=draw(st.booleans()),
        job_params=tuple(sorted(draw(st.sets(st.sampled_from(regional))))) if regional else (),
        stored=draw(st.booleans()),
        swap=draw(st.integers(0, 3)) == 0,
    )
