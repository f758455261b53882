"""Generated stories of signing keys and trust (``tests/unit/services/test_generated_signing.py``):
three workspaces of one project (two export, any imports), their signing keys made, replaced
and deleted, keys trusted, distrusted (by id or by public key, trusted there or not) and
trusted again, ``requireSigned`` switched, packages exported, signed by a foreign key (another
server's), altered, then checked, planned and imported (some by the id of a plan made before).
:class:`~support.signing_model.Model` says what each must answer.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from hypothesis import strategies as st

from support.release_stories import Step
from support.signing_model import HARMS

WORKSPACES = 3
EXPORTERS = (0, 1)
JOBS = ("ja", "jb")
"""The job each exporter holds (and exports)."""
NAMES = ("ops", "Ops", "ci", "b", "ops")
"""Labels of trusted keys (one twice: two keys of one name list by id)."""
HOUR_MS = 3600 * 1000


@dataclass(frozen=True)
class SigningStory:
    """The workspaces' ``requireSigned`` at the start, and the steps."""

    required: tuple[bool, ...]
    steps: tuple[Step, ...]


_WS = st.integers(0, WORKSPACES - 1)
_PICK = st.integers(0, 50)


def _steps() -> st.SearchStrategy[Step]:
    packages = st.sampled_from(("check", "plan", "plan", "import", "import", "import"))
    uses = st.builds(lambda act, *a: Step(act, a), packages, _WS, _PICK, st.booleans())
    return st.one_of(
        st.builds(lambda ws, make: Step("key", (ws, make)), _WS, st.sampled_from((1, 1, 0))),
        st.builds(lambda ws: Step("export", (ws,)), st.sampled_from(EXPORTERS)),
        st.builds(lambda pick: Step("foreign", (pick,)), _PICK),
        st.builds(lambda pick, how: Step("harm", (pick, how)), _PICK, st.sampled_from(HARMS)),
        st.builds(lambda *a: Step("trust", a), _WS, _PICK, st.integers(0, len(NAMES) - 1)),
        st.builds(
            lambda *a: Step("distrust", a),
            _WS,
            _PICK,
            st.booleans(),
            st.integers(-1, len(NAMES) - 1),
        ),
        st.builds(lambda ws, on: Step("require", (ws, on)), _WS, st.booleans()),
        uses,
        uses,
        uses,
        uses,
        st.just(Step("clock", (HOUR_MS,))),
    )


@st.composite
def signing_stories(draw: st.DrawFn) -> SigningStory:
    """A story of 6 to 16 steps, starting with a signed export (a package to use)."""
    required = tuple(draw(st.lists(st.booleans(), min_size=WORKSPACES, max_size=WORKSPACES)))
    steps = [Step("key", (0, 1)), Step("export", (0,))]
    steps += draw(st.lists(_steps(), min_size=4, max_size=14))
    return SigningStory(required, tuple(steps))


def altered(data: bytes, entry: str) -> bytes:
    """The zip ``data`` with a space added to ``entry`` (the zip itself sound)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == entry:
                content = _flipped(content)
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = info.compress_type
            target.writestr(copy, content)
    return out.getvalue()


def stripped(data: bytes, entry: str) -> bytes:
    """The zip ``data`` without ``entry``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != entry:
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.compress_type = info.compress_type
                target.writestr(copy, source.read(info.filename))
    return out.getvalue()


def _flipped(content: bytes) -> bytes:
    """``content`` with a space after it: what it says unchanged, its bytes not."""
    return content + b" "


def first_entry(names: list[str]) -> str:
    """The first object entry of a package (a job, script or resource)."""
    return next(n for n in names if n.startswith(("jobs/", "scripts/", "resources/")))


def distrusted_and_signed_again() -> SigningStory:
    """The exporter's key distrusted by its public key in a workspace that never trusted it
    (and accepted it unlisted), its package refused there; the key replaced, the new one's
    package imported; the old key trusted again, its plan made before refused as stale."""
    steps = (
        Step("key", (0, 1)),
        Step("export", (0,)),
        Step("plan", (1, 0, False)),
        Step("distrust", (1, 1, True, -1)),
        Step("import", (1, 0, True)),
        Step("key", (0, 1)),
        Step("export", (0,)),
        Step("import", (1, 1, False)),
        Step("trust", (1, 1, 0)),
        Step("import", (1, 0, False)),
    )
    return SigningStory((False, False, True), steps)


def strict_and_foreign() -> SigningStory:
    """A workspace requiring signed packages: a sibling's package untrusted until listed, a
    foreign key's package refused until trusted; the signing key deleted, then the package
    it signed, altered, invalid."""
    steps = (
        Step("key", (0, 1)),
        Step("export", (0,)),
        Step("import", (2, 0, False)),
        Step("trust", (2, 1, 1)),
        Step("plan", (2, 0, False)),
        Step("import", (2, 0, True)),
        Step("foreign", (0,)),
        Step("import", (2, 1, False)),
        Step("trust", (2, 0, 2)),
        Step("import", (2, 1, False)),
        Step("key", (0, 0)),
        Step("key", (0, 0)),
        Step("harm", (0, "sig")),
        Step("check", (1, 2, False)),
        Step("import", (1, 2, False)),
        Step("distrust", (2, 0, False, 0)),
        Step("distrust", (2, 0, False, 0)),
        Step("check", (2, 1, False)),
    )
    return SigningStory((False, False, True), steps)
