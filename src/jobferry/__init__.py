"""jobferry: move DataArts Factory jobs between environments, safely."""

__version__ = "0.3.0.dev0"
"""A release of CHANGELOG.md (``jobferry.releases``), or the next one in development
(``0.3.0.dev0``) while changes wait under Unreleased; pyproject.toml reads it from here."""
