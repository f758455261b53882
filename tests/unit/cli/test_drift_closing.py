"""``jobferry drift``'s closing line says what a promotion does with what drifted: it stops on
a changed field it would write over, but makes an object deleted here again and renames one
only renamed here back without stopping (docs/api.md, "What changed in a workspace since it
was promoted into")."""

from __future__ import annotations

from typing import Any

from support.drift_cli import drift_command


def _object(name: str, *changes: str, deleted: bool = False) -> dict[str, Any]:
    return {
        "kind": "job",
        "name": name,
        "changes": [{"path": p, "op": "changed", "before": "a", "after": "b"} for p in changes],
        "updateTime": 0 if deleted else 1795605399120,
        "updateUser": "" if deleted else "alice",
        "importTaskId": "t1",
        "importedAt": 1795605307005,
        "sourceWorkspaceId": "ws-test",
        **({"deleted": True} if deleted else {}),
    }


def test_a_deleted_or_renamed_object_is_said_to_be_written_without_stopping() -> None:
    answer = {
        "compared": 7,
        "total": 3,
        "objects": [
            _object("ja", deleted=True),
            _object("jb_r", "name"),
            _object("jc", "name", "description"),
        ],
    }
    code, printed = drift_command(answer)
    assert code == 4
    closing = printed.strip().splitlines()[-1]
    assert "a promotion that would write over a changed field stops on it" in closing
    assert "makes the 1 deleted here again and renames the 1 only renamed here back" in closing
    assert "without stopping" in closing


def test_only_changed_fields_say_nothing_of_what_goes_on_without_stopping() -> None:
    answer = {"compared": 7, "total": 1, "objects": [_object("jc", "description")]}
    code, printed = drift_command(answer)
    assert code == 4
    assert "without stopping" not in printed
    assert drift_command({"compared": 7, "total": 0, "objects": []})[0] == 0
