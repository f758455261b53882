"""Pure parts of the console: node graph layout, node panels, wizard state, the route form."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from starlette.datastructures import FormData

from jobferry.console.dag import NODE_H, NODE_W, layout
from jobferry.console.fixes import console_problems
from jobferry.console.plans import pending, plan_objects
from jobferry.console.route_form import CARRIED, RouteDraft, said_problem, version_changes
from jobferry.console.web import TEMPLATES, json_text
from jobferry.console.wizard import hidden_fields, import_body, wizard_state
from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason, SkipReason
from jobferry.domain.routes import ROUTE, RouteError, parse_route
from jobferry.domain.saving import Expected
from jobferry.services.importing.model import NotApplied, Problem
from jobferry.services.importing.plan import Plan, PlanLine, PlanSummary, SkipNote
from jobferry.services.routes.service import RouteVersion
from support.builders import make_job


def test_nodes_are_drawn_at_their_saved_locations_with_an_arrow_per_upstream() -> None:
    dag = layout(make_job()["nodes"])
    load, report = dag.nodes
    assert (load.x, load.y) == (20, 20)  # shifted into the margin
    assert (report.x, report.y) == (210, 20)
    assert [(e.source, e.target) for e in dag.edges] == [("load", "report")]
    assert dag.edges[0].path.startswith(f"M{20 + NODE_W:g},{20 + NODE_H / 2:g}")
    assert dag.width == 210 + NODE_W + 20


def test_nodes_without_locations_are_laid_out_by_depth_and_junk_is_skipped() -> None:
    nodes = [
        {"name": "c", "preNodeName": ["a", "b"]},
        {"name": "a"},
        {"name": "b", "preNodeName": ["a", "missing"]},
        "junk",
        {"name": 7},
        {"name": "loop", "preNodeName": ["loop"]},
    ]
    dag = layout(nodes)
    placed = {n.name: (n.x, n.y) for n in dag.nodes}
    assert placed["a"][0] < placed["b"][0] < placed["c"][0]
    assert len(dag.edges) == 4  # a→b, a→c, b→c, loop→loop; the missing upstream is dropped
    assert layout(None).nodes == []


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("load_orders_into_sales", "load_orders_into_sa…"),  # 20 narrow characters fit
        ("load_orders_into_sal", "load_orders_into_sal"),
        ("加载订单数据到销售库", "加载订单数据到销售库"),  # 10 wide ones take as much room
        ("加载订单数据到销售库并汇总", "加载订单数据到销售…"),
        ("加载_orders_到销售库_daily", "加载_orders_到销售…"),
    ],
)
def test_a_node_label_is_cut_to_the_width_of_its_box_wide_characters_counting_twice(
    name: str, label: str
) -> None:
    # A Chinese character is drawn about twice as wide as a Latin one (a 13 px glyph in a
    # 160 px box): 20 of them would run 100 px past the box, over the next node.
    (node,) = layout([{"name": name}]).nodes
    assert node.label == label


def test_wizard_state_adds_replaces_and_drops_mappings_and_round_trips() -> None:
    form = FormData(
        [
            ("path", "upload://abc"),
            ("sameNamePolicy", "OVERWRITE"),
            ("map_name", "dws_conn"),
            ("map_type", "DWS_CONNECTION"),
            ("map_replace", "old"),
            ("map", "2"),
            ("ref_name_2", "dws_conn"),
            ("ref_type_2", "MRS_HIVE_CONNECTION"),  # same kind (connection): replaces
            ("replace_2", "dws_prod"),
            ("approvers", "ann, bob"),
        ]
    )
    state = wizard_state(form)
    assert state["resources"] == [
        {"name": "dws_conn", "type": "MRS_HIVE_CONNECTION", "replace": "dws_prod"}
    ]
    body = import_body(state)
    assert body == {
        "path": "upload://abc",
        "sameNamePolicy": "OVERWRITE",
        "targetStatus": "SUBMITTED",
        "mode": "ATOMIC",
        "resources": state["resources"],
        "approvers": [{"approverName": "ann"}, {"approverName": "bob"}],
    }
    assert wizard_state(FormData(hidden_fields(state))) == state
    emptied = FormData(
        [
            *hidden_fields(state),
            ("map", "1"),
            ("ref_name_1", "dws_conn"),
            ("ref_type_1", "DWS_CONNECTION"),
            ("replace_1", ""),
        ]
    )
    assert wizard_state(emptied)["resources"] == []


def _plan(lines: list[PlanLine], **fields: Any) -> Plan:
    """A kept plan listing ``lines`` (the other fields: ``Plan``'s, by name)."""
    given: dict[str, Any] = {
        "plan_id": "p1",
        "package_sha256": "sha",
        "fingerprint": "fp",
        "summary": PlanSummary(create=len(lines)),
        "problems": (),
        "lines": tuple(lines),
        "lines_total": len(lines),
    }
    return Plan(**{**given, **fields})


def _line(name: str, action: PlanAction = PlanAction.CREATE, **fields: Any) -> PlanLine:
    return PlanLine(ObjectKind.JOB, name, action, f"jobs/{name}.job", **fields)


def test_the_plan_step_lists_at_most_so_many_objects_telling_ones_first() -> None:
    lines = [_line(f"j{i}") for i in range(10)]
    lines[7] = _line("j7", PlanAction.OVERWRITE, diff=({"path": "x", "op": "CHANGED"},))
    scheduled = Problem(ProblemReason.SCHEDULED, "job", "j8", "j8 is scheduled", "POST .../stop")
    lines[8] = _line("j8", problems=(scheduled,))

    listed = plan_objects(_plan(lines), "prod", listed=4)

    assert [o.line.name for o in listed.shown] == ["j0", "j1", "j7", "j8"]  # apply order kept
    assert listed.more == {"CREATE": 6}
    assert listed.total == 10
    assert "Stop its scheduling" in listed.shown[3].problems[0]["fix"]
    assert plan_objects(_plan(lines), "prod").more == {}
    first = _plan(lines[:4], lines_total=12, summary=PlanSummary(create=10, overwrite=2))
    assert plan_objects(first, "prod").more == {"CREATE": 6, "OVERWRITE": 2}


def test_pending_lists_skipped_changes_by_reason_and_deletions_not_applied() -> None:
    first = SkipNote.of(SkipReason.FIRST_IMPORT, "job", "a")
    drift = SkipNote.of(SkipReason.KEPT_DRIFT, "job", "b")
    gone = SkipNote.of(SkipReason.KEPT_DELETED, "job", "d")
    plan = _plan(
        [
            _line("a", PlanAction.SKIP, skip=first),
            _line("b", PlanAction.SKIP, skip=drift),
            _line("d", PlanAction.SKIP, skip=gone),
            _line("c", PlanAction.UNCHANGED),
        ],
        summary=PlanSummary(skip=4, unchanged=1),
        not_applied=(NotApplied("job", "old", "gone", "propagateDeletes", "fix"),),
        not_applied_total=1,
    )
    lines = pending(plan)
    assert lines[0].startswith("1 object(s) differ from this workspace's and will be skipped")
    assert "first import" in lines[0]
    assert "choose “Overwrite it”" in lines[0]
    assert "(they stay deleted)" in lines[1]
    assert "Overwrite the change with the package's" in lines[2]
    assert lines[3] == "4 object(s) are skipped in all (the plan lists the first ones)."
    assert lines[4].startswith("1 deletion(s) not applied: job old")
    assert "tick “Delete what the source deleted”" in lines[4]
    assert pending(_plan([])) == []


def test_every_problem_the_route_form_can_cause_is_said_in_the_forms_words() -> None:
    drafts = (
        RouteDraft(name="r", source="", target=CARRIED, selection="TAGS", source_id="ws1"),
        RouteDraft(name="r", source="test", target="test", source_id="x", selection="NAMES"),
        RouteDraft(name="r", source="test", target="", selection="FOLDERS"),
    )
    said: list[str] = []
    for draft in drafts:
        with pytest.raises(RouteError) as refused:
            parse_route("r", draft.document(None))
        said += [said_problem(p) for p in refused.value.problems]

    assert said == [
        "Source: choose a workspace of this server, or “On another server”",
        "At least one end must be a workspace of this server",
        "Which jobs travel: name at least one tag (one a line)",
        "“Its workspace id there” is only for a source on another server: leave it empty",
        "Source and target must be different workspaces",
        "Which jobs travel: name at least one job (one a line)",
        "Target: choose a workspace of this server, or “On another server”",
        "Which jobs travel: name at least one folder (one a line)",
    ]
    assert said_problem("route name is missing") == "route name is missing"


def test_the_route_form_sends_every_field_of_a_route_document() -> None:
    """The form saves the whole document, so a field of a route it does not send would be put
    back to its default by a save from the console: set with the command line or the API, lost
    at the next edit on the Routes page."""
    sent = set(RouteDraft().document(None))
    left_out = [name for name in ROUTE.names if name not in sent]
    assert not left_out, (
        f"console/route_form.py's RouteDraft does not send {left_out}: give the form a field "
        "for each (of_form, of_route, document) and route.html its control"
    )


def test_a_route_draft_round_trips_through_its_document() -> None:
    draft = RouteDraft(
        name="r",
        description="d",
        source="test",
        target="prod",
        selection="FOLDERS",
        values="/a\n\n /b \n",
        upstream=False,
        profile="to_prod",
        same_name_policy="SKIP",
        propagate_deletes=True,
        on_drift="KEEP_TARGET",
        scheduling="PAUSE_AND_RESTORE",
        mode="PER_OBJECT",
        signed=True,
    )
    route = parse_route("r", draft.document(None))
    assert route.selection.values == ("/a", "/b")
    saved = RouteVersion(route, 3, 0, "admin")
    assert RouteDraft.of_route(saved, {}) == replace(draft, values="/a\n/b", based_on="3")
    assert (draft.expected(), replace(draft, based_on="").expected()) == (Expected(0), None)
    by_id = parse_route("r", {"source": {"workspace": "ws-1"}, "target": {"carried": True}})
    shown = RouteDraft.of_route(RouteVersion(by_id, 1, 0, "admin"), {"ws-1": "test"})
    assert (shown.source, shown.target, shown.selection, shown.values) == (
        "test",
        CARRIED,
        "ALL",
        "",
    )


class _PageAt:
    """What the macros read off ``page``: its URLs."""

    def url(self, path: str) -> str:
        return "/console/w/ws1" + path


def test_a_filtered_lists_pager_links_the_pages_either_side_and_nothing_on_a_lone_page() -> None:
    macros = TEMPLATES.env.get_template("macros.html").make_module({"page": _PageAt()})
    pending = "/releases/pending"
    both = str(macros.query_pager(pending, "kind=JOB&offset=0", "kind=JOB&offset=200"))
    assert both == (
        '<p class="pager"><a href="/console/w/ws1/releases/pending?kind=JOB&amp;offset=0">'
        'Previous</a> <a href="/console/w/ws1/releases/pending?kind=JOB&amp;offset=200">'
        "Next</a></p>"
    )
    assert "Previous" not in str(macros.query_pager(pending, None, "offset=100"))
    assert "Next" not in str(macros.query_pager(pending, "offset=0", None))
    assert str(macros.query_pager(pending, None, None)) == ""


def test_a_drift_problem_of_a_promotion_says_promote_again() -> None:
    drift = {"reason": "drift", "kind": "job", "name": "daily", "detail": "changed here"}
    [plain] = console_problems([drift], "prod")
    assert "Carry the change back to the source and export again" in plain["fix"]
    [promoted] = console_problems([drift], "prod", route="test-prod")
    assert "Carry the change back to the source and promote again (Promote now" in (promoted["fix"])


def test_an_older_package_problem_says_what_to_choose_in_the_wizard() -> None:
    older = {"reason": "older_package", "kind": "job", "name": "daily", "detail": "older"}
    [written] = console_problems([older], "prod")
    assert "Import a package exported from the source since" in written["fix"]
    assert "“Keep this workspace's version”" in written["fix"]
    [deleted] = console_problems([{**older, "action": "DELETE"}], "prod")
    assert "untick “Delete what the source deleted”" in deleted["fix"]
    [again] = console_problems([{**older, "action": "CREATE"}], "prod")
    assert "“Keep this workspace's version” (it stays deleted)" in again["fix"]


def test_a_routes_version_says_what_it_changed_in_the_forms_words() -> None:
    first = parse_route(
        "test-prod", {"source": {"workspace": "test"}, "target": {"workspace": "prod"}}
    )
    second = parse_route(
        "test-prod",
        {
            "source": {"workspace": "test"},
            "target": {"workspace": "prod"},
            "scheduling": "PAUSE_AND_RESTORE",
            "propagateDeletes": True,
            "selection": {"kind": "FOLDERS", "values": ["/sales"], "withUpstream": False},
        },
    )
    said = version_changes(first, second)
    assert "which jobs: Every job → Folders: /sales" in said
    assert "what the source deleted: kept here → deleted here" in said
    assert "scheduled jobs: refused → paused during the import" in said
    assert version_changes(second, second) == ""
    inline = parse_route("test-prod", {**second.document(), "profile": {"renames": {"a": "b"}}})
    other = parse_route("test-prod", {**second.document(), "profile": {"renames": {"a": "c"}}})
    assert version_changes(inline, other) == "environment profile: the one written inline changed"


def test_json_text_keeps_non_ascii_text_and_escapes_what_markup_reads() -> None:
    shown = json_text({"z": ["中文", 1, None], "a": "</code><script>&'"})
    assert shown == ('{"a": "&lt;/code&gt;&lt;script&gt;&amp;&#39;", "z": ["中文", 1, null]}')
    rendered = TEMPLATES.env.from_string("<code>{{ v | json_text }}</code>").render(v="中 <i>")
    assert rendered == '<code>"中 &lt;i&gt;"</code>'  # escaped once, not again by the page


def test_the_plan_names_a_skipped_object_as_this_workspace_holds_it() -> None:
    """The package calls the job 'jd' (its source renamed it); this workspace holds it as 'jc'
    (its own 'jd' is another job): the plan says so, and does not call it a rename."""
    note = SkipNote.of(SkipReason.KEPT_DRIFT, "job", "jd", "jc")
    plan = _plan([_line("jd", PlanAction.SKIP, skip=note, previous_name="jc")])
    template = TEMPLATES.env.get_template("_plan_objects.html")
    html = template.render(objects=plan_objects(plan, "prod"), plan=plan)
    assert "named <code>jc</code> in this workspace" in html
    assert "renamed from" not in html
    assert "skipped: job &#39;jc&#39; (the package&#39;s &#39;jd&#39;) changed" in html


def test_the_plan_says_which_objects_another_user_locked_and_that_they_change_anyway() -> None:
    """The soft lock policy only warns: a line naming the lock's holder is listed among the
    first, with a notice in the console's words, and is no problem."""
    lines = [_line(f"j{i}") for i in range(4)]
    lines[3] = _line("j3", PlanAction.DELETE, locked_by="dana")
    plan = _plan(lines)
    listed = plan_objects(plan, "prod", listed=1)
    assert [o.line.name for o in listed.shown] == ["j3"]
    template = TEMPLATES.env.get_template("_plan_objects.html")
    html = template.render(objects=listed, plan=plan)
    notice = html.split("data-plan-locked>", 1)[1].split("</div>", 1)[0]
    assert "by dana: the import deletes it anyway" in notice
    assert "locks only warn" in notice
    quiet = template.render(objects=plan_objects(_plan(lines[:3]), "prod"), plan=plan)
    assert "data-plan-locked" not in quiet


def test_the_plan_says_which_jobs_a_rename_rewrites_over_another_user_s_lock() -> None:
    locked = (("own_job", "dana"),)
    rewrites = {"rewrites": ("own_job", "another_job"), "rewrites_total": 2}
    plan = _plan([_line("new_job", PlanAction.RENAME)], **rewrites, rewrites_locked=locked)
    template = TEMPLATES.env.get_template("_plan_objects.html")
    html = template.render(objects=plan_objects(plan, "prod"), plan=plan)
    said = " ".join(html.split("renames: ", 1)[1].split("</p>", 1)[0].split())
    assert said == (
        'own_job <span class="badge status-warning" data-plan-locked>locked</span> by dana, '
        "another_job."
    )
    assert "Locked by another user and rewritten anyway" in html
    quiet = _plan([_line("new_job", PlanAction.RENAME)], **rewrites)
    html = template.render(objects=plan_objects(quiet, "prod"), plan=quiet)
    assert "data-plan-locked" not in html
    assert "rewritten anyway" not in html
