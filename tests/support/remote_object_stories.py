"""The generated stories of remotes as objects (the steps a story takes, drawn by hypothesis):
the project admin and users of each role add, change, show, list, test and remove remotes of
two workspaces of the DataArts stand-in, with good and bad values, names taken, and routes
naming their shadows. What the documents promise is ``support/remote_object_model.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.release_stories import Step
from support.remote_object_model import ADMIN, BOSS, DEVELOPER, OPERATOR, VIEWER
from support.standin import AK, FACTORY, PROJECT, SK, STUDIO

NAMES = ("prod", "staging", "prod", "eu.1", "ws")
"""Remote names (each after the story's own prefix); ``ws``: a workspace the story made."""
BAD_NAMES = ("..", "p" * 129, "a/b")
WORKSPACES = ("a", "b", "a", "b", "none")
"""The stand-in's two workspaces of the story, and one it does not have."""
ENDPOINTS = (FACTORY, FACTORY, FACTORY + "/", FACTORY.upper(), FACTORY + "/elsewhere")
BAD_ENDPOINTS = ("dayu-dlf.cn-north-4.myhuaweicloud.com", FACTORY + "?region=1", "ftp://x", "")
STUDIOS = (STUDIO, None, "", "absent", "absent")
KEYS = ((AK, SK), (AK, SK), (AK, SK), (AK, "wrong"), ("AKOTHER0123456789AB", SK))
CALLERS = (BOSS, BOSS, BOSS, ADMIN, DEVELOPER, OPERATOR, VIEWER)
"""Whose step it is (the project admin, who adds, changes and removes, weighs most)."""


@st.composite
def remote_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A ``POST …/remotes`` body, names and workspaces still to be made the story's (a ``ws``
    workspace letter), now and then with a fault."""
    access, secret = draw(st.sampled_from(KEYS))
    body: dict[str, Any] = {
        "name": draw(
            st.sampled_from(NAMES) if draw(st.integers(0, 7)) else st.sampled_from(BAD_NAMES)
        ),
        "endpoint": draw(st.sampled_from(ENDPOINTS)),
        "projectId": PROJECT,
        "workspace": draw(st.sampled_from(WORKSPACES)),
        "accessKey": access,
        "secretKey": secret,
    }
    studio = draw(st.sampled_from(STUDIOS))
    if studio != "absent":
        body["studioEndpoint"] = studio
    if draw(st.integers(0, 4)) == 0:
        fault = draw(st.sampled_from(("endpoint", "missing", "blank", "unknown", "studio")))
        if fault == "endpoint":
            body["endpoint"] = draw(st.sampled_from(BAD_ENDPOINTS))
        elif fault == "missing":
            del body[draw(st.sampled_from(("projectId", "workspace", "accessKey", "secretKey")))]
        elif fault == "blank":
            body["secretKey"] = "  "
        elif fault == "unknown":
            body["secret"] = SK
        else:
            body["studioEndpoint"] = draw(st.sampled_from(("ftp://x", 5)))
    if draw(st.integers(0, 5)) == 0:
        body["name"] = f" {body['name']} "
    return body


@st.composite
def change_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A ``PATCH …/remotes/{name}`` body, now and then with a fault."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["endpoint"] = draw(st.sampled_from(ENDPOINTS))
    if draw(st.integers(0, 3)) == 0:
        body["studioEndpoint"] = draw(st.sampled_from((STUDIO, None)))
    if draw(st.booleans()):
        access, secret = draw(st.sampled_from(KEYS))
        if draw(st.booleans()):
            body["accessKey"] = access
        body["secretKey"] = secret
    if draw(st.integers(0, 4)) == 0:
        fault = draw(st.sampled_from(("kept", "alone", "blank", "url", "unknown")))
        if fault == "kept":
            body[draw(st.sampled_from(("name", "projectId", "workspace")))] = "other"
        elif fault == "alone":
            body.pop("secretKey", None)
            body["accessKey"] = AK
        elif fault == "blank":
            body["endpoint"] = " "
        elif fault == "url":
            body["endpoint"] = draw(st.sampled_from(BAD_ENDPOINTS[:3]))
        else:
            body["sk"] = SK
    return body


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    caller = draw(st.sampled_from(CALLERS))
    name = draw(st.sampled_from(NAMES))
    act = draw(
        st.sampled_from(
            (
                *("add", "add", "add", "change", "change", "show", "list", "test", "test"),
                *("remove", "remove", "route", "unroute", "member"),
            )
        )
    )
    if act == "add":
        return Step(act, (caller, draw(remote_bodies())))
    if act == "change":
        return Step(act, (caller, name, draw(change_bodies())))
    if act == "list":
        return Step(act, (caller,))
    return Step(act, (caller, name))


@st.composite
def remote_stories(draw: st.DrawFn, max_steps: int = 14) -> tuple[Step, ...]:
    """A whole story: its steps, most of them after the project admin added remote ``prod``
    of the stand-in's first workspace."""
    opening = Step("add", (BOSS, good_body("prod", "a")))
    first = (opening,) if draw(st.integers(0, 3)) else ()
    return (*first, *draw(st.lists(steps(), min_size=5, max_size=max_steps)))


def good_body(name: str, workspace: str) -> dict[str, Any]:
    """The body of a remote of the stand-in's workspace ``workspace`` (a letter)."""
    return {
        "name": name,
        "endpoint": FACTORY,
        "studioEndpoint": STUDIO,
        "projectId": PROJECT,
        "workspace": workspace,
        "accessKey": AK,
        "secretKey": SK,
    }


def a_route_keeps_its_remote() -> tuple[Step, ...]:
    """A route into a remote's shadow keeps the remote until the route is deleted."""
    return (
        Step("add", (BOSS, good_body("prod", "a"))),
        Step("route", (BOSS, "prod")),
        Step("remove", (BOSS, "prod")),
        Step("unroute", (BOSS, "prod")),
        Step("remove", (BOSS, "prod")),
        Step("add", (BOSS, good_body("prod", "b"))),
        Step("show", (VIEWER, "prod")),
    )


def a_rotated_key() -> tuple[Step, ...]:
    """A key pair rotated in place, tested by a developer of the shadow before and after."""
    return (
        Step("add", (BOSS, {**good_body("prod", "a"), "secretKey": "wrong"})),
        Step("member", (BOSS, "prod")),
        Step("test", (DEVELOPER, "prod")),
        Step("test", (OPERATOR, "prod")),
        Step("change", (BOSS, "prod", {"accessKey": AK, "secretKey": SK})),
        Step("test", (DEVELOPER, "prod")),
        Step("add", (BOSS, {**good_body("aside", "a"), "endpoint": FACTORY + "/"})),
        Step("change", (ADMIN, "prod", {"studioEndpoint": None})),
    )
