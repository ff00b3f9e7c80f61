"""The conversation store (SQLite in the data dir) and the upload folder's file names."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from rag.errors import MicqaError
from rag.records import CANNOT_ANSWER, Answer, Chunk, Citation, ReportReference, ScoredChunk, Segment, render
from rag.settings import Settings
from ui.conversations import DB_NAME, ConversationStore, answer_from_json, answer_to_json, legacy_segments
from ui.uploads import safe_name, save_upload, uploaded_files

REF = ReportReference(20, "Smith (2020) Title.", "Smith", "2020", "Title", "https://example.org", 0, 5)
CHUNK = Chunk("c1", "doc", "Doc", "3.1", ("3.", "3.1. X"), 10, 0, 5, "prose", "Hello [20].", "Hello")


def _answer() -> Answer:
    return Answer("q", "q read", "Hello [1].", "Hello [1].",
                  [Citation(1, "c1", "Doc", "3. > 3.1. X", 10, "Hello", [REF], cells=["City"])],
                  [ScoredChunk(CHUNK, 0.5, 1, 2, 0.3)], False, "default", 12.5, related=[ScoredChunk(CHUNK, 0.1)],
                  segments=[Segment("Hello ", 1), Segment(".")])


def _cited_words() -> Answer:
    """An answer whose words name the report's reference "[20]" before its own two markers."""
    segs = [Segment("Reference [20] says Hello ", 1), Segment(" ", 2), Segment(".")]
    cits = [Citation(n, "c1", "Doc", "3. > 3.1. X", 10, "Hello") for n in (1, 2)]
    return Answer("q", "q", render(segs), render(segs), cits, [], False, "default", 1.0, segments=segs)


def _as_saved_before_segments(store: ConversationStore) -> None:
    """Rewrite every stored answer as the app saved it before answers carried segments (no such key)."""
    with sqlite3.connect(store.path) as con:
        for rowid, blob in con.execute("SELECT rowid, answer FROM turns WHERE answer IS NOT NULL").fetchall():
            d = json.loads(blob)
            del d["segments"]
            con.execute("UPDATE turns SET answer = ? WHERE rowid = ?", (json.dumps(d), rowid))


def test_answers_round_trip_as_the_same_records() -> None:
    a = _answer()
    assert answer_from_json(answer_to_json(a)) == a


def test_segments_are_stored_and_come_back_typed(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    cid = store.create("q")
    store.save_turn(cid, 0, {"question": "q", "status": "done", "answer": _cited_words(), "error": None})
    with sqlite3.connect(store.path) as con:
        (blob,) = con.execute("SELECT answer FROM turns").fetchone()
    assert json.loads(blob)["segments"][0] == {"text": "Reference [20] says Hello ", "n": 1}
    (turn,) = store.load(cid)
    assert turn["answer"] == _cited_words() and all(isinstance(s, Segment) for s in turn["answer"].segments)


def test_an_answer_saved_before_segments_is_split_once_at_load(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    cid = store.create("q")
    refusal = Answer("r", "r", CANNOT_ANSWER, CANNOT_ANSWER, [], [], True, "default", 1.0, segments=[Segment(CANNOT_ANSWER)])
    for i, a in enumerate([_answer(), _cited_words(), refusal]):
        store.save_turn(cid, i, {"question": "q", "status": "done", "answer": a, "error": None})
    _as_saved_before_segments(store)
    old, words, refused = (t["answer"] for t in store.load(cid))
    # the old rows get the segments the answerer made: markers where they were, the text unchanged
    assert old == _answer() and refused == refusal
    # an uncited number stays words (as the chat drew it then); the cited ones are markers
    assert words.segments == _cited_words().segments and words.text == _cited_words().text


def test_legacy_segments_split_a_joint_marker_and_keep_unknown_numbers_as_words() -> None:
    segs = legacy_segments("A [1, 2] and B [3]; see [9].", {1, 2, 3})
    assert segs == [Segment("A ", 1), Segment("", 2), Segment(" and B ", 3), Segment("; see [9].")]
    assert legacy_segments("", set()) == [] and legacy_segments(CANNOT_ANSWER, set()) == [Segment(CANNOT_ANSWER)]


def test_store_saves_lists_renames_and_deletes(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    cid = store.create("  How are the MICs\nfunded?  " + "x" * 200)
    store.save_turn(cid, 0, {"question": "How?", "status": "done", "answer": _answer(), "error": None})
    store.save_turn(cid, 1, {"question": "And then?", "status": "running", "answer": None, "error": None})
    (info,) = store.list()
    assert info.id == cid and info.turns == 2 and info.title.startswith("How are the MICs funded?")
    assert len(info.title) <= 80 and "\n" not in info.title
    turns = store.load(cid)
    assert turns[0]["answer"] == _answer()
    assert turns[1]["status"] == "running"  # never re-asked behind the user's back: "Try again" is offered
    store.rename(cid, "Funding")
    assert store.list()[0].title == "Funding"
    store.delete(cid)
    assert store.list() == [] and not store.exists(cid) and store.load(cid) == []
    assert (tmp_path / DB_NAME).is_file()


def test_a_damaged_answer_does_not_lose_the_conversation(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    cid = store.create("q")
    store.save_turn(cid, 0, {"question": "q", "status": "done", "answer": _answer(), "error": None})
    with sqlite3.connect(tmp_path / DB_NAME) as con:
        con.execute("UPDATE turns SET answer = '{not json'")
    (turn,) = store.load(cid)
    assert turn["status"] == "error" and "ask again" in turn["error"]


@pytest.mark.parametrize("name,clean", [("../../etc/passwd.txt", "passwd.txt"), ("My Report (v2).PDF", "My-Report-v2.pdf"),
                                        (".hidden.md", "hidden.md"), ("..\\\\x.txt", "x.txt")])
def test_upload_names_are_plain(name: str, clean: str) -> None:
    assert safe_name(name) == clean


def test_uploads_refuse_what_cannot_be_ingested(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_file_bytes=10)
    with pytest.raises(MicqaError, match="not a PDF, text or Markdown"):
        save_upload(settings, "x.exe", b"MZ")
    with pytest.raises(MicqaError, match="empty"):
        save_upload(settings, "x.txt", b"")
    with pytest.raises(MicqaError, match="larger than"):
        save_upload(settings, "x.txt", b"x" * 11)
    path = save_upload(settings, "notes.txt", b"fine")
    assert uploaded_files(settings) == [path] and path.parent == tmp_path / "uploads"
