"""A workspace's own settings: the DataArts Studio look-ups that find it (``studio``), its lock,
approval and signing rules (``settings``), its package signing keys (``keys``) and its
environment profiles (``profiles``)."""
