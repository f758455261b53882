"""An import's working set: what the plan decided for each object, on disk, not in memory.

Planning a package looks at each object once, in the order the package streams it; writing it
afterwards goes in another order (what a job uses first, then upstream jobs first) and needs
what planning found (the definition to store, its references, its problems). That is kept
here, a record per object, in a private SQLite database in a temporary file (journal off,
never synced: it dies with the import), so an import of 200,000 objects holds no more of them
in memory than one of 200. Records are opaque bytes: the importing service owns their shape.

The records themselves (a few kilobytes each: half a gigabyte for 200,000 objects) are
appended to a flat file beside it, SQLite keeping where each one starts and how long it is:
SQLite wrote each one over a chain of overflow pages and read it back the same way, about
twice the time of a plain append and ``pread`` (a 100,000-job import: 2.0 s of writing them).

A plan that is kept (an import may name it later) keeps its working set too: :meth:`Workset.keep`
moves it into a folder of its own, and :meth:`Workset.reopen` opens it there again, read-only,
so that the import applies the records planning made rather than planning again. The target
reads the plan made (:meth:`Workset.add_read`) are kept with them, to be made again.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from jobferry import scratchdb
from jobferry.storage.database import SQLITE_PAGE_SIZE
from jobferry.storage.tx import chunks

_SCHEMA = """
CREATE TABLE obj (
    seq INTEGER PRIMARY KEY, rank INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    path TEXT NOT NULL, action TEXT NOT NULL, target_uid TEXT, holder TEXT
);
CREATE TABLE record (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE edge (seq INTEGER NOT NULL, upstream TEXT NOT NULL);
CREATE TABLE pending (
    seq INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, detail BLOB NOT NULL
);
CREATE TABLE late (seq INTEGER NOT NULL, problem BLOB NOT NULL);
CREATE TABLE rewrite (job_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE read (n INTEGER PRIMARY KEY, call BLOB NOT NULL);
"""
_INDEXES = """
CREATE INDEX ix_obj_kind_name ON obj (kind, name);
CREATE INDEX ix_obj_target_uid ON obj (target_uid);
CREATE INDEX ix_edge_upstream ON edge (upstream);
CREATE INDEX ix_edge_seq ON edge (seq);
CREATE INDEX ix_pending_ref ON pending (kind, name);
CREATE INDEX ix_late_seq ON late (seq);
"""
CHUNK = 500
_WRITES = "('CREATE', 'OVERWRITE', 'RENAME')"
"""Actions that write the package's definition (``services.importing.model.WRITES``)."""
KEPT_DATABASE = "workset.sqlite"
KEPT_RECORDS = "records"
"""The files of a kept working set, in its folder (:meth:`Workset.keep`)."""


class Workset:
    """One plan's records; :meth:`close` deletes the file."""

    def __init__(self, directory: Path | None) -> None:
        self._file: Path | None = None
        target = ":memory:"
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=directory, prefix="plan-", suffix=".workset")
            os.close(fd)
            self._file, target = Path(name), name
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        # The main database's page size (``storage.database``).
        scratchdb.prepare(self._db, _SCHEMA, cache_kib=8192, page_size=SQLITE_PAGE_SIZE)
        self._indexed = False
        # The records' file: unnamed (gone with its last descriptor, a crash included), in the
        # same folder as the database, or in memory with it.
        self._data: IO[bytes] = (
            io.BytesIO() if directory is None else tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close())
        )
        self._end = 0

    @classmethod
    def reopen(cls, folder: Path) -> Workset:
        """The working set :meth:`keep` kept in ``folder``, read-only; :meth:`close` leaves
        its files (raises ``OSError`` or ``sqlite3.Error`` when they are not there)."""
        self = cls.__new__(cls)
        self._file, self._indexed = None, True
        data = open(folder / KEPT_RECORDS, "rb")  # noqa: SIM115 (closed by close())
        try:
            uri = f"{(folder / KEPT_DATABASE).absolute().as_uri()}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._db.execute("SELECT count(*) FROM read").fetchone()
        except BaseException:
            data.close()
            raise
        self._data = data
        self._end = os.fstat(data.fileno()).st_size
        return self

    def keep(self, folder: Path) -> None:
        """Hand the working set's files over to ``folder`` (made), indexed, and close it: the
        kept plan's; :meth:`reopen` opens them again."""
        if self._file is None:
            raise ValueError("a working set in memory cannot be kept")
        self._index()
        self._db.execute("COMMIT")
        self._db.close()
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(self._file, folder / KEPT_DATABASE)
        self._file = None
        # The records' file has no name to move (it dies with the import otherwise): copied.
        self._data.flush()
        self._data.seek(0)
        with open(folder / KEPT_RECORDS, "wb") as kept:
            shutil.copyfileobj(self._data, kept)
        self._data.close()

    def close(self) -> None:
        """Forget the working set (a kept or reopened one's files stay)."""
        self._db.close()
        self._data.close()
        if self._file is not None:
            self._file.unlink(missing_ok=True)

    def _index(self) -> None:
        """Index what later steps look up (once, after the records are in: faster in bulk)."""
        if not self._indexed:
            for statement in filter(str.strip, _INDEXES.split(";")):
                self._db.execute(statement)  # not executescript: it would commit
            self._indexed = True

    # -- while planning --------------------------------------------------------------------------

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Store (seq, kind rank, kind, name, path, action, record, matched target uid, uid
        of the target object holding the name) rows.

        The record goes into a table of its own: the steps that look objects up by kind, name
        or target read the small columns only, and a column stored after a blob of kilobytes
        is only reached through the blob's overflow pages."""
        self._db.executemany(
            "INSERT INTO obj VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[7], r[8]) for r in rows],
        )
        places = []
        for row in rows:
            size = len(row[6])
            places.append((row[0], self._end, size))
            self._end += size
        # One write a batch: a write of each record (a few kilobytes, past the file's buffer)
        # was a system call of its own, most of them starting or ending inside a block the
        # file system then had to clear first (a plan's writes took 0.8 s of its own thread
        # at 100,000 jobs).
        self._data.write(b"".join(row[6] for row in rows))
        self._db.executemany("INSERT INTO record VALUES (?, ?, ?)", places)

    def add_edges(self, rows: Iterable[tuple[int, str]]) -> None:
        """(seq of a job the import writes, name of a job of its workspace it depends on)."""
        self._db.executemany("INSERT INTO edge VALUES (?, ?)", rows)

    def add_pending(self, rows: Iterable[tuple[int, str, str, bytes]]) -> None:
        """(job seq, kind, name, detail): references found neither in the target nor yet in
        the package; the detail is the importing service's to read back."""
        self._db.executemany("INSERT INTO pending VALUES (?, ?, ?, ?)", rows)

    # -- once the package is read -----------------------------------------------------------------

    def pending_references(self) -> Iterator[list[tuple[str, str]]]:
        """Every distinct (kind, name) still pending, ``CHUNK`` at a time."""
        self._index()
        cursor = self._db.execute("SELECT DISTINCT kind, name FROM pending ORDER BY 1, 2")
        while rows := cursor.fetchmany(CHUNK):
            yield rows

    def pending_of(self, refs: Sequence[tuple[str, str]]) -> Iterator[tuple[int, str, str, bytes]]:
        """The pending rows of these (kind, name) references, by job then reference."""
        self._index()
        for part in chunks(refs, CHUNK):
            marks = ",".join("(?, ?)" for _ in part)
            flat = [value for ref in part for value in ref]
            yield from self._db.execute(
                f"SELECT seq, kind, name, detail FROM pending WHERE (kind, name) IN "
                f"(VALUES {marks}) ORDER BY seq, rowid",
                flat,
            )

    def add_late(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Problems found once the whole package was read: (seq, problem)."""
        self._db.executemany("INSERT INTO late VALUES (?, ?)", rows)

    def jobs_by_name(self) -> list[tuple[int, str]]:
        """(seq, action) of the jobs, in name order (code point order, as Python sorts)."""
        self._index()
        rows = self._db.execute(
            "SELECT seq, action FROM obj WHERE kind = 'job' AND action != 'DELETE' ORDER BY name"
        )
        return [(r[0], r[1]) for r in rows]

    def job_edges(self) -> Iterator[tuple[int, int]]:
        """(job seq, upstream job seq) between jobs of the package the import writes."""
        self._index()
        # CROSS JOIN fixes the loop order: the jobs in name order, each looking up by index
        # the edges to it, so both indexes are walked in name order. Left to itself SQLite
        # scanned every edge for each job, quadratic in the package (4.6 s at 8,000 jobs);
        # edges first, each looking its upstream up, jumped all over the job index, which at
        # 100,000 jobs no longer stayed in the cache (0.6 s, nine times the 30,000-job
        # figure; now 0.26 s). No DISTINCT: a job's edges name distinct upstreams and a name one
        # written job (and an edge listed twice would only be ranked twice, never wrongly).
        yield from self._db.execute(
            "SELECT edge.seq, obj.seq FROM obj CROSS JOIN edge ON edge.upstream = obj.name "
            f"WHERE obj.kind = 'job' AND obj.action IN {_WRITES}"
        )

    def outside_upstreams(self) -> list[str]:
        """Jobs the written jobs depend on that the import does not write (the target's, or
        the package's unchanged or skipped ones)."""
        self._index()
        rows = self._db.execute(
            "SELECT DISTINCT upstream FROM edge WHERE NOT EXISTS (SELECT 1 FROM obj WHERE "
            f"kind = 'job' AND name = edge.upstream AND action IN {_WRITES}) ORDER BY 1"
        )
        return [r[0] for r in rows]

    def _among(self, select: str, values: Sequence[Any]) -> Iterator[Any]:
        """The rows of ``select``, which ends in ``IN``, for ``values``: one query a chunk."""
        for part in chunks(values, CHUNK):
            yield from self._db.execute(f"{select} ({','.join('?' * len(part))})", part)

    def written_jobs(self, names: Sequence[str]) -> dict[str, int]:
        """name → seq of the jobs among ``names`` that the import writes."""
        self._index()
        return dict(
            self._among(
                f"SELECT name, seq FROM obj WHERE kind = 'job' AND action IN {_WRITES} AND name IN",
                names,
            )
        )

    def edges_to(self, names: Sequence[str]) -> list[tuple[int, str]]:
        """(job seq, upstream name) of the package's jobs depending on any of ``names``."""
        self._index()
        return list(self._among("SELECT seq, upstream FROM edge WHERE upstream IN", names))

    def edges_from(self, seqs: Sequence[int]) -> list[tuple[int, str]]:
        """(job seq, upstream name) of these jobs."""
        self._index()
        return list(self._among("SELECT seq, upstream FROM edge WHERE seq IN", seqs))

    def names_of(self, seqs: Sequence[int]) -> dict[int, str]:
        """seq → name of these objects."""
        return dict(self._among("SELECT seq, name FROM obj WHERE seq IN", seqs))

    def matched(self, uids: Sequence[str]) -> set[str]:
        """Which of these target uids an object of the package is matched to."""
        self._index()
        return {r[0] for r in self._among("SELECT target_uid FROM obj WHERE target_uid IN", uids)}

    def written_jobs_seqs(self, batch: int) -> Iterator[list[int]]:
        """The seqs of the jobs the import writes, ``batch`` at a time."""
        cursor = self._db.execute(
            f"SELECT seq FROM obj WHERE kind = 'job' AND action IN {_WRITES} ORDER BY seq"
        )
        while rows := cursor.fetchmany(batch):
            yield [r[0] for r in rows]

    def held_names(self) -> list[tuple[int, str, str]]:
        """(seq, kind, name) of objects whose name a target object holds that the import
        neither renames away nor deletes."""
        rows = self._db.execute(
            "SELECT seq, kind, name FROM obj WHERE holder IS NOT NULL AND holder NOT IN "
            "(SELECT target_uid FROM obj WHERE target_uid IS NOT NULL "
            "AND action IN ('RENAME', 'DELETE')) ORDER BY seq"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def written_targets(self, uids: Sequence[str]) -> list[tuple[str, int]]:
        """(target uid, seq) of the objects the import writes or deletes matched to any of
        these target uids."""
        self._index()
        select = (
            f"SELECT target_uid, seq FROM obj WHERE action IN {_WRITES[:-1]}, 'DELETE') "
            "AND target_uid IN"
        )
        return [(r[0], r[1]) for r in self._among(select, uids)]

    def add_rewrites(self, rows: Iterable[tuple[int, str]]) -> None:
        """(job id, job name) of target jobs outside the package whose references to renamed
        objects the import rewrites."""
        self._db.executemany("INSERT OR IGNORE INTO rewrite VALUES (?, ?)", rows)

    def rewrites_count(self) -> int:
        """How many jobs :meth:`add_rewrites` kept."""
        return int(self._db.execute("SELECT count(*) FROM rewrite").fetchone()[0])

    def rewrites(self, batch: int) -> Iterator[list[tuple[int, str]]]:
        """The jobs :meth:`add_rewrites` kept, by name, ``batch`` at a time."""
        cursor = self._db.execute("SELECT job_id, name FROM rewrite ORDER BY name, job_id")
        while rows := cursor.fetchmany(batch):
            yield [(r[0], r[1]) for r in rows]

    def deletes_in_order(self) -> list[int]:
        """The DELETEs' seqs, in the order they were planned."""
        rows = self._db.execute("SELECT seq FROM obj WHERE action = 'DELETE' ORDER BY seq")
        return [r[0] for r in rows]

    def renames(self) -> list[int]:
        """The RENAMEs' seqs."""
        rows = self._db.execute("SELECT seq FROM obj WHERE action = 'RENAME' ORDER BY seq")
        return [r[0] for r in rows]

    def others_in_order(self) -> list[int]:
        """Scripts, resources and CDM jobs: by kind (as written), then name, then path."""
        rows = self._db.execute(
            "SELECT seq FROM obj WHERE kind != 'job' AND action != 'DELETE' "
            "ORDER BY rank, name, path"
        )
        return [r[0] for r in rows]

    def add_read(self, call: bytes) -> None:
        """One read the plan made of its target (the importing service's to read back)."""
        self._db.execute("INSERT INTO read (call) VALUES (?)", (call,))

    def reads(self) -> Iterator[bytes]:
        """The reads :meth:`add_read` kept, in the order they were made."""
        cursor = self._db.execute("SELECT call FROM read ORDER BY n")
        while rows := cursor.fetchmany(CHUNK):
            yield from (r[0] for r in rows)

    def count(self) -> int:
        """How many objects were stored."""
        return int(self._db.execute("SELECT count(*) FROM obj").fetchone()[0])

    # -- writing and showing the plan --------------------------------------------------------------

    def records(self, seqs: Sequence[int]) -> dict[int, tuple[bytes, list[bytes]]]:
        """seq → (record, late problems) for these objects."""
        out: dict[int, tuple[bytes, list[bytes]]] = {}
        read = self._reader()
        for part in chunks(seqs, CHUNK):
            marks = ",".join("?" * len(part))
            for seq, at, size in self._db.execute(
                f"SELECT seq, at, size FROM record WHERE seq IN ({marks})", part
            ):
                out[seq] = (read(at, size), [])
            for seq, problem in self._db.execute(
                f"SELECT seq, problem FROM late WHERE seq IN ({marks}) ORDER BY rowid", part
            ):
                out[seq][1].append(problem)
        return out

    def names(self, seqs: Sequence[int]) -> dict[int, tuple[str, str]]:
        """seq → (kind, name) of these objects, without their records."""
        rows = self._among("SELECT seq, kind, name FROM obj WHERE seq IN", seqs)
        return {seq: (kind, name) for seq, kind, name in rows}

    def _reader(self) -> Callable[[int, int], bytes]:
        """Reads ``size`` bytes of the records' file from ``at`` (what was added is in it)."""
        data = self._data
        if isinstance(data, io.BytesIO):
            return lambda at, size: data.getbuffer()[at : at + size].tobytes()
        data.flush()
        fd = data.fileno()
        return lambda at, size: os.pread(fd, size, at)

    def __enter__(self) -> Workset:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
