"""Generated stories of a route carried across an air gap (``support/carried_stories.py``,
checked by ``support/carried_journeys.py``): the source server edits its workspace and cuts
packages (``promote ROUTE --out FILE``, sometimes ``--full``); the target server (the
``services`` fixture, on each database) takes them in (``promote ROUTE --in FILE``) in drawn
orders, plans them, applies some and rolls its newest import back, trusting and distrusting
the source's key. Whatever the story, as the README and docs/api.md say:

- a cut names the route, its source and the cut it continues (by snapshot and sha256), and
  the source says nothing changed only when nothing did since the route's last cut;
- a take-in is refused exactly when the model says: a file altered on the way (naming the
  entry), a key the target distrusts, a package of another route, a signature the route
  requires and the package lacks (unsigned, or by a key the target does not trust), the same
  package imported already (naming its import), a package whose predecessor was not imported
  there or was rolled back (naming it by its sha256, with the full cut as the fix); a refused
  take-in changes nothing and records nothing;
- a package taken in after a newer one is a problem of its plan for each object it would
  put back or delete, and has no other problem; a plan changes nothing;
- an applied import leaves in the target what the source held at the cut for every object the
  package holds, deletions propagated as the route says, and the source whole as at the cut
  when the package is full or continues what the target held; ``--full`` recovers a broken
  chain;
- rolling the newest import back gives the target back as it was, and its package must be
  taken in again before the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from hypothesis import example, given, note

from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from support.carried_journeys import CarriedJourney
from support.carried_stories import (
    CarriedStory,
    carried_stories,
    distrusted_and_altered,
    rolled_back_then_again,
    skipped_then_full,
)
from support.databases import migrate
from support.import_stories import generated
from support.promotion_stories import act

pytestmark = pytest.mark.fuzz
GENERATED = generated(4)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""


@pytest.fixture
def source_server(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    """The route's source server: services of their own over a SQLite file of their own (the
    target is the ``services`` fixture's, on each database)."""
    configured = settings.model_copy(
        update={
            "data_dir": tmp_path / "source-server",
            "database_url": f"sqlite:///{tmp_path / 'source.db'}",
        }
    )
    url = configured.resolved_database_url()
    migrate(url)
    db = Database(url)
    services = Services.build(configured, db)
    services.signin.hasher = PasswordHasher.from_parameters(CHEAPEST)
    services.accounts.bootstrap(configured.project_id, settings.admin_ak, settings.admin_sk)
    yield services
    db.dispose()


@GENERATED
@given(story=carried_stories())
@example(story=skipped_then_full())
@example(story=rolled_back_then_again())
@example(story=distrusted_and_altered())
def test_packages_carried_along_a_route_keep_their_promises(
    services: Services, source_server: Services, story: CarriedStory
) -> None:
    note(repr(story))
    journey = CarriedJourney.of(source_server, services, story)
    for step in story.first:
        assert act(source_server, journey.dev, step), step
    for step in story.steps:
        journey.take(step)
