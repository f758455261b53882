"""Generated promotions along a route (``support/promotion_stories.py``): a source workspace and
a target edited by hand, promoted again and again with generated overrides, the newest
promotion rolled back now and then. Whatever the story, a route keeps its promises:

- a promotion does what its kept plan says, line by line, and nothing else;
- after it, every object the source changed since its version last landed in the target
  (made, changed, renamed) is there as the source holds it, unless the plan listed it as
  left out (a SKIP: drift kept, the same-name policy); a route that packages nothing left
  nothing out;
- what the source deleted since it landed is gone from the target when the promotion
  propagates deletes (unless a line says it kept it), else the plan lists it as not applied
  (and it is not offered again: docs/design.md, what a promotion left behind);
- planning again right after it, with the same overrides, finds nothing to write but the jobs
  it kept for their drift and rewrote for its renames (intended: ``onDrift`` KEEP_TARGET
  decides on the drift found when planning; docs/design.md, decide), the objects it skipped
  as a first import from the source (intended: ``sameNamePolicy`` AUTO skips only then and
  overwrites once the target's ledger holds a row of the source; docs/design.md, honest
  defaults) and what a PER_OBJECT import failed (offered again);
- rolling back the newest promotion gives the target back exactly as it was before it (with
  the tombstones of the objects it and the promotions rolled back since it made), and the
  next promotion carries again what it carried (``carried_until``, the ledger put back);
- a promotion whose plan has problems, or whose apply is refused, changes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, note

from jobferry.services.container import Services
from support.import_stories import generated
from support.promotion_journeys import Journey
from support.promotion_stories import (
    PromotionStory,
    act,
    deleted_and_failed,
    first_skipped_then_overwritten,
    made_ahead,
    only_scripts_at_first,
    promotion_stories,
    rolled_back_twice,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(15)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""


@GENERATED
@given(story=promotion_stories())
@example(story=only_scripts_at_first())
@example(story=made_ahead())
@example(story=first_skipped_then_overwritten())
@example(story=rolled_back_twice())
@example(story=deleted_and_failed())
def test_promotions_along_a_route_keep_their_promises(
    services: Services, story: PromotionStory
) -> None:
    note(repr(story))
    journey = Journey.of(services, story.route)
    for step in story.first:
        assert act(services, journey.source, step), step
    for step in story.steps:
        journey.take(step)
