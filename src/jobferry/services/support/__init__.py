"""Helpers the features share, none a feature of its own: per-process caches (credentials,
answered ``show_job`` documents), the garbage-collector pause around bulk work, the scratch
folder, encryption at rest, the operators' batch switches, list paging and request values
several calls take."""
