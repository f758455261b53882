"""The definitions a workspace holds and their life: jobs (``jobs``, ``renames``), scripts,
resources, what a save does beyond the development state (``publishing``), tags and locks
(``governance``), tombstones of deleted objects, folders, and definitions as stored JSON text
(``documents``)."""
