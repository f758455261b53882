"""Field-level diff of two JSON definitions (jobs, scripts, resources), for the import plan.

``diff(before, after)`` lists what an overwrite would change, one ``Change`` per field, with a
readable path such as ``nodes[load].properties[connectionName].value``. ``same(before, after)``
is the equality the plan uses to call a definition UNCHANGED; it holds exactly when ``diff``
returns nothing. Definitions are plain JSON values (dicts in the client's key order, lists,
strings, numbers, booleans, ``None``) and may carry keys no model knows: every key is compared.

Rules:

* **Equality of values.** Key order never matters. ``1`` and ``1.0`` are equal (numbers compare
  numerically); ``"1"`` and ``1`` are not, nor are ``True`` and ``1`` (booleans are not
  numbers); a dict, a list and a scalar never equal each other (the whole value is ``changed``).
* **Dicts** are compared key by key: keys of ``after`` in its order (``added`` when new, compared
  recursively otherwise), then keys only in ``before`` in its order (``removed``).
* **Identified lists.** A list whose items are all dicts carrying the same string identity key
  (the first of ``IDENTITY_KEYS`` that fits: ``name`` for nodes, properties and params,
  ``approverName`` for approvers, ``jobName`` for ``sameWorkSpaceJobs``), unique on each side, is
  matched by identity, not position: ``nodes[load]``. Items in both are compared recursively
  (in ``after`` order), items only in ``after`` are ``added``, then items only in ``before`` are
  ``removed``. When the items present on both sides are in a different relative order, one
  ``changed`` entry at ``<list>(order)`` (e.g. ``nodes(order)``) comes first, its before/after the
  full identity lists of each side — so a pure reordering is that one entry and nothing else.
  Duplicate identities or an item without the key make the list positional (below).
* **Lists of scalars** (``tags``, ``preNodeName``, ``dependJobs.jobs``) are compared as
  sequences, because "removed ``etl``" reads better than a cascade of shifted positions:
  the same values in another order are one ``<list>(order)`` change with the two lists;
  otherwise the lists are aligned (longest common runs, ``difflib``) and each differing stretch
  is reported as ``changed`` per position when both sides have the same number of values there
  (``basicConfig.tags[1]``: ``"etl"`` → ``"finance"``), else as ``removed`` values (index in
  ``before``) followed by ``added`` values (index in ``after``).
* **Other lists** (objects without identities, nested lists, mixtures) are positional: common
  positions are compared recursively, a longer ``after`` adds its tail, a longer ``before``
  removes its tail.

Paths: dict keys joined with ``.``; a key that is not a plain word (letters, digits, ``_``,
``-``; not starting with a digit) is written JSON-quoted in brackets (``customFields["a b"]``);
identities in brackets, bare unless they could be misread (empty, all digits, blanks at the ends,
brackets or quotes), then JSON-quoted (``nodes["42"]``); positions as ``[3]``. The root itself is
the empty path ``""``.

``Change.before``/``after`` are the compared values themselves (not copies). The walk is
iterative and linear in the size of the definitions, except for aligning two differing lists
of scalars (``difflib``, quadratic in the worst case for long lists).
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"

IDENTITY_KEYS: tuple[str, ...] = ("name", "approverName", "jobName")
"""Keys that identify the items of a list of objects, tried in this order."""

ORDER_SUFFIX = "(order)"
"""Appended to a list's path for the entry reporting that its items were reordered."""

_PLAIN_KEY = re.compile(r"[^\W\d][\w-]*")
_UNSAFE_IDENTITY = re.compile(r'\d*|\s.*|.*\s|.*[\[\]"].*', re.DOTALL)


@dataclass(frozen=True)
class Change:
    """One difference between two definitions.

    ``op`` is ``"added"`` (``before`` is ``None``), ``"removed"`` (``after`` is ``None``) or
    ``"changed"``; ``path`` names the field (see the module docstring for the notation).
    """

    path: str
    op: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        """The change as ``{"path", "op", "before", "after"}`` for the plan's JSON.

        ``before`` is left out of an addition and ``after`` out of a removal.
        """
        out: dict[str, Any] = {"path": self.path, "op": self.op}
        if self.op != ADDED:
            out["before"] = self.before
        if self.op != REMOVED:
            out["after"] = self.after
        return out


