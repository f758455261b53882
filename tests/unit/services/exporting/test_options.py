"""What an export request asks for (``services.exporting.options``), parsed from its body:
DataArts' defaults, every wrong value refused at once, the deletions window, batch and
background bodies, and the options a package records."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import ExportChanges, ExportMode
from jobferry.errors import InvalidRequestError, ObsPathError
from jobferry.services.exporting.options import (
    ExportRequest,
    parse_background_export,
    parse_batch_export,
    parse_changed,
    parse_export_request,
    parse_obs_target,
)


def test_an_empty_body_asks_for_dataarts_defaults_and_the_server_s_manifest_setting() -> None:
    request = parse_export_request({})
    assert request == ExportRequest()
    assert request.options(default_manifest=False).with_manifest is False
    options = request.options(default_manifest=True)
    assert options.with_manifest is True
    assert options.as_json() == {
        "exportDepend": True,
        "exportStatus": "DEVELOP",
        "withUpstream": False,
    }


def test_options_given_are_taken_and_recorded() -> None:
    request = parse_export_request(
        {
            "exportDepend": False,
            "exportStatus": "SUBMIT",
            "withUpstream": True,
            "withManifest": False,
            "deletionsSince": "2026-11-01T00:00:00+08:00",
            "deletionsFor": " prod ",
        }
    )
    options = request.options(default_manifest=True)
    assert (options.export_depend, options.submitted, options.with_upstream) == (False, True, True)
    assert options.with_manifest is False
    assert options.deletions_since == 1_793_462_400_000
    assert options.as_json()["exportStatus"] == "SUBMIT"
    assert options.as_json()["deletionsFor"] == "prod"


def test_every_wrong_value_is_named_in_one_refusal() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_export_request(
            {
                "exportDepend": "yes",
                "exportStatus": "LATEST",
                "withUpstream": 1,
                "deletionsSince": "2026-11-01T00:00:00",  # no zone
                "deletionsFor": "",
            }
        )
    message = refused.value.message
    for named in ("exportDepend", "exportStatus", "withUpstream", "deletionsSince", "deletionsFor"):
        assert named in message


def test_obs_path_is_checked_and_optional() -> None:
    assert parse_obs_target({}) is None
    assert parse_obs_target({"obsPath": ""}) is None
    assert parse_obs_target({"obsPath": "obs://bucket/out/"}) == "obs://bucket/out/"
    with pytest.raises(InvalidRequestError):
        parse_obs_target({"obsPath": 3})
    with pytest.raises(ObsPathError):
        parse_obs_target({"obsPath": "obs://bucket/../out/"})
    with pytest.raises(ObsPathError):
        parse_obs_target({"obsPath": "/local/out/"})


def test_a_batch_export_needs_a_non_empty_list_of_names() -> None:
    assert parse_batch_export({"jobList": ["a", "b"]}).names == ("a", "b")
    for bad in ([], ["a", 3], "a", None):
        with pytest.raises(InvalidRequestError, match="jobList"):
            parse_batch_export({"jobList": bad})


def test_a_background_export_is_a_name_list_or_the_workspace_changed_since() -> None:
    names = parse_background_export({"mode": "names", "names": ["a", 3, "b"]})
    assert (names.mode, names.names) == (ExportMode.NAMES, ("a", "b"))
    whole = parse_background_export({"mode": "workspace"})
    assert (whole.mode, whole.changed, whole.since) == (
        ExportMode.WORKSPACE,
        ExportChanges.ALL,
        None,
    )
    with pytest.raises(InvalidRequestError, match="mode"):
        parse_background_export({"mode": "everything"})
    with pytest.raises(InvalidRequestError, match="names"):
        parse_background_export({"mode": "names", "names": "a,b"})


def test_changed_since_needs_a_time_with_a_zone() -> None:
    assert parse_changed({"changed": "since", "since": 5}) == (ExportChanges.SINCE, 5)
    assert parse_changed({"changed": "since", "since": "1970-01-01T00:00:01+00:00"}) == (
        ExportChanges.SINCE,
        1000,
    )
    assert parse_changed({"changed": "sinceLastExport", "since": 5}) == (
        ExportChanges.SINCE_LAST_EXPORT,
        None,
    )
    for bad in (None, -1, True, "yesterday", "2026-11-01T00:00:00"):
        with pytest.raises(InvalidRequestError, match="since"):
            parse_changed({"changed": "since", "since": bad})


def test_a_name_list_request_keeps_its_options() -> None:
    asked = parse_export_request({"exportDepend": False})
    listed = asked.of_names(["x", "y"], selected=True)
    assert listed.names == ("x", "y")
    assert listed.selected is True
    assert listed.export_depend is False
