"""Field paths: name fields of a definition that the target owns, or that are only cosmetic.

A path is dict keys joined by ``.``; a list of named objects (nodes, properties, params) takes
``[*]`` for every item or ``[NAME]`` for one, matched by identity as the plan's diff matches
them: ``schedule.cron.expression``, ``basicConfig.owner``, ``nodes[*].retryTimes``,
``nodes[load].properties[connectionName]``, ``nodes[load].location``. Whether a path names a
field of a definition is :mod:`jobferry.domain.schema`'s to say.

:func:`keep_target` writes the target's values of such paths into a package's definition (an
environment profile's ``targetOwned`` fields survive every promotion); :func:`matches` tells
whether a change path (``nodes[load].location.x``) lies under a pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.domain.diff import identified, identity_path, key_path

Kept = tuple[str, Any, Any]
"""(change path, the package's value or ``None``, the target's value or ``None``)."""
_STEP = re.compile(r"([A-Za-z_][\w-]*)(?:\[([^\]]*)\])?")
_EVERY = "*"


@dataclass(frozen=True)
class FieldPath:
    """A parsed path: (key, item or ``None``) steps; item ``"*"`` is every item."""

    text: str
    steps: tuple[tuple[str, str | None], ...]


def parse_field_path(text: str) -> FieldPath:
    """Parse ``text``; ValueError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a field path is a non-empty text such as basicConfig.owner")
    steps: list[tuple[str, str | None]] = []
    for part in text.strip().split("."):
        found = _STEP.fullmatch(part)
        if found is None or found.group(2) == "":
            raise ValueError(
                f"'{text}' is not a field path: '{part}' should be a key, or a key with [*] or "
                "[NAME] for a list of named items (e.g. nodes[*].retryTimes)"
            )
        steps.append((found.group(1), found.group(2)))
    return FieldPath(text.strip(), tuple(steps))


COSMETIC = (parse_field_path("nodes[*].location"),)
"""Changes that cannot alter what a job does: where a node sits on the canvas."""


def matches(pattern: FieldPath, path: str) -> bool:
    """Whether the change path ``path`` is the field ``pattern`` names, or inside it."""
    return _regex(pattern).match(path) is not None


def _regex(pattern: FieldPath) -> re.Pattern[str]:
    out = ""
    for key, item in pattern.steps:
        out += re.escape(key_path("", key) if not out else key_path("x", key)[1:])
        if item == _EVERY:
            out += r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]'
        elif item is not None:
            out += re.escape(identity_path("", item))
    return re.compile(out + r"(?=$|[.\[(])")


def keep_target(
    doc: dict[str, Any], target: dict[str, Any], patterns: tuple[FieldPath, ...]
) -> list[Kept]:
    """Write the target's values of the ``patterns`` fields into ``doc`` (where the field's
    parent exists on both sides); answers the change paths where that changed ``doc``."""
    kept: list[Kept] = []
    for pattern in patterns:
        _keep(doc, target, pattern.steps, "", kept)
    return kept


def _keep(
    doc: Any, target: Any, steps: tuple[tuple[str, str | None], ...], path: str, kept: list[Kept]
) -> None:
    if not isinstance(doc, dict) or not isinstance(target, dict):
        return
    (key, item), rest = steps[0], steps[1:]
    here = key_path(path, key)
    if item is None:
        if rest:
            _keep(doc.get(key), target.get(key), rest, here, kept)
        else:
            _put(doc, key, target, here, kept)
        return
    mine, theirs = identified(doc.get(key)), identified(target.get(key))
    if mine is None or theirs is None:
        return
    if rest:
        for name in list(theirs) if item == _EVERY else [item]:
            if name in mine and name in theirs:
                _keep(mine[name], theirs[name], rest, identity_path(here, name), kept)
        return
    _keep_items(doc[key], mine, theirs, item, here, kept)


def _keep_items(
    items: list[Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    item: str,
    here: str,
    kept: list[Kept],
) -> None:
    """The target's version of one named item (or of every item it has, for ``*``)."""
    for name in list(theirs) if item == _EVERY else [item]:
        if name in theirs and mine.get(name) != theirs[name]:
            kept.append((identity_path(here, name), mine.get(name), theirs[name]))
            _replace_item(items, mine.get(name), theirs[name])
    if item != _EVERY and item in mine and item not in theirs:
        items.remove(mine[item])
        kept.append((identity_path(here, item), mine[item], None))


def _put(
    doc: dict[str, Any], key: str, target: dict[str, Any], path: str, kept: list[Kept]
) -> None:
    if key in target:
        if doc.get(key) != target[key] or key not in doc:
            kept.append((path, doc.get(key), target[key]))
            doc[key] = target[key]
    elif key in doc:
        kept.append((path, doc.pop(key), None))


def _replace_item(items: list[Any], mine: Any, theirs: Any) -> None:
    if mine is None:
        items.append(theirs)
    else:
        items[items.index(mine)] = theirs
