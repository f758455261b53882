"""Data connections through every DataArts API shape, kept in the one environment-object store.

``store`` is the shared write path (secrets split off and merged); ``dlf`` serves the DataArts
Factory ``/v1/{project_id}/connections`` calls, ``migration`` their export and import bundle,
``studio`` the DataArts Studio ``/v1/{project_id}/data-connections`` calls.
"""
