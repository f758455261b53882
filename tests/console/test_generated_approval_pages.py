"""Generated stories of a route plan's Approvals page (``support/console_approval_stories.py``):
a route requiring approvals of its plans from members of its target, promoted through the
console, then people of each role sign in and post the page's forms — an approval signed as the
page's script signs it (made here with ``cryptography``), over the plan as it is or as an older
page showed it, or with a revoked key; *Import*; *Plan it again* — while keys are revoked and
registered, roles in the target change and the route's rule is saved again. After every step
the page and the services keep the promises of docs/console.md (*Routes*, *Approvals*) and
docs/api.md (a route's approvals), as ``support/console_approval_model.py`` says them:

- an approval by whoever planned the plan, by someone the route does not name, with a revoked
  key or over a plan made again since is refused on the page in the console's words, and keeps
  nothing; a post by someone with no role in the target, or without the session's security
  token, is refused (403) and keeps nothing;
- an approval counts while it is over the plan as it is now, its signer is one of the route's
  approvers now (not who planned it) holding a role in the target, and its key is not revoked;
  the page lists each with whether it counts and why not, and how many more must count;
- *Import* is offered, and imports, exactly when enough count and an admin or developer of the
  target presses it; pressed before, or by someone else, it imports nothing; once imported the
  page says so and offers no way to approve; the route's page and the promotion's *Plan and
  import* lead to the newest plan's Approvals page, and a plan made again says how it stands.

The second test tells a release package's stories (``support/console_package_approvals.py``):
approvals by its approvers while keys are revoked and their roles change, *Deploy* pressed.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, note

from jobferry.services.container import Services
from support.console_approval_steps import (
    STEPS,
    Told,
    check_links,
    check_page,
    expected_kept,
    kept,
    promote,
)
from support.console_approval_stories import (
    approval_page_stories,
    approvals_that_stop_counting,
    enough_then_import,
)
from support.console_package_approvals import (
    STEPS as PACKAGE_STEPS,
)
from support.console_package_approvals import (
    PackageTold,
    a_role_lost_and_given_back,
    check_pages,
    package_stories,
)
from support.import_stories import generated
from support.release_stories import Step

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(3)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=100 and a
``--hypothesis-seed`` for a longer run)."""


@GENERATED
@given(story=approval_page_stories())
@example(story=enough_then_import())
@example(story=approvals_that_stop_counting())
def test_generated_approval_page_stories_keep_the_pages_promises(
    services: Services,
    client: TestClient,
    story: tuple[tuple[int, tuple[str, ...]], str, tuple[Step, ...]],
) -> None:
    rule, planner, steps = story
    told = Told(services, client, rule)
    promote(told, planner)
    note(f"rule {rule}, planned by {planner}")
    check_page(told, planner)
    for number, step in enumerate(steps):
        note(f"step {number}: {step}")
        STEPS[step.act](told, step)
        assert kept(told) == expected_kept(told)
        check_page(told, "admin")
        if step.args and isinstance(step.args[0], str) and step.args[0] != "admin":
            check_page(told, step.args[0])
            check_links(told, step.args[0])


@GENERATED
@given(story=package_stories())
@example(story=a_role_lost_and_given_back())
def test_generated_package_approval_stories_keep_the_pages_promises(
    services: Services,
    client: TestClient,
    story: tuple[int, tuple[str, ...], tuple[Step, ...]],
) -> None:
    required, named, steps = story
    told = PackageTold(services, client, required, named)
    note(f"{required} required of {named}")
    check_pages(told, "deployer")
    for number, step in enumerate(steps):
        note(f"step {number}: {step}")
        PACKAGE_STEPS[step.act](told, step)
        assert told.kept() == told.expected()
        check_pages(told, "admin")
        check_pages(told, step.args[0])
