"""``jobferry promote``'s plan when the server makes it as a task: the plans call asks for a
task past the server's budget (``Prefer: respond-async``); a quick plan is answered as before,
a long one (the first promotion of a remote of tens of thousands of jobs refreshes it first)
is followed as an import is followed (a progress bar, ``--wait-timeout``, exit 124 when it
runs out, 130 on Ctrl-C), and its plan is then read back by its id and shown as a plan
answered at once. A task that failed is the refusal the call would have answered."""

from __future__ import annotations

from typing import Any

import typer

from jobferry.cli.client import RESPOND_ASYNC, segment
from jobferry.cli.output import mapping
from jobferry.cli.session import Session, session
from jobferry.cli.tasks import follow_accepted

PREFER = RESPOND_ASYNC
"""What the plans call prefers: the server's budget (``wait=`` would name one of its own)."""


def planned_promotion(
    ctx: typer.Context, s: Session, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The route's promotion planned (``body``: this run's settings, a carried package's
    path), as the plans call answers it at once, however long the server took."""
    answer = mapping(
        s.client().call("POST", f"/routes/{segment(name)}/plans", body, headers=PREFER)
    )
    if "workspace" not in answer:  # planned within the server's budget
        return answer
    task_id = str(answer.get("taskId"))
    where = session(ctx, s.output.json_mode, str(answer["workspace"]))
    then = (
        "Once it has ended, its message names the plan it made; show it with: jobferry "
        f"promote {name} --plan PLAN_ID"
    )
    result = follow_accepted(where, task_id, "promotion", changes=False, then=then)
    if result.get("promotionId") is None:  # nothing changed
        said = {"route": name, "source": result.get("source"), "since": result.get("since")}
        return {**said, "promotion": None, "taskId": None, "promotionTask": task_id}
    plan_id = str(result.get("planId"))
    kept = mapping(s.client().get(f"/routes/{segment(name)}/plans/{segment(plan_id)}"))
    source = result.get("source") or kept.get("source")  # where a carried package was cut
    return {**kept, "source": source, "promotionTask": task_id}
