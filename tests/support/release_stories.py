"""Generated release stories for property tests of enterprise mode
(``tests/unit/services/releases/test_generated_releases.py``): a workspace's rule of signed
approvals, then a drawn list of steps — in development, jobs and scripts made and changed
(saved, or submitted), renamed and deleted; release packages made of drawn pending items (with
the approvers named drawn, and packages a rule refuses: an item another package took, none at
all, the applicant or a developer as approver); signed approvals by the deployers and the
applicant; deploys, cancels and plans made again; production's jobs started or stopped by hand
(the only change a person makes there) and a hand edit there (refused); the last release rolled
back; production restored to an earlier release (production moved, now and then, between the
restore's plan and its apply); last, now and then, what development submitted imported into
production as released.

Names come from small pools (``support/promotion_stories.py``'s) so that steps collide: a
package takes a job without the script it runs, a job is renamed to a name another had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.import_stories import definition, job_document
from support.promotion_stories import JOBS, SCRIPTS

APPROVERS = ("both", "both", "both", "deployer", "second", "applicant", "developer")
"""Whom a package names as approvers: the deployer and a second deployer (weighing thrice),
the deployer, the second alone, the applicant (refused), a user holding only the developer
role (refused)."""
SIGNERS = ("deployer", "second", "applicant")
"""Who signs a package's plan: its approvers, or the applicant (refused)."""
MEANWHILE = ("", "", "", "release", "rollback", "restore", "toggle")
"""What changes production between a restore's plan and its apply: nothing (weighing
thrice), a release of what is pending, a rollback of the last release, another restore, a
job started or stopped by hand."""


@dataclass(frozen=True)
class Step:
    """One step of a story: what it does (``act``) and its arguments."""

    act: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


@dataclass(frozen=True)
class ReleaseStory:
    """The workspace's rule of approvals (0: none) and the steps."""

    required: int
    steps: tuple[Step, ...]

    def __repr__(self) -> str:
        return f"ReleaseStory(required={self.required}, steps={self.steps})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis shows a failing story: as :meth:`__repr__`."""
        printer.text(repr(self))


def _development(draw: st.DrawFn) -> Step:
    """A change in development: a job or script made or changed (``submit``: submitted, else
    only saved), a job renamed, a job or script deleted."""
    act = draw(st.sampled_from(["job", "job", "script", "rename", "delete"]))
    if act == "job":
        name = draw(st.sampled_from(JOBS))
        upstream = draw(st.none() | st.sampled_from([j for j in JOBS if j != name]))
        look = draw(st.integers(0, 3))
        return Step("job", (name, draw(st.sampled_from(SCRIPTS)), upstream, look, draw(submits)))
    if act == "script":
        return Step("script", (draw(st.sampled_from(SCRIPTS)), draw(st.integers(0, 3)), True))
    if act == "rename":
        old = draw(st.sampled_from(JOBS))
        return Step("rename", (old, draw(st.sampled_from([j for j in JOBS if j != old]))))
    return Step("delete", (draw(st.sampled_from(JOBS + SCRIPTS)),))


submits = st.sampled_from([True, True, True, False])
picks = st.integers(0, 7)


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step: development changed, every pending item released (packaged, approved by
    both deployers and deployed, its new jobs started or not), a package made (``None``
    items: every pending one; a ``taken`` item of another open package added; ``none``: no
    item named), approved, deployed, cancelled or planned again, production's jobs started
    or stopped or edited by hand, the last release rolled back (in the request, or by a task
    of its own), production restored to an earlier release (named by its package, or by its
    ledger entry; what changes production between its plan and its apply: ``MEANWHILE``), a
    deployer's approval key revoked (a new one registered)."""
    kind = draw(
        st.sampled_from(
            ["dev"] * 5
            + ["release"] * 3
            + ["package"] * 2
            + ["approve"] * 2
            + ["deploy"] * 2
            + ["cancel", "replan", "prod", "prod", "rollback", "rollback", "restore", "restore"]
            + ["revoke"]
        )
    )
    if kind == "dev":
        return _development(draw)
    if kind == "release":
        return Step("release", (draw(st.booleans()),))
    if kind == "package":
        some = st.lists(picks, min_size=1, max_size=3)
        chosen = draw(st.one_of(st.none(), st.none(), some))
        extra = draw(st.sampled_from(["", "", "", "taken", "none"]))
        return Step("package", (chosen, draw(st.sampled_from(APPROVERS)), extra))
    if kind == "approve":
        return Step("approve", (draw(picks), draw(st.sampled_from(SIGNERS))))
    if kind == "deploy":
        return Step("deploy", (draw(picks), draw(st.booleans())))
    if kind == "prod":
        return Step("prod", (draw(st.sampled_from(["toggle", "toggle", "edit"])), draw(picks)))
    if kind == "restore":
        return Step(kind, (draw(picks), draw(st.booleans()), draw(st.sampled_from(MEANWHILE))))
    if kind in ("cancel", "replan"):
        return Step(kind, (draw(picks),))
    if kind == "revoke":
        return Step(kind, (draw(st.sampled_from(SIGNERS[:2])),))
    return Step("rollback", (draw(st.booleans()),))


