"""A plan's field change as the CLI prints it: where it comes from and whether it is cosmetic,
said in words."""

from __future__ import annotations

from jobferry.cli.planview import change_line


def test_a_change_says_where_it_comes_from_in_words() -> None:
    from_source = {"op": "changed", "path": "description", "before": "a", "after": "b"}
    assert change_line({**from_source, "origin": "source"}).plain == (
        "    ~ description: 'a' → 'b'  (changed in the source)"
    )
    drift = {**from_source, "origin": "target"}
    assert change_line(drift).plain.endswith("(undoes a change made here)")
    moved = {"op": "changed", "path": "nodes[a].location", "before": 1, "after": 2}
    layout = change_line({**moved, "origin": "transform", "cosmetic": True}).plain
    assert layout.endswith("(the profile or the import's settings, cosmetic: the drawing only)")
    assert change_line(from_source).plain == "    ~ description: 'a' → 'b'"


def test_what_a_plan_leaves_pending_says_deletions_apart_from_writes() -> None:
    """A plan of deletions only is not "objects to write"."""
    from jobferry.cli.planwork import pending

    assert pending({"summary": {"DELETE": 2}}) == "2 to delete"
    assert pending({"summary": {"CREATE": 1, "OVERWRITE": 2, "DELETE": 1}}) == (
        "3 object(s) to write, 1 to delete"
    )
    assert pending({"summary": {"UNCHANGED": 4}}) is None
