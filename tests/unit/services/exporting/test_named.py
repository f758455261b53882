"""A submitted version is exported under its job's name now (``contents._named``): read only
when it does not lead with that name."""

from __future__ import annotations

from jobferry.services.definitions.documents import dump, load
from jobferry.services.exporting.contents import _named
from jobferry.storage.exports import JobEntry


def _entry(name: str, doc: dict[str, object]) -> JobEntry:
    return JobEntry(name, "uid", 0, dump(doc))


def test_a_version_named_as_its_job_is_written_as_stored() -> None:
    leading = _entry("daily", {"name": "daily", "nodes": []})
    assert _named(leading) is leading.text
    trailing = _entry("daily", {"nodes": [], "name": "daily"})  # read, found the same
    assert _named(trailing) == trailing.text


def test_a_version_of_a_renamed_job_takes_its_name_now() -> None:
    renamed = _entry("nightly", {"name": "daily", "nodes": [{"name": "nightly"}]})
    assert load(_named(renamed)) == {"name": "nightly", "nodes": [{"name": "nightly"}]}
    prefix = _entry("daily_v2", {"name": "daily", "nodes": []})  # a longer name, not a prefix
    assert load(_named(prefix))["name"] == "daily_v2"
