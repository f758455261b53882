"""What commands print: Rich tables and progress bars for people, JSON for programs.

With ``--json`` every command writes exactly one JSON document to standard output (its result,
or ``{"error": {...}}`` on failure) and nothing else; notes go to standard error. Without it,
results are Rich tables and lines on standard output, and progress bars appear on standard
error only when it is a terminal. Text that comes from the server or from a package is never
read as Rich markup (a message such as ``Task [abc] …`` prints as it is).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobferry.cli import grid
from jobferry.cli.exits import CommandInterruptedError, ExitCode
from jobferry.domain.enums import TaskStatus
from jobferry.domain.sizes import size_in_words

if TYPE_CHECKING:
    from rich.progress import Progress

PIPE_WIDTH = 240
"""Table width when standard output is not a terminal (and COLUMNS is not set)."""
STILL_RUNNING_SECONDS = 30.0
"""Without a terminal, how often a task still running is said again on standard error."""


def to_json(value: Any) -> str:
    """Indented JSON text (UTF-8 kept, keys in the order given)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (answers are read defensively)."""
    return value if isinstance(value, dict) else {}


def objects_under(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The JSON objects listed under ``key`` of an answer (anything else there is passed
    over, as :func:`mapping` reads an object)."""
    return [item for item in answer.get(key) or [] if isinstance(item, dict)]


def epoch_ms(value: Any) -> str:
    """An epoch-milliseconds time as ``YYYY-MM-DD HH:MM:SS`` UTC (blank when absent)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def moment(value: Any) -> str:
    """An epoch-milliseconds time in running text, with its zone: ``YYYY-MM-DD HH:MM:SS UTC``
    (blank when absent). A bare :func:`epoch_ms` only goes under a column headed "(UTC)"."""
    text = epoch_ms(value)
    return f"{text} UTC" if text else ""


def size_text(value: Any) -> str:
    """A byte count for people (``12.3 KiB``)."""
    return size_in_words(value) if isinstance(value, int) else ""


MESSAGE_COLUMNS = 60
"""Terminal columns a task's message takes on its progress bar (a Chinese character takes two)."""


def _cut(text: str, columns: int) -> str:
    """``text`` cut to ``columns`` terminal columns, an ellipsis last when cut."""
    shown = Text(text)
    shown.truncate(columns, overflow="ellipsis")
    return shown.plain


