"""Storage: SQLAlchemy tables, migrations and repositories. The only package that imports
SQLAlchemy; services call the repository functions with a ``Tx`` from ``Database.transaction``."""

from jobferry.storage.database import Database
from jobferry.storage.tx import Tx

__all__ = ["Database", "Tx"]