_Pair = tuple[str, Any, Any]
"""Two values at a path (the first item) still to be compared; a tuple, for speed."""

_FLAT_TYPES = frozenset({str, int, float, bool, type(None)})


def diff(before: Any, after: Any, *, ignore: frozenset[str] = frozenset()) -> list[Change]:
    """Every field-level difference from ``before`` to ``after``, in a stable order.

    ``ignore``: top-level keys left out of the comparison (e.g. ``{"id", "createTime"}``).
    """
    return list(_changes(before, after, ignore))


def line_diff(before: str, after: str, context: int = 2) -> list[str]:
    """A text's changed lines (a script's content), as a unified diff without its two file
    header lines: ``@@`` hunk heads, then each line after ``" "``, ``"-"`` or ``"+"``."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    return list(lines)[2:]


def same(before: Any, after: Any, *, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether the two definitions are equal under the diff rules (``diff`` would be empty).

    Stops at the first difference.
    """
    return next(_changes(before, after, ignore), None) is None


def _changes(before: Any, after: Any, ignore: frozenset[str]) -> Iterator[Change]:
    """Depth-first, in order, without recursion (deep documents cannot exhaust the stack)."""
    if ignore:
        before, after = _without(before, ignore), _without(after, ignore)
    stack: list[Iterator[Change | _Pair]] = [iter((("", before, after),))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, Change):
            yield item
        else:
            stack.append(iter(_compare(*item)))


def _without(value: Any, ignore: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ignore}
    return value


def _compare(path: str, before: Any, after: Any) -> Iterable[Change | _Pair]:
    """The changes at ``path`` and the child pairs still to compare, in output order."""
    if before is after:
        return ()
    if isinstance(before, dict) and isinstance(after, dict):
        return _compare_dicts(path, before, after)
    if isinstance(before, list) and isinstance(after, list):
        return _compare_lists(path, before, after)
    if _is_container(before) or _is_container(after) or not _scalars_equal(before, after):
        return (Change(path, CHANGED, before, after),)
    return ()


def _obviously_equal(before: Any, after: Any) -> bool:
    """Fast check for the common case: the same object, or equal scalars of the same type.

    ``False`` only means "look closer" (``_compare`` decides), so callers may skip a child pair
    (and building its path) when this holds.
    """
    return before is after or (
        type(before) is type(after) and type(after) in _FLAT_TYPES and before == after
    )


