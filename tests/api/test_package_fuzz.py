"""Hostile packages, generated: whatever a package holds (mutated definitions, wrong types,
odd entry names, bytes that are not JSON), check-file, plan and import answer a clear refusal
or a result, never an internal error, and a FAILED import names a reason."""

from __future__ import annotations

import io
import itertools
import json
import os
import warnings
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import fuzzing
from support.builders import make_job, make_script
from support.clients import SignedClient, wait_task
from support.importing import upload

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("JOBFERRY_FUZZ_EXAMPLES", "25"))
"""Packages a database in the suite; JOBFERRY_FUZZ_EXAMPLES=1000 for the issue's full run."""

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
NAMES = st.text(min_size=1, max_size=12) | st.sampled_from(["..", ".", "a/b", "x\x00y", "ok_name"])


@st.composite
def job(draw: st.DrawFn) -> dict[str, Any]:
    doc = make_job(draw(NAMES))
    for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=3)):
        doc[key] = draw(VALUES)
    if draw(st.booleans()) and isinstance(doc.get("nodes"), list) and doc["nodes"]:
        node = doc["nodes"][0]
        if isinstance(node, dict):
            node[draw(st.sampled_from(["properties", "preNodeName", "name", "type"]))] = draw(
                VALUES
            )
    return doc


@st.composite
def script(draw: st.DrawFn) -> dict[str, Any]:
    doc = make_script(draw(NAMES))
    for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=2)):
        doc[key] = draw(VALUES)
    return doc


ENTRY = st.one_of(
    st.tuples(st.just("jobs/"), NAMES, st.just(".job"), job().map(json.dumps)),
    st.tuples(st.just("scripts/"), NAMES, st.just(".script"), script().map(json.dumps)),
    st.tuples(
        st.sampled_from(["jobs/", "scripts/", "resources/", "", "manifest", "jobs/deep/"]),
        NAMES,
        st.sampled_from([".job", ".script", ".json", ".resource", ""]),
        st.text(max_size=40) | VALUES.map(json.dumps),
    ),
)


_SERIAL = itertools.count()


def package(entries: list[tuple[str, str, str, str]]) -> bytes:
    """The zip of ``entries``, plus a note that makes every package's bytes (and so every
    upload's signature) unique: hypothesis repeats small examples, and a thousand identical
    signed uploads would run out of the signer's clock-skew window."""
    entries = [*entries, ("", f"fuzz-{next(_SERIAL)}", ".txt", "")]
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate entry names are part of the fuzz
        for folder, name, suffix, text in entries:
            path = f"{folder}{name}{suffix}".replace("\x00", "_")
            try:
                zf.writestr(path, text.encode("utf-8", "surrogatepass"))
            except ValueError:
                continue  # a name zipfile itself cannot write
    return buffer.getvalue()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=fuzzing.derandomized(EXAMPLES),
    suppress_health_check=list(HealthCheck),
)
@given(entries=st.lists(ENTRY, min_size=1, max_size=5))
def test_no_package_causes_an_internal_error(
    api: SignedClient, entries: list[tuple[str, str, str, str]]
) -> None:
    path = upload(api, package(entries))
    checked = api.call("POST", "/jobs/check-file", {"path": path})
    assert checked.status_code in (200, 400), checked.text
    planned = api.call("POST", "/jobs/import/plan", {"path": path, "sameNamePolicy": "OVERWRITE"})
    assert planned.status_code in (200, 400), planned.text
    if planned.status_code == 200 and "taskId" in planned.json():
        assert "Internal error" not in wait_task(api, planned.json()["taskId"])["message"]
    started = api.call("POST", "/jobs/import", {"path": path, "sameNamePolicy": "OVERWRITE"})
    assert started.status_code in (200, 400), started.text
    if started.status_code == 200:
        task = wait_task(api, started.json()["taskId"])
        assert task["status"] != "RUNNING"
        assert "Internal error" not in task["message"], task
        if task["status"] == "FAILED":
            assert task["message"], task
