"""Conversations saved as they happen, in SQLite in the data folder (``conversations.sqlite3``).

The app writes a turn as soon as it is asked and again when it is answered, so a reload, a
crash or a closed tab loses nothing. Answers are stored as JSON of the typed records
(``dataclasses.asdict``) and rebuilt into the same records on reading; a field a newer or
older version does not know is dropped rather than failing the whole conversation. An answer
saved before answers carried their segments is given them once, as it is read (``legacy_segments``).

Only the stdlib ``sqlite3``: one short-lived connection per call, so Streamlit's script
threads never share a connection.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from rag.records import Answer, Chunk, Citation, ReportReference, ScoredChunk, Segment

log = logging.getLogger(__name__)

DB_NAME = "conversations.sqlite3"
TITLE_CHARS = 80
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    PRIMARY KEY (conversation_id, position)
);
"""


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created: float
    updated: float
    turns: int


def title_from(question: str) -> str:
    """The first question, on one line and short enough for the sidebar."""
    one_line = " ".join(question.split())
    return one_line if len(one_line) <= TITLE_CHARS else one_line[: TITLE_CHARS - 1].rstrip() + "…"


# ------------------------------------------------------------------ records <-> JSON


def _only(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _chunk(d: dict[str, Any]) -> Chunk:
    d = _only(Chunk, d)
    d["section_path"] = tuple(d.get("section_path") or ())
    return Chunk(**d)


def _scored(d: dict[str, Any]) -> ScoredChunk:
    return ScoredChunk(**{**_only(ScoredChunk, d), "chunk": _chunk(d["chunk"])})


def _citation(d: dict[str, Any]) -> Citation:
    refs = [ReportReference(**_only(ReportReference, r)) for r in d.get("references") or []]
    return Citation(**{**_only(Citation, d), "references": refs})


# "[3]" or "[1, 2]": the markers answers were drawn with before they carried segments.
_LEGACY_MARK = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def legacy_segments(text: str, cited: set[int]) -> list[Segment]:
    """Segments for an answer saved before answers carried them (its row has text and citations only).

    This is the one place an answer's markers are read back from its text, and it exists only because
    those rows hold nothing else to draw their markers from: they are split once, as they are loaded, the
    way the chat drew them then (a "[n]" or "[1, 2]" whose numbers are all cited is a marker, anything
    else stays words), so a reopened old conversation shows the markers it showed before. Every answer
    saved since stores the segments its answerer made, and this is not used for it.
    """
    out: list[Segment] = []
    pos = 0
    for m in _LEGACY_MARK.finditer(text):
        nums = [int(x) for x in re.findall(r"\d+", m.group(1))]
        if not all(n in cited for n in nums):
            continue
        out.append(Segment(text[pos:m.start()], nums[0]))
        out += [Segment("", n) for n in nums[1:]]
        pos = m.end()
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def answer_to_json(answer: Answer) -> str:
    return json.dumps(asdict(answer), ensure_ascii=False)


def answer_from_json(blob: str) -> Answer:
    d = json.loads(blob)
    d["citations"] = [_citation(c) for c in d.get("citations") or []]
    d["contexts"] = [_scored(s) for s in d.get("contexts") or []]
    d["related"] = [_scored(s) for s in d.get("related") or []]
    if "segments" in d:
        d["segments"] = [Segment(**_only(Segment, s)) for s in d["segments"] or []]
    else:  # saved before answers carried segments
        d["segments"] = legacy_segments(str(d.get("text") or ""), {c.n for c in d["citations"]})
    return Answer(**_only(Answer, d))


# ------------------------------------------------------------------------- the store


class ConversationStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.executescript(_SCHEMA)
            with con:  # one transaction per call
                yield con
        finally:
            con.close()

    def create(self, title: str) -> str:
        cid = uuid.uuid4().hex[:12]
        now = time.time()
        with self._db() as con:
            con.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)", (cid, title_from(title), now, now))
        return cid

    def exists(self, cid: str) -> bool:
        with self._db() as con:
            return con.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone() is not None

    def list(self) -> list[ConversationInfo]:
        """Newest first."""
        with self._db() as con:
            rows = con.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.position) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.id ORDER BY c.updated DESC"
            ).fetchall()
        return [ConversationInfo(*r) for r in rows]

    def save_turn(self, cid: str, position: int, turn: dict[str, Any]) -> None:
        answer = turn.get("answer")
        blob = answer_to_json(answer) if answer is not None else None
        with self._db() as con:
            con.execute(
                "INSERT OR REPLACE INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (cid, position, turn["question"], turn["status"], blob, turn.get("error")),
            )
            con.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), cid))

    def load(self, cid: str) -> list[dict[str, Any]]:
        with self._db() as con:
            rows = con.execute(
                "SELECT question, status, answer, error FROM turns WHERE conversation_id = ? ORDER BY position",
                (cid,),
            ).fetchall()
        turns = []
        for question, status, blob, error in rows:
            answer = None
            if blob:
                try:
                    answer = answer_from_json(blob)
                except (ValueError, TypeError, KeyError) as exc:  # a damaged row must not lose the others
                    log.warning("conversation %s: an answer could not be read (%s)", cid, exc)
                    status, error = "error", "This answer could not be restored; ask again."
            if status in ("pending", "running"):
                status = "running"  # asked but never answered (the tab closed): offer "Try again", never re-ask
            turns.append({"question": question, "status": status, "answer": answer, "error": error})
        return turns

    def rename(self, cid: str, title: str) -> None:
        title = title_from(title)
        if not title:
            return
        with self._db() as con:
            con.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, cid))

    def delete(self, cid: str) -> None:
        with self._db() as con:
            con.execute("DELETE FROM turns WHERE conversation_id = ?", (cid,))
            con.execute("DELETE FROM conversations WHERE id = ?", (cid,))