class Bar:
    """One progress bar (does nothing when progress is not shown). Without a terminal
    (``say``: a line on standard error), a task still running after its first look is said
    in one line, its id first, and again every :data:`STILL_RUNNING_SECONDS`: a pipeline's log
    shows what it waits for, and which task to follow should the pipeline stop waiting."""

    def __init__(
        self,
        progress: Progress | None,
        description: str,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self._progress = progress
        self._id = progress.add_task(description, total=None) if progress is not None else None
        self._description = description
        self._say = say
        self._said_at: float | None = None

    def update(
        self, completed: float, total: float | None = None, description: str | None = None
    ) -> None:
        """Move the bar; ``total`` None keeps the bar indeterminate."""
        if self._progress is None or self._id is None:
            return
        fields: dict[str, Any] = {"completed": completed, "total": total}
        if description is not None:
            fields["description"] = description
        self._progress.update(self._id, **fields)

    def bytes(self, done: int, total: int | None) -> None:
        """Progress callback for uploads and downloads."""
        self.update(done, total)

    def task(self, task: dict[str, Any]) -> None:
        """Progress callback for system tasks (``progress`` 0–100 and ``message``)."""
        message = task.get("message") or task.get("status") or ""
        self.update(float(task.get("progress") or 0), 100, _cut(str(message), MESSAGE_COLUMNS))
        if self._say is not None and task.get("status") == TaskStatus.RUNNING:
            self._still_running(task, str(message))

    def _still_running(self, task: dict[str, Any], message: str) -> None:
        now = time.monotonic()
        if self._said_at is not None and now - self._said_at < STILL_RUNNING_SECONDS:
            return
        self._said_at = now
        assert self._say is not None
        self._say(
            f"{self._description}: task {task.get('id')} is running "
            f"({task.get('progress') or 0}%): {message}"
        )


class Output:
    """Where and how one command invocation prints."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.out = Console(highlight=False, soft_wrap=True)
        if not self.out.is_terminal and not os.environ.get("COLUMNS"):
            # Piped or captured: whole lines (grep, logs) rather than folding at 80 columns.
            self.out = Console(highlight=False, soft_wrap=True, width=PIPE_WIDTH)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        # The id of a task followed that ended without success: the failure it causes names
        # it (``task: …``, ``--json``'s ``error.task_id``), as the server's log does.
        self.failed_task: str | None = None

    @property
    def interactive(self) -> bool:
        """Whether a person is at a terminal (confirmation prompts, progress bars)."""
        return not self.json_mode and self.err.is_terminal

    def emit(self, value: Any) -> None:
        """The command's JSON result (``--json`` only)."""
        typer.echo(to_json(value))

    def items(self, answer: dict[str, Any], key: str) -> list[dict[str, Any]] | None:
        """The objects under ``key`` of a listing's answer, to show as a table; ``None`` in
        ``--json`` mode, where the answer is printed as it is."""
        if self.json_mode:
            self.emit(answer)
            return None
        return objects_under(answer, key)

    def document(self, answer: dict[str, Any], about: Sequence[tuple[str, Any]]) -> None:
        """A stored document's answer: the fields ``about`` it, then the document as indented
        JSON (``--json``: the answer as it is)."""
        if self.json_mode:
            self.emit(answer)
            return
        self.fields(about)
        self.line(orjson.dumps(answer.get("document"), option=orjson.OPT_INDENT_2).decode())

    def result(self, value: Any, human: str | None = None) -> None:
        """JSON in ``--json`` mode, else the one-line human form (when given)."""
        if self.json_mode:
            self.emit(value)
        elif human is not None:
            self.line(human)

    def finish(self, value: Any, code: int, message: str | None = None) -> None:
        """End the command with ``value`` as its JSON result (``--json``) and exit ``code``;
        in human mode ``message``, the verdict the exit code stands for, is the answer's last
        line on standard output (red when ``code`` is not 0): ``cmd > log`` keeps what was
        done, as it keeps the table above it."""
        self.result(value)
        if message and not self.json_mode:
            self.out.print(Text(message, style="red" if code else "green"))
        if code:
            raise typer.Exit(code)

    def line(self, text: str | Text, style: str | None = None) -> None:
        """One line of human output on standard output (no markup)."""
        if self.json_mode:
            return
        self.out.print(text if isinstance(text, Text) else Text(text, style=style or ""))

    def note(self, text: str, style: str | None = "dim") -> None:
        """A side remark: standard error in ``--json`` mode, standard output otherwise."""
        console = self.err if self.json_mode else self.out
        console.print(Text(text, style=style or ""))

    def about_the_run(self, text: str) -> None:
        """A line about the run, not its answer (a task still running): standard error."""
        self.err.print(Text(text))

    def warn(self, text: str) -> None:
        """A warning on standard error."""
        self.err.print(Text.assemble(("warning ", "yellow bold"), text))

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        title: str | None = None,
        empty: str = "(none)",
    ) -> None:
        """A table of plain-text cells (human mode only): drawn line by line when it fits the
        width (``grid``), else by Rich, which folds its columns to fit."""
        if self.json_mode:
            return
        if not rows:
            self.line(f"{title}: {empty}" if title else empty, style="dim")
            return
        cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
        sizes = grid.fitting(columns, cells, self.out.width)
        if sizes is not None:
            self._drawn(columns, cells, sizes, title)
        else:
            self._folded(columns, cells, title)

    def _folded(self, columns: Sequence[str], cells: list[list[str]], title: str | None) -> None:
        """A table wider than the terminal (or with a cell of several lines), drawn by Rich."""
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        # The first column names the row (an id or a name someone will copy): never folded,
        # whatever the terminal's width; the others fold to fit.
        key_width = max(len(row[0]) for row in cells)
        for index, column in enumerate(columns):
            if index == 0:
                table.add_column(column, no_wrap=True, min_width=key_width)
            else:
                table.add_column(column, overflow="fold")
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))
        self.out.print(table)

    def _drawn(
        self,
        columns: Sequence[str],
        cells: list[list[str]],
        sizes: list[int],
        title: str | None,
    ) -> None:
        """A table ``grid`` fits: its title and header styled as Rich styles them, then the
        rule and the rows written as they are (Rich would spend half a millisecond a row)."""
        if title:
            self.out.print(Text(title, style="table.title"))
        header = Text()
        for piece, named in grid.head(columns, sizes):
            header.append(piece, style="table.header" if named else None)
        self.out.print(header)
        self.out.file.write(grid.body(cells, sizes))

    def fields(self, pairs: Sequence[tuple[str, Any]]) -> None:
        """``name: value`` lines, aligned (human mode only)."""
        if self.json_mode:
            return
        width = max((len(name) for name, _ in pairs), default=0)
        for name, value in pairs:
            shown = "" if value is None else str(value)
            cell = value if isinstance(value, Text) else Text(shown)
            self.out.print(Text.assemble((f"{name + ':':<{width + 1}} ", "bold"), cell))

    def error(
        self,
        code: str | None,
        message: str,
        extra: dict[str, Any] | None = None,
        *,
        kind: str | None = None,
    ) -> None:
        """A failure: ``{"error": …}`` on standard output in ``--json`` mode (its ``code``:
        ``code``, else ``kind``, what kind of failure it is), else red text on standard error
        (``code`` before it)."""
        if self.json_mode:
            body: dict[str, Any] = {"code": code or kind, "message": message}
            body.update(extra or {})
            if self.failed_task:
                body.setdefault("task_id", self.failed_task)
            self.emit({"error": body})
            return
        label = f"error {code}: " if code else "error: "
        self.err.print(Text.assemble((label, "red bold"), message))

    def detail(self, text: str) -> None:
        """One more thing a failure found, under its message (human mode, standard error)."""
        if not self.json_mode:
            self.err.print(Text(f"  {text}"))

    def hint(self, text: str) -> None:
        """How to fix what just failed (human mode, standard error)."""
        if not self.json_mode:
            self.err.print(Text.assemble(("fix: ", "cyan bold"), text))

    def request_id(self, request_id: str | None) -> None:
        """The last line of a refusal a server answered (human mode, standard error, dim): the
        id the server knows the refused call by, which finds its lines in the server's log.
        ``None`` (a failure no server answered): nothing."""
        if request_id and not self.json_mode:
            self.err.print(Text(f"request id: {request_id}", style="dim"))

    def task_line(self) -> None:
        """The last line of a failure a followed task's failure caused (human mode, standard
        error, dim): the task's id, which ``tasks show`` and the server's log (``task …
        FAILED``) know it by. No such task: nothing."""
        if self.failed_task and not self.json_mode:
            self.err.print(Text(f"task: {self.failed_task}", style="dim"))

    @contextmanager
    def progress(self, description: str, *, transfer: bool = False) -> Iterator[Bar]:
        """A transient progress bar on standard error, shown only to a person at a terminal."""
        if not self.interactive:
            yield Bar(None, description, None if transfer else self.about_the_run)
            return
        # Here, not at the top: only a person at a terminal watching a transfer or a task
        # sees a bar, and every other run of every command is spared Rich's progress module.
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns: list[Any] = [
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn() if transfer else TaskProgressColumn(),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=self.err, transient=True) as progress:
            yield Bar(progress, description)

    def confirm(self, question: str) -> bool:
        """Ask yes/no on the terminal (default no)."""
        with self.asking():
            return bool(typer.confirm(question, default=False, err=True))

    def confirm_or_end(self, question: str, declined: Any, said: str) -> None:
        """Ask ``question`` (default no); declined, the command ends here (exit 1) with
        ``declined`` as its answer and ``said`` (what was not done) as its last line."""
        if not self.confirm(question):
            self.finish(declined, ExitCode.FAILED, said)

    @contextmanager
    def asking(self) -> Iterator[None]:
        """Around a question on the terminal: Ctrl-C at it is an interruption (exit 130) that
        says nothing was changed, not click's "Aborted." (exit 1)."""
        try:
            yield
        except typer.Abort as abort:
            if isinstance(abort.__context__, KeyboardInterrupt):
                self.err.print()  # off the question's line
                raise CommandInterruptedError(
                    "Interrupted at the question; nothing was changed."
                ) from None
            raise
