"""The reader's working index: what spans entries, kept on disk so memory stays flat.

Some rules look across the whole package: a path twice, every file listed by the manifest and
every listed file present, one object per kind and name. Held in dictionaries they cost a few
hundred bytes an entry (tens of megabytes for a 100,000-job workspace); here they live in a
private SQLite database in a temporary file beside the package (``:memory:`` for offline tools
and small reads), written in batches. It is a data structure, not the application's storage:
nothing in it outlives the read, and it never touches the application database.

The file loses its name as soon as SQLite has it open (SQLite opens a database file once and
holds it; with no journal it never opens another by that name), so a process that dies
mid-read leaves nothing behind, and it is closed on a thread of its own when the read ends:
giving back a 100,000-job import's index (a few hundred megabytes, much of it still in the
page cache) took the import 0.6 s at its end, time the import's own thread now goes on with.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from jobferry import scratchdb
from jobferry.domain.enums import KIND_ORDER
from jobferry.package.centraldir import ZipEntry

_SCHEMA = """
CREATE TABLE file (
    seq INTEGER PRIMARY KEY, normal TEXT NOT NULL UNIQUE, kind TEXT,
    name TEXT NOT NULL UNIQUE, raw_name TEXT, header_offset INTEGER, compress_size INTEGER,
    file_size INTEGER, crc INTEGER, method INTEGER, flags INTEGER, external_attr INTEGER,
    create_system INTEGER
);
CREATE TABLE listed (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT NOT NULL, object_id TEXT
) WITHOUT ROWID;
CREATE TABLE object (
    kind TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, uid TEXT,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
CREATE INDEX ix_object_uid ON object (kind, uid);
CREATE TABLE repeat (path TEXT PRIMARY KEY, kept TEXT NOT NULL) WITHOUT ROWID;
"""
_ENTRY = "name, raw_name, header_offset, compress_size, file_size, crc, method, flags, " + (
    "external_attr, create_system"
)
T = TypeVar("T")

CHUNK = 500
CLOSER = "read-index-close"
"""The name of the thread an index on disk is closed on."""
"""Keys per ``IN (…)`` list (well under SQLite's variable limit)."""

READ_ORDER = tuple(str(kind) for kind in sorted(KIND_ORDER, key=KIND_ORDER.__getitem__))
"""The kinds of object in the order a read hands them out (see :meth:`ReadIndex.wanted`)."""
Listed = tuple[int, str, str | None]
"""(size, sha256, object id) a manifest lists for a path."""
Wanted = tuple[int, ZipEntry, Listed | None]
"""(sequence, entry, what the manifest lists for it) of an entry to read."""


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batches(rows: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``rows`` in lists of at most ``size``, taken as they come (a stream is never held
    whole)."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


class ReadIndex:
    """One read's index, in a file with no name (or in memory); :meth:`close` gives it back."""

    def __init__(self, directory: Path | None = None) -> None:
        self._on_disk = directory is not None
        target = ":memory:"
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            fd, target = tempfile.mkstemp(dir=directory, prefix="read-", suffix=".index")
            os.close(fd)
        try:
            self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        finally:
            if directory is not None:  # SQLite holds the file open: its name can go
                os.unlink(target)
        # A 16 MiB cache: a plan asks whether the package holds each job a job depends on,
        # names all over the object table (16 MB at 100,000 jobs); with 4 MiB a 100,000-job
        # import read 148,000 pages back from the file, with 16 MiB 49,000.
        scratchdb.prepare(self._db, _SCHEMA, cache_kib=16384)
        self._object_index = False

    def close(self) -> None:
        """Forget the index: its file is given back on a thread of its own (SQLite lets go of
        the interpreter's lock while it closes), which the read does not wait for."""
        if self._on_disk:
            try:
                threading.Thread(target=self._db.close, name=CLOSER).start()
                return
            except RuntimeError:  # no new threads while the interpreter shuts down
                pass
        self._db.close()

    def _among(self, sql: str, keys: Sequence[Any], *lead: Any) -> list[Any]:
        """Rows of ``sql`` (one ``{marks}`` for an IN list after ``lead`` parameters)."""
        rows: list[Any] = []
        for part in chunks(keys):
            marks = ",".join("?" * len(part))
            rows += self._db.execute(sql.format(marks=marks), [*lead, *part]).fetchall()
        return rows

    def _count(self, sql: str) -> int:
        return int(self._db.execute(sql).fetchone()[0])

    # -- files of the zip --------------------------------------------------------------------

    def known_paths(self, normals: Sequence[str]) -> dict[str, str]:
        """normal path → entry name, for the paths among ``normals`` already added."""
        return dict(self._among("SELECT normal, name FROM file WHERE normal IN ({marks})", normals))

    def add_files(self, rows: Iterable[tuple[int, str, str | None, ZipEntry]]) -> None:
        """Remember (sequence, normal path, kind, entry) of files, no path known yet."""
        self._db.executemany(
            f"INSERT INTO file (seq, normal, kind, {_ENTRY}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ((seq, normal, kind, *entry) for seq, normal, kind, entry in rows),
        )

    def file(self, seq: int) -> ZipEntry:
        """The entry added as ``seq``."""
        row = self._db.execute(f"SELECT {_ENTRY} FROM file WHERE seq = ?", (seq,)).fetchone()
        return ZipEntry(*row)

    # -- the manifest's listing ------------------------------------------------------------------

    def known_listed(self, paths: Sequence[str]) -> set[str]:
        """Which of ``paths`` the listing holds already."""
        return {r[0] for r in self._among("SELECT path FROM listed WHERE path IN ({marks})", paths)}

    def add_listed(self, rows: Iterable[tuple[str, int, str, str | None]]) -> None:
        """Remember listed (path, size, sha256, object id) rows, none of them known yet."""
        self._db.executemany("INSERT INTO listed VALUES (?, ?, ?, ?)", rows)

    def listed_object_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these object ids the listing names (every listed entry, read or not)."""
        if not self._object_index:
            self._db.execute("CREATE INDEX ix_listed_object ON listed (object_id)")
            self._object_index = True
        sql = "SELECT object_id FROM listed WHERE object_id IN ({marks})"
        return {r[0] for r in self._among(sql, ids)}

    def unlisted(self, limit: int, excluded: Sequence[str]) -> tuple[list[str], int]:
        """Up to ``limit`` files the listing does not hold (in zip order), and how many; the
        ``excluded`` names (the manifest's own files) are never listed."""
        marks = ",".join("?" * len(excluded))
        where = (
            f"FROM file WHERE name NOT IN ({marks}) "
            "AND NOT EXISTS (SELECT 1 FROM listed WHERE path = file.name)"
        )
        rows = self._db.execute(f"SELECT name {where} ORDER BY seq LIMIT ?", (*excluded, limit))
        count = self._db.execute(f"SELECT count(*) {where}", tuple(excluded)).fetchone()[0]
        return [r[0] for r in rows], int(count)

    def missing(self, limit: int) -> tuple[list[str], int]:
        """Up to ``limit`` listed paths the zip does not have (in order), and how many."""
        where = "FROM listed WHERE NOT EXISTS (SELECT 1 FROM file WHERE name = listed.path)"
        rows = self._db.execute(f"SELECT path {where} ORDER BY path LIMIT ?", (limit,))
        return [r[0] for r in rows], self._count(f"SELECT count(*) {where}")

    def wanted(self, listed: bool, batch: int) -> Iterator[list[Wanted]]:
        """The entries to read, ``batch`` at a time: with a manifest the listed files (with
        what it lists), without one the files of a known kind.

        They come kind by kind in the order an import writes them (scripts, resources, CDM
        jobs, jobs; then, with a manifest, listed files of no known kind), each kind in zip
        order. A job's scripts and resources are then read before it, so checking its
        references finds them at once: jobferry's own exports hold jobs first, and every
        reference of every job used to wait as pending (a problem built, kept and looked up
        again) until the end of the read. One scan of the file table per kind, in its own
        order: nothing is sorted."""
        join = "JOIN listed ON listed.path = file.name" if listed else ""
        lists = "listed.size, listed.sha256, listed.object_id" if listed else "NULL, NULL, NULL"
        select = f"SELECT seq, {_ENTRY}, {lists} FROM file {join}"
        kinds: list[str | None] = list(READ_ORDER)
        if listed:
            kinds.append(None)
        for rows in batches(self._rows_of(select, kinds), batch):
            yield [
                (row[0], ZipEntry(*row[1:11]), None if row[11] is None else tuple(row[11:14]))
                for row in rows
            ]

    def _rows_of(self, select: str, kinds: Sequence[str | None]) -> Iterator[Any]:
        for kind in kinds:
            if kind is None:
                rows = self._db.execute(f"{select} WHERE file.kind IS NULL ORDER BY seq")
            else:
                rows = self._db.execute(f"{select} WHERE file.kind = ? ORDER BY seq", (kind,))
            # Not ``yield from rows``: a read given up early would close the cursor when the
            # generator is collected, by then perhaps after the index itself was closed.
            while chunk := rows.fetchmany(CHUNK):
                yield from chunk

    def count_definitions(self, listed: bool) -> int:
        """How many files to read hold a definition (an upper bound of the objects: identical
        repeats are dropped)."""
        join = "JOIN listed ON listed.path = file.name" if listed else ""
        return self._count(f"SELECT count(*) FROM file {join} WHERE kind IS NOT NULL")

    # -- objects ---------------------------------------------------------------------------------

    def known_objects(self, kind: str, names: Sequence[str]) -> dict[str, int]:
        """name → sequence of the object of ``kind`` among ``names`` already added."""
        sql = "SELECT name, seq FROM object WHERE kind = ? AND name IN ({marks})"
        return dict(self._among(sql, names, kind))

    def add_objects(self, rows: Iterable[tuple[str, str, int, str | None]]) -> None:
        """Remember (kind, name, sequence, uid) of objects, none of them known yet."""
        self._db.executemany("INSERT INTO object VALUES (?, ?, ?, ?)", rows)

    def known_uids(self, kind: str, uids: Sequence[str]) -> set[str]:
        """Which of these stable identifiers objects of ``kind`` read so far carry."""
        sql = "SELECT uid FROM object WHERE kind = ? AND uid IN ({marks})"
        return {r[0] for r in self._among(sql, uids, kind)}

    def count_objects(self) -> int:
        """How many objects were added."""
        return self._count("SELECT count(*) FROM object")

    def add_repeat(self, path: str, kept: str) -> None:
        """An entry dropped as an identical repeat of the object read from ``kept``."""
        self._db.execute("INSERT INTO repeat VALUES (?, ?)", (path, kept))

    def repeats(self) -> dict[str, str]:
        """Repeated entry path → the path of the object kept for it."""
        return dict(self._db.execute("SELECT path, kept FROM repeat ORDER BY path"))
