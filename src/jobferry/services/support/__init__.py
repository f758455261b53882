"""Helpers the features share, none a feature of its own: per-process caches (``cache`` for
credentials and scopes, ``answers`` for answered ``show_job`` documents), the garbage-collector
pause around bulk work (``collector``), the ``scratch`` folder, the package store's and the
database's state for ``/health`` (``storehealth``, ``dbhealth``), encryption at rest
(``secretbox``) and changing its key (``keyrotation``), the operators' batch ``switches``,
list ``paging``, removing expired packages from their store (``expiring``), request values
several calls take (``requests``) and a saved version of a document as answered, and the
number the next save writes on its condition (``versions``)."""
