"""Packages: zip layouts, the manifest, deterministic writing (and, later, safe reading).
Pure bytes in and out: no database, no network."""