def _compare_dicts(
    path: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[Change | _Pair]:
    for key, value in after.items():
        if key in before:
            old = before[key]
            if not _obviously_equal(old, value):
                yield (_key_path(path, key), old, value)
        else:
            yield Change(_key_path(path, key), ADDED, None, value)
    for key, value in before.items():
        if key not in after:
            yield Change(_key_path(path, key), REMOVED, value, None)


def _compare_lists(path: str, before: list[Any], after: list[Any]) -> Iterable[Change | _Pair]:
    if not before and not after:
        return ()
    identified = _identify(before, after)
    if identified is not None:
        return _compare_identified(path, *identified)
    if all(_is_json_scalar(v) for v in before) and all(_is_json_scalar(v) for v in after):
        return _compare_scalar_lists(path, before, after)
    return _compare_positional(path, before, after)


def _identify(before: list[Any], after: list[Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Both lists keyed by the first identity key every item carries uniquely, else ``None``."""
    if not all(isinstance(item, dict) for item in before) or not all(
        isinstance(item, dict) for item in after
    ):
        return None
    for key in IDENTITY_KEYS:
        before_by_id = _by_identity(before, key)
        if before_by_id is None:
            continue
        after_by_id = _by_identity(after, key)
        if after_by_id is not None:
            return before_by_id, after_by_id
    return None


def _by_identity(items: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    by_id: dict[str, Any] = {}
    for item in items:
        identity = item.get(key)
        if not isinstance(identity, str) or identity in by_id:
            return None
        by_id[identity] = item
    return by_id


def _compare_identified(
    path: str, before: dict[str, Any], after: dict[str, Any]
) -> Iterator[Change | _Pair]:
    kept_before = [identity for identity in before if identity in after]
    kept_after = [identity for identity in after if identity in before]
    if kept_before != kept_after:
        yield Change(path + ORDER_SUFFIX, CHANGED, list(before), list(after))
    for identity, item in after.items():
        child = _identity_path(path, identity)
        if identity in before:
            yield (child, before[identity], item)
        else:
            yield Change(child, ADDED, None, item)
    for identity, item in before.items():
        if identity not in after:
            yield Change(_identity_path(path, identity), REMOVED, item, None)


def _compare_scalar_lists(path: str, before: list[Any], after: list[Any]) -> Iterator[Change]:
    before_keys = [_scalar_key(v) for v in before]
    after_keys = [_scalar_key(v) for v in after]
    if before_keys == after_keys:
        return
    if Counter(before_keys) == Counter(after_keys):
        yield Change(path + ORDER_SUFFIX, CHANGED, list(before), list(after))
        return
    matcher = difflib.SequenceMatcher(None, before_keys, after_keys, autojunk=False)
    for tag, b1, b2, a1, a2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and b2 - b1 == a2 - a1:
            for offset in range(b2 - b1):
                yield Change(
                    _index_path(path, a1 + offset), CHANGED, before[b1 + offset], after[a1 + offset]
                )
            continue
        for index in range(b1, b2):
            yield Change(_index_path(path, index), REMOVED, before[index], None)
        for index in range(a1, a2):
            yield Change(_index_path(path, index), ADDED, None, after[index])


def _compare_positional(path: str, before: list[Any], after: list[Any]) -> Iterator[Change | _Pair]:
    common = min(len(before), len(after))
    for index in range(common):
        if not _obviously_equal(before[index], after[index]):
            yield (_index_path(path, index), before[index], after[index])
    for index in range(common, len(after)):
        yield Change(_index_path(path, index), ADDED, None, after[index])
    for index in range(common, len(before)):
        yield Change(_index_path(path, index), REMOVED, before[index], None)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _is_json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def _scalar_key(value: Any) -> tuple[str, Any]:
    """A hashable key equal for two scalars exactly when ``_scalars_equal`` holds."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return ("nan", None)
        return ("number", value)  # 1 and 1.0 are equal and hash alike
    if value is None or isinstance(value, str):
        return (type(value).__name__, value)
    return ("other:" + type(value).__qualname__, value)


def _scalars_equal(before: Any, after: Any) -> bool:
    return _scalar_key(before) == _scalar_key(after)


def key_path(path: str, key: Any) -> str:
    """``path`` followed by dict key ``key``, in the notation of change paths."""
    return _key_path(path, key)


def identity_path(path: str, identity: str) -> str:
    """``path`` followed by the list item identified by ``identity``."""
    return _identity_path(path, identity)


def identified(items: Any) -> dict[str, Any] | None:
    """A list of objects keyed by the first identity key every item carries uniquely (as
    the diff matches them), else ``None``."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    for key in IDENTITY_KEYS:
        by_id = _by_identity(items, key)
        if by_id is not None:
            return by_id
    return None


def related(one: str, other: str) -> bool:
    """Whether two change paths name the same field, or one lies inside the other."""
    if one == other:
        return True
    short, long = (one, other) if len(one) < len(other) else (other, one)
    return long.startswith(short) and long[len(short)] in ".[(" if short else True


def _key_path(path: str, key: Any) -> str:
    segment = _key_segment(key)
    return path + segment if path or segment[0] == "[" else segment[1:]


@functools.lru_cache(maxsize=4096, typed=True)
def _key_segment(key: Any) -> str:
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return "." + key
    return f"[{json.dumps(key, ensure_ascii=False)}]"


def _identity_path(path: str, identity: str) -> str:
    return path + _identity_segment(identity)


@functools.lru_cache(maxsize=4096, typed=True)
def _identity_segment(identity: str) -> str:
    if _UNSAFE_IDENTITY.fullmatch(identity):
        return f"[{json.dumps(identity, ensure_ascii=False)}]"
    return f"[{identity}]"


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"
