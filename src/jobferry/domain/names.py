"""Name rules for jobs, nodes, scripts, resources and job parameters, and the name meant by
one mistyped (:func:`nearest_among`).

DataArts allows object names of 1–128 characters made of letters (Chinese and other Unicode
letters included), digits, ``_``, ``-`` and ``.``; job parameter names are at most 64 characters
of ``[A-Za-z0-9_-]``. Every check returns a problem (rule id + message naming the value and the
fix) or ``None``; nothing raises.

Names that cannot lie (decided for jobferry, docs/api.md "Names"): a name must already be in its
plainest Unicode form (NFKC: no full-width ``ｊ１``, Kelvin sign ``K``, Angstrom sign or
decomposed ``Å``, ligatures), so two stored names are never the same text in different code
points; and its letters come from one script, except that Latin may be combined with Chinese,
Japanese and Korean (which may also be combined with each other), so ``аdmin`` with a Cyrillic
``а`` cannot pass for ``admin``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

OBJECT_NAME_MAX = 128
PARAM_NAME_MAX = 64

_OBJECT_PUNCTUATION = frozenset("_-.")
_PARAM_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Names made only of these pass the character rule without a per-character look-up.
_ASCII_OBJECT_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class NameProblem:
    """Why a name is refused: a stable rule id and a message that says how to fix it."""

    rule: str
    message: str


def _object_char_ok(char: str) -> bool:
    if char in _OBJECT_PUNCTUATION:
        return True
    category = unicodedata.category(char)
    return category.startswith("L") or category == "Nd"


def _show(chars: list[str]) -> str:
    unique = list(dict.fromkeys(chars))
    return ", ".join(repr(c) for c in unique[:5]) + (" …" if len(unique) > 5 else "")


def object_name_problem(name: object, what: str) -> NameProblem | None:
    """Check a job, node, script or resource name; ``what`` names the object in the message.

    Rules: ``required`` (missing or empty), ``type`` (not a string), ``name.whitespace``
    (leading/trailing blanks), ``name.length`` (over 128), ``name.dots`` (dots only: ``.`` and
    ``..`` name folders in a package's entry paths), ``name.normalized`` (not in NFKC form),
    ``name.charset`` (other characters), ``name.mixed_script`` (look-alike script mixes).
    ``what`` may be "job" or "job name"; messages read "job name ..." either way.
    """
    if (
        type(name) is str
        and len(name) <= OBJECT_NAME_MAX
        and _ASCII_OBJECT_NAME.fullmatch(name)
        and name.strip(".")
    ):
        return None  # the common case (no blanks either), decided by one match
    what = what.removesuffix(" name").removesuffix(" Name")
    if name is None or name == "":
        return NameProblem("required", f"{what} name is missing; give a name of 1–128 characters")
    if not isinstance(name, str):
        return NameProblem("type", f"{what} name {name!r} is not a string; send the name as text")
    return _text_name_problem(name, what)


def _text_name_problem(name: str, what: str) -> NameProblem | None:
    """The rules for a non-empty string name, in the order a user would fix them."""
    if name != name.strip():
        return NameProblem(
            "name.whitespace",
            f"{what} name {name!r} starts or ends with blanks; remove them ({name.strip()!r})",
        )
    if len(name) > OBJECT_NAME_MAX:
        return NameProblem(
            "name.length",
            f"{what} name {name[:40]!r}… has {len(name)} characters; "
            f"shorten it to at most {OBJECT_NAME_MAX}",
        )
    if not name.strip("."):
        return NameProblem(
            "name.dots",
            f"{what} name {name!r} is only dots, which in a package's entry paths means this "
            "folder or the one above; use letters or digits too, e.g. 'dot_job'",
        )
    plain = unicodedata.normalize("NFKC", name)
    if plain != name:
        return NameProblem(
            "name.normalized",
            f"{what} name {name!r} is written with full-width, compatibility or decomposed "
            f"characters that look like plainer ones; send it as {plain!r}",
        )
    bad = [c for c in name if not _object_char_ok(c)]
    if bad:
        fixed = "".join(c if _object_char_ok(c) else "_" for c in name)
        return NameProblem(
            "name.charset",
            f"{what} name {name!r} contains {_show(bad)}, which is not allowed; use only "
            f"letters, digits, '_', '-' and '.'{_example(fixed)}",
        )
    return _look_alike_problem(name, what)


# Scripts that are written together: Latin with Chinese, Japanese and Korean (and those three
# with each other). Any other mix (Latin with Cyrillic or Greek...) is how look-alikes are made.
_CJK = {
    "CJK": "Han",
    "IDEOGRAPHIC": "Han",
    "HIRAGANA": "Han",
    "KATAKANA": "Han",
    "KATAKANA-HIRAGANA": "Han",
    "BOPOMOFO": "Han",
    "HANGUL": "Hangul",
}
_MIXABLE = frozenset({"Latin", "Han", "Hangul"})


def _script(char: str) -> str | None:
    """The script of a letter (by its Unicode name), None for digits and punctuation."""
    if not unicodedata.category(char).startswith("L"):
        return None
    word = unicodedata.name(char, "").split(" ")[0]
    if word in ("", "MODIFIER"):
        return None
    return _CJK.get(word, word.capitalize())


# One letter each of these scripts writes alike: the example a refusal of their mix gives.
_LOOK_ALIKE_O = {"Armenian": "\u0585", "Cyrillic": "\u043e", "Greek": "\u03bf", "Latin": "o"}


def _look_alike_problem(name: str, what: str) -> NameProblem | None:
    scripts = {s for s in map(_script, name) if s is not None}
    if len(scripts) > 1 and not scripts <= _MIXABLE:
        *others, last = sorted(scripts)
        shown = f"{', '.join(others)} and {last}"
        return NameProblem(
            "name.mixed_script",
            f"{what} name {name!r} mixes {shown} letters; letters of different scripts can "
            f"look alike{_alike(scripts)}, so write it in one script (Latin may be combined "
            "with Chinese, Japanese or Korean)",
        )
    return None


def _alike(scripts: set[str]) -> str:
    """Two letters of the scripts named that look alike, when two of them have one."""
    both = sorted(s for s in scripts if s in _LOOK_ALIKE_O)[:2]
    if len(both) < 2:
        return ""
    first, second = both
    return f" ({first} '{_LOOK_ALIKE_O[first]}' and {second} '{_LOOK_ALIKE_O[second]}')"


def _example(fixed: str) -> str:
    """``, e.g. 'fixed'`` when the name with its refused characters replaced keeps a letter or
    a digit (a name of nothing but refused characters has no useful example)."""
    kept = any(c.isalnum() for c in fixed)
    return f", e.g. {fixed!r}" if kept else ""


def param_name_problem(name: object) -> NameProblem | None:
    """Check a job parameter name: 1–64 characters of ``[A-Za-z0-9_-]``."""
    if name is None or name == "":
        return NameProblem("required", "parameter name is missing; give a name of 1–64 characters")
    if not isinstance(name, str):
        return NameProblem("type", f"parameter name {name!r} is not a string; send it as text")
    if len(name) > PARAM_NAME_MAX:
        return NameProblem(
            "name.length",
            f"parameter name {name[:40]!r}… has {len(name)} characters; "
            f"shorten it to at most {PARAM_NAME_MAX}",
        )
    if not _PARAM_NAME.fullmatch(name):
        bad = [c for c in name if not _PARAM_NAME.fullmatch(c)]
        fixed = "".join("_" if c in bad else c for c in name)
        return NameProblem(
            "name.charset",
            f"parameter name {name!r} contains {_show(bad)}, which is not allowed; use only "
            f"A-Z, a-z, 0-9, '_' and '-'{_example(fixed)}",
        )
    return None


def storable(name: str) -> bool:
    """Whether a looked-up name could be stored at all (no name holds a NUL character)."""
    return "\x00" not in name


NEAR_ENOUGH = 0.8
"""How alike (``difflib``'s ratio) a name must be to be offered as the one meant."""


def nearest_among(name: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` (which do not hold ``name``) nearest to ``name``, a "did you
    mean": the same but for case first, else the most alike, when alike enough (a case or a
    letter amiss: ``Daily_sales``, ``daily_sale``)."""
    found = list(names)
    same = [other for other in found if other.casefold() == name.casefold()]
    if same:
        return min(same)
    near = difflib.get_close_matches(name, found, n=1, cutoff=NEAR_ENOUGH)
    return near[0] if near else None


def check_object_name(name: object, what: str) -> str | None:
    """The message saying why ``name`` is not a valid ``what`` name, or ``None`` when it is."""
    problem = object_name_problem(name, what)
    return problem.message if problem else None


def check_param_name(name: object) -> str | None:
    """The message saying why ``name`` is not a valid job parameter name, or ``None``."""
    problem = param_name_problem(name)
    return problem.message if problem else None
