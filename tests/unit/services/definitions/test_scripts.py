"""The script calls of the definitions service (``services/definitions/scripts.py``): what a
saved script keeps of the body it was given."""

from __future__ import annotations

import pytest

from jobferry.errors import InvalidRequestError
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


def test_a_script_in_the_console_export_s_spelling_is_stored_as_an_import_stores_it(
    services: Services,
) -> None:
    # The console exports a script's database as currentDatabase; the package reader copies
    # it to database, so a script saved through the API must hold the same, or jobferry pull
    # then apply -f of the unchanged workspace overwrites it ("+ database").
    scope = admin_scope(services)
    body = make_script("load_data", currentDatabase="ods")
    del body["database"]
    services.scripts.create(scope, body)

    document = services.scripts.show(scope, "load_data").document
    assert (document["currentDatabase"], document["database"]) == ("ods", "ods")


def test_a_body_naming_another_script_is_refused_with_what_to_send_and_changes_nothing(
    services: Services,
) -> None:
    """No call renames a script: the refusal says to send the path's name, and how a script
    gets another name (create, repoint, delete)."""
    scope = admin_scope(services)
    services.scripts.create(scope, make_script("kpi_sql"))

    with pytest.raises(InvalidRequestError) as refused:
        services.scripts.update(scope, "kpi_sql", make_script("kpi_daily_sql"))

    assert "scripts cannot be renamed by update" in refused.value.problem
    assert "Send the body with the name 'kpi_sql'" in refused.value.message
    assert services.scripts.show(scope, "kpi_sql").document == make_script("kpi_sql")
