"""`--history` files are bounded before they are parsed: size, nesting, turns, characters a turn.

Each case found by the outside test (issue 16) is reproduced: a file of 100,000 `[` then `]`, /dev/zero,
a 1 MB turn. Every outcome is one sentence on stderr and exit code 2; a property test feeds random
and adversarial files and allows only exit 0 (answered) or 2 (refused), never a traceback.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rag.settings import Settings
from ui.cli import _nests_deeper, app

from .conftest import ROOT

QUESTION = "Which city is it in?"
GOOD = [{"role": "user", "content": "When was the National Graphene Innovation Center set up?"},
        {"role": "assistant", "content": "It was set up in 2018."}]


def _ask(history: Path, *extra: str):
    return CliRunner().invoke(app, ["ask", QUESTION, "--history", str(history), *extra])


def _refused_in_one_sentence(res, *words: str) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_brackets_nested_100000_deep(tmp_path: Path) -> None:
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    _refused_in_one_sentence(_ask(f), "nests brackets deeper than 20 levels")


def test_dev_zero_is_read_at_most_cap_plus_one_bytes() -> None:
    msg = _refused_in_one_sentence(_ask(Path("/dev/zero")), "/dev/zero", "larger than 1 MB")
    assert msg.endswith(".")


def test_file_over_1_mb(tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    f.write_text(json.dumps([{"role": "user", "content": "x" * 1000}] * 1100))
    assert f.stat().st_size > 2**20
    _refused_in_one_sentence(_ask(f), "larger than 1 MB")


def test_a_1_mb_turn(tmp_path: Path) -> None:
    f = tmp_path / "turn.json"
    f.write_text(json.dumps([{"role": "user", "content": "A" * 1_000_000}]))
    _refused_in_one_sentence(_ask(f), "Turn 1", "1,000,000 characters", "10,000")


def test_too_many_turns(tmp_path: Path) -> None:
    f = tmp_path / "turns.json"
    f.write_text(json.dumps(GOOD * 101))
    _refused_in_one_sentence(_ask(f), "202 turns", "limit is 200")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", ("not valid JSON",)),
        (b'{"role": "user", "content": "hi"}', ("holds a JSON dict, not a list",)),
        (b'[{"role": "system", "content": "hi"}]', ("Turn 1", "not {")),
        (b'[{"role": "user", "content": 7}]', ("Turn 1",)),
        (b'[["user", "hi"]]', ("Turn 1",)),
        (b"[" + b"1" * 5000 + b"]", ("not usable JSON",)),  # more digits than Python converts
        ("[]".encode("utf-16"), ("not UTF-8",)),
        (b"\xff\xfe\x00garbage", ("not UTF-8",)),
        (b"", ("not valid JSON",)),
    ],
)
def test_malformed_files(content: bytes, words: tuple[str, ...], tmp_path: Path) -> None:
    f = tmp_path / "h.json"
    f.write_bytes(content)
    _refused_in_one_sentence(_ask(f), str(f), *words)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    _refused_in_one_sentence(_ask(tmp_path), "Is a directory")
    _refused_in_one_sentence(_ask(tmp_path / "nope.json"), "No such file")


def test_depth_check_ignores_brackets_inside_strings() -> None:
    deep_text = json.dumps([{"role": "user", "content": "[" * 500 + '\\"{' * 50}])
    assert not _nests_deeper(deep_text, 20)
    assert _nests_deeper("[" * 21 + "]" * 21, 20)
    assert not _nests_deeper("[" * 20 + "]" * 20, 20)
    assert _nests_deeper('"unterminated' + "[" * 30, 20) is False  # inside a string that never closes


def test_depth_check_is_linear_on_escaped_quotes() -> None:
    """A string of escaped quotes with no end must not make the scan quadratic."""
    import time

    text = '"' + '\\"' * 400_000 + "\\"
    t0 = time.perf_counter()
    _nests_deeper(text, 20)
    assert time.perf_counter() - t0 < 2.0


def test_read_as_never_exceeds_the_question_cap(fake_index) -> None:
    """A huge earlier turn (trimmed by the API) must not become a 10,000-character standalone question."""
    from rag.api import ask, get_engine
    from rag.records import Turn

    s, emb = fake_index
    eng = get_engine(s, embedder=emb)
    for content in ("A" * 9_990, "Tell me about " + "Beijing Shanghai " * 600 + "?", "x" * 1_000_000):
        ans = ask(QUESTION, [Turn("user", content)], s, engine=eng)
        assert len(ans.standalone_question) <= s.max_question_chars, len(ans.standalone_question)


# ------------------------------------------------------------------ answered with a real index


@pytest.fixture
def real_env(real_index, monkeypatch) -> Settings:
    monkeypatch.setenv("MICQA_DATA_DIR", str(real_index.data_dir))
    return real_index


@pytest.mark.slow
def test_a_good_history_is_answered(real_env, tmp_path: Path) -> None:
    f = tmp_path / "h.json"
    f.write_text(json.dumps(GOOD), encoding="utf-8-sig")  # a BOM is accepted
    res = _ask(f, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "National Graphene Innovation Center" in out["standalone_question"]


def _json_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50)
    return st.recursive(scalars, lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=8), kids,
                                                                                           max_size=5), max_leaves=30)


def _turns():
    role = st.sampled_from(["user", "assistant", "system", "", "USER"]) | st.text(max_size=5)
    content = st.text(max_size=300) | st.integers() | st.none() | st.lists(st.text(max_size=5), max_size=3)
    turn = st.fixed_dictionaries({"role": role, "content": content}) | _json_values()
    return st.lists(turn, max_size=8)


@st.composite
def history_files(draw) -> bytes:
    kind = draw(st.sampled_from(["turns", "value", "bytes", "nesting", "size", "encoding", "long_turn"]))
    if kind == "turns":
        return json.dumps(draw(_turns())).encode()
    if kind == "value":
        return json.dumps(draw(_json_values())).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "nesting":
        opener = draw(st.sampled_from(["[", "{", '{"a":', "[{", '["', "[1,"]))
        n = draw(st.integers(0, 200_000))
        closer = draw(st.sampled_from(["]", "}", "", "]}"]))
        return (opener * n + closer * draw(st.integers(0, n))).encode()
    if kind == "size":
        n = draw(st.integers(2**20 - 200, 2**20 + 200))
        return (b'[{"role": "user", "content": "' + b"y" * n + b'"}]')[: draw(st.integers(0, n + 40))]
    if kind == "encoding":
        enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252"]))
        text = json.dumps(draw(_turns()), ensure_ascii=draw(st.booleans()))
        return text.encode(enc, errors="replace")
    n = draw(st.integers(9_990, 10_010))
    return json.dumps([{"role": "user", "content": draw(st.sampled_from(["a", "É", "🙂", " "])) * n}]).encode()


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                    HealthCheck.function_scoped_fixture])
@given(blob=history_files())
def test_any_history_file_is_answered_or_refused_in_one_sentence(real_env, blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "history.json"
        f.write_bytes(blob)
        res = _ask(f)
    assert res.exit_code in (0, 2), (res.exit_code, res.output, repr(res.exception))
    event(f"exit {res.exit_code}")
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "history file" in lines[0], res.stderr
    else:
        assert res.stdout.strip()


# ------------------------------------------------------------------ real processes


def _limit_memory() -> None:
    # 3 GB of address space: plenty for micqa, far from the 23 GB the unbounded read reached
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.parametrize("which", ["deep", "zero"])
def test_real_process_one_sentence_exit_2(which: str, tmp_path: Path) -> None:
    if which == "deep":
        f = tmp_path / "deep.json"
        f.write_text("[" * 100_000 + "]" * 100_000)
    else:
        f = Path("/dev/zero")
    env = {**os.environ, "MICQA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "ui.cli", "ask", QUESTION, "--history", str(f)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert out.returncode == 2, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(f) in lines[0], out.stderr
    assert "Traceback" not in out.stderr and "Error" not in out.stderr


@pytest.mark.slow
def test_a_history_files_entities_resolve_the_follow_up(real_env, tmp_path: Path) -> None:
    # the assistant's text names no center: only the turn's entities say what "it" is
    turns = [{"role": "user", "content": "Which center works on graphene?"},
             {"role": "assistant", "content": "The one in Changzhou.", "entities": ["National Graphene Innovation Center"]}]
    f = tmp_path / "h.json"
    f.write_text(json.dumps(turns), encoding="utf-8")
    res = _ask(f, "--json")
    assert res.exit_code == 0, res.output
    assert "National Graphene Innovation Center" in json.loads(res.stdout)["standalone_question"]
