"""The output of a batch: one JSON line per input line, written as each finishes.

Each line is written whole in one write and flushed, so a batch that crashes (or is
killed) leaves every finished line on disk and at most one partial line at the end. A rerun
reads what is there: the ids of the whole lines are done and skipped, and a partial last
line is cut off and its conversation run again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Set
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, cast

from switchboard.batch.lines import LineId, id_key
from switchboard.errors import ConfigurationError

__all__ = ["BatchResult", "OutputFile"]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What one line of a batch came to: its answer, or its error. One output line.

    Attributes:
        id: The line's id (its ``id``, or its line number).
        line: Its line number in the input.
        output: The answer ("" when the run ended without one).
        parsed: With an output type, the answer validated into it, as JSON (``None``
            without one, or when the run ended before a valid answer).
        stop_reason: Why the run stopped (``"answer"``, ``"max_iterations"``, ...);
            ``None`` when it failed before any result.
        error: Why the run failed (a provider error, a timeout, a worker lost), if it did.
        seconds: The run's wall time.
        input_tokens: Tokens sent over the run.
        output_tokens: Tokens written over the run.
        requests: Model requests made.
        tool_calls: Tool calls made.
        messages: The whole conversation, as `switchboard.runs.codec` writes messages (a
            line's ``messages`` may be given these to continue it).
        metadata: The line's ``metadata``, as given.
        run_id: The id of the line's run in the batch's run store (``switchboard runs show
            RUN_ID``); ``None`` for a batch with no store.
    """

    id: LineId
    line: int
    output: str
    parsed: Any = field(default=None, kw_only=True)
    stop_reason: str | None
    error: str | None
    seconds: float
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0
    messages: tuple[dict[str, Any], ...] = ()
    metadata: Any = None
    run_id: str | None = None

    def to_json(self) -> str:
        """The result as one line of JSON."""
        # The fields by hand: asdict() copies every message deeply first, which cost more
        # than the run itself (benchmarks/batch.py).
        record = {name: getattr(self, name) for name in _FIELDS}
        return json.dumps(record, ensure_ascii=False, default=repr)


_FIELDS = tuple(f.name for f in fields(BatchResult))


class OutputFile:
    """A batch's output file: what it already holds, and the lines appended to it.

    Args:
        path: The JSON Lines file (made if missing).
        ordered: Write results in the order of their positions (see `write`); else as
            they come.
    """

    def __init__(self, path: str | Path, *, ordered: bool = False) -> None:
        self.path = Path(path)
        self.ordered = ordered
        self._file: IO[str] | None = None
        self._flush_due = False
        self._next = 0
        self._held: dict[int, BatchResult] = {}

    def done(self) -> Set[str]:
        """The ids (as `id_key`) of the whole lines the file holds; a partial last line is cut.

        Raises:
            ConfigurationError: The folder is missing, or a whole line is not a batch's
                output line (the message names it).
        """
        if not self.path.parent.is_dir():
            msg = f"--output {self.path}: no folder {self.path.parent}. Create it first."
            raise ConfigurationError(msg)
        if not self.path.exists():
            return set()
        done: set[str] = set()
        whole = 0  # bytes up to the end of the last whole line
        with self.path.open("rb") as file:  # line by line: an output may be gigabytes
            for number, raw in enumerate(file, start=1):
                if not raw.endswith(b"\n"):
                    break  # a line cut short by a crash: run it again
                whole += len(raw)
                if raw.strip():
                    done.add(id_key(self._record_id(raw, number)))
        if whole < self.path.stat().st_size:
            with self.path.open("r+b") as file:
                file.truncate(whole)
        return done

    def _record_id(self, raw: bytes, number: int) -> Any:
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "id" not in record:
            msg = (
                f"{self.path} line {number} is not an output line of a batch (a JSON "
                "object with an id). Pass another --output, or remove that line."
            )
            raise ConfigurationError(msg)
        return cast("dict[str, Any]", record)["id"]

    def open(self) -> None:
        """Open the file to append to."""
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, position: int, result: BatchResult) -> None:
        """Append ``result`` (the ``position``-th of this run) and flush it to the OS.

        Ordered, it waits until every earlier position is written, then goes out with them.
        """
        if self._file is None:
            msg = "OutputFile.write() before open()."
            raise RuntimeError(msg)
        if not self.ordered:
            self._append(result)
            return
        self._held[position] = result
        while self._next in self._held:
            self._append(self._held.pop(self._next))
            self._next += 1

    def close(self) -> None:
        """Close the file (what is written is flushed)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _append(self, result: BatchResult) -> None:
        file = self._file
        assert file is not None
        # One write of the whole line: a crash leaves at most this line cut, never two mixed.
        # Written on the event loop: a few kilobytes to the page cache, flushed, not synced.
        file.write(result.to_json() + "\n")
        if self._flush_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            file.flush()
            return
        # Flushed once the results of this turn of the event loop are written: one system
        # call for the lines that finished together, and none left unflushed for longer.
        self._flush_due = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        if self._file is not None:
            self._file.flush()