@st.composite
def release_stories(draw: st.DrawFn, max_steps: int = 14) -> ReleaseStory:
    """A rule of 0 to 2 approvals; development's first scripts and jobs, submitted; the
    drawn steps; a third of the time, last, an import as released of what development
    submitted (its scheduled jobs in production paused, or refused)."""
    scripts = draw(st.permutations(SCRIPTS))[: draw(st.integers(1, 2))]
    first = [Step("script", (name, 0, True)) for name in scripts]
    jobs = draw(st.permutations(JOBS))[: draw(st.integers(1, 3))]
    for name in jobs:
        first.append(Step("job", (name, draw(st.sampled_from(scripts)), None, 0, True)))
    drawn = draw(st.lists(steps(), min_size=4, max_size=max_steps))
    if draw(st.integers(0, 2)) == 0:  # then what development submitted imported as released
        drawn.append(Step("as_released", (draw(st.booleans()),)))
    return ReleaseStory(draw(st.sampled_from([0, 0, 1, 2])), (*first, *drawn))


def develop(services: Services, scope: Scope, step: Step) -> bool:
    """Take a development ``step`` in the workspace of ``scope``; whether it took it (a
    refusal changes nothing)."""
    try:
        _develop(services, scope, step)
    except JobferryError:
        return False
    return True


def _develop(services: Services, scope: Scope, step: Step) -> None:
    if step.act == "job":
        name, script, upstream, look, submit = step.args
        doc = job_document(name, script, None, [upstream] if upstream else [], look)
        _put(services.jobs, scope, name, doc, submit)
    elif step.act == "script":
        name, look, submit = step.args
        _put(services.scripts, scope, name, definition("script", name, look), submit)
    elif step.act == "rename":
        services.jobs.rename(scope, *step.args)
    elif step.act == "delete":
        (name,) = step.args
        (services.scripts if name in SCRIPTS else services.jobs).delete(scope, name)
    else:  # pragma: no cover - the generator makes no other development step
        raise AssertionError(step)


def _put(kind: Any, scope: Scope, name: str, doc: dict[str, Any], submit: bool) -> None:
    body = {**doc, "targetStatus": "SUBMITTED" if submit else "SAVED"}
    try:
        kind.show(scope, name)
    except JobferryError:
        kind.create(scope, body)
    else:
        kind.update(scope, name, body)


def _first(*later: Step, required: int = 0) -> ReleaseStory:
    """Script sa and job ja submitted (ja three times), then ``later``."""
    made = (Step("script", ("sa", 0, True)), *[Step("job", ("ja", "sa", None, 0, True))] * 3)
    return ReleaseStory(required, (*made, *later))


def released_unchanged() -> ReleaseStory:
    """ja released, submitted again unchanged and released again, the last release rolled
    back: its import wrote nothing, and the rollback was refused as "nothing to roll back"
    (found by a 150-example run, seed 2)."""
    again = Step("job", ("ja", "sa", None, 0, True))
    return _first(Step("release", (False,)), again, Step("release", (False,)), Step("rollback"))


def deleted_then_rolled_back() -> ReleaseStory:
    """ja released, deleted in development, the release rolled back: the deletion's item
    kept waiting to delete what production no longer held (found by a 150-example run,
    seed 2)."""
    return _first(Step("release", (False,)), Step("delete", ("ja",)), Step("rollback"))


def stale_plan() -> ReleaseStory:
    """A package of ja approved, another version of ja released before it: its deploy is
    refused, and planned again, its approval (of an earlier plan) no longer counts."""
    return _first(
        Step("release", (False,)),
        Step("job", ("ja", "sa", None, 1, True)),
        Step("package", (None, "both", "")),
        Step("approve", (0, "second")),
        Step("job", ("ja", "sa", None, 2, True)),
        Step("release", (True,)),
        Step("deploy", (0, True)),
        Step("replan", (0,)),
        Step("deploy", (0, True)),
        required=1,
    )


def cancelled_after_a_rollback() -> ReleaseStory:
    """ja released, submitted again and packaged, the release rolled back, the package
    cancelled: its items, pending again, said the version production held when it was made
    (found by a 150-example run of up to 30 steps, seed 21)."""
    return _first(
        Step("release", (False,)),
        Step("job", ("ja", "sa", None, 1, True)),
        Step("package", (None, "both", "")),
        Step("rollback", (False,)),
        Step("cancel", (0,)),
    )


def released_past_a_cancel() -> ReleaseStory:
    """sa and ja packaged, sa submitted again and released alone, the package cancelled:
    sa's item came back pending at its older version, and the next release said it put it
    in production while it wrote the newest (found by a 250-example run of up to 30 steps
    weighing packages, cancels, rollbacks and restores more, seed 33)."""
    return _first(
        Step("package", (None, "both", "")),
        Step("script", ("sa", 2, True)),
        Step("release", (False,)),
        Step("cancel", (0,)),
        Step("job", ("ja", "sa", None, 0, True)),
        Step("release", (False,)),
    )


def restored_past(meanwhile: str) -> ReleaseStory:
    """ja released twice (another version each time), then submitted again; production
    restored to the first release, ``meanwhile`` changing production between the restore's
    plan and its apply: with another release, the apply was refused naming the release's
    import, not ja, and told to make an import plan (found by this story)."""
    return _first(
        Step("release", (False,)),
        Step("job", ("ja", "sa", None, 1, True)),
        Step("release", (False,)),
        Step("job", ("ja", "sa", None, 2, True)),
        Step("restore", (0, False, meanwhile)),
    )


def released_outside_the_ledger() -> ReleaseStory:
    """ja released and started, submitted again and packaged, jb submitted, then what
    development submitted imported as released (refused while ja is scheduled, then with it
    paused and started again): the package's item of ja and jb's open item say production
    holds their latest versions."""
    return _first(
        Step("release", (True,)),
        Step("job", ("ja", "sa", None, 1, True)),
        Step("package", (None, "both", "")),
        Step("job", ("jb", "sa", "ja", 0, True)),
        Step("as_released", (False,)),
        Step("as_released", (True,)),
    )
