"""The script calls of the definitions service (``services/definitions/scripts.py``): what a
saved script keeps of the body it was given."""

from __future__ import annotations

from jobferry.services.container import Services
from support.builders import make_script
from support.console import admin_scope


def test_a_script_saved_from_its_show_answer_does_not_keep_the_version_count(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.scripts.create(scope, make_script("kpi_sql"))
    # show_script answers the script with its count of submitted versions; a client that
    # edits that answer and sends it back (the SDK's show-then-update) carries the count.
    services.scripts.update(
        scope, "kpi_sql", make_script("kpi_sql", content="select 2;", version=1)
    )
    services.scripts.update(
        scope, "kpi_sql", make_script("kpi_sql", content="select 3;", version=2)
    )

    shown = services.scripts.show(scope, "kpi_sql")
    assert "version" not in shown.document
    assert shown.version == 3
