"""The pieces of `pollama run` that need no server: durations, stats, wrapping, images, history."""

from __future__ import annotations

import argparse
import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.api.duration import format_duration as go_duration
from pollama.cli.chat import RunOptions, chat_request
from pollama.cli.display import ResponseDisplay, WordWrapper, summary
from pollama.cli.images import extract_images
from pollama.cli.main import _fix_think_flag, parse_think
from pollama.cli.repl import PlainHistory, Repl
from pollama.cli.run import _one_shot
from pollama.prompt.gofmt import format_value

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(("ns", "text"), [
    (0, "0s"), (7, "7ns"), (1_500, "1.5µs"), (800_000, "800µs"), (12_300_000, "12.3ms"),
    (40_000_000, "40ms"), (999_999_999, "999.999999ms"), (1_000_000_000, "1s"), (1_234_567_000, "1.234567s"),
    (65_500_000_000, "1m5.5s"), (3_600_000_000_000, "1h0m0s"), (3_723_000_000_001, "1h2m3.000000001s"),
    (-1_500_000, "-1.5ms"),
])
def test_go_duration_matches_go(ns: int, text: str) -> None:
    assert go_duration(ns) == text


def test_summary_is_ollamas_verbose_block() -> None:
    final = {"total_duration": 1_200_000_000, "load_duration": 10_000_000, "prompt_eval_count": 26,
             "prompt_eval_duration": 40_000_000, "eval_count": 100, "eval_duration": 1_100_000_000}
    assert summary(final) == (
        "total duration:       1.2s\n"
        "load duration:        10ms\n"
        "prompt eval count:    26 token(s)\n"
        "prompt eval duration: 40ms\n"
        "prompt eval rate:     650.00 tokens/s\n"
        "eval count:           100 token(s)\n"
        "eval duration:        1.1s\n"
        "eval rate:            90.91 tokens/s\n"
    )
    assert summary({"eval_count": 3}) == "eval count:           3 token(s)\n"  # zero values are left out


def test_summary_shows_the_speculation_acceptance_rate() -> None:
    assert summary({"eval_count": 3, "draft_tokens": 8, "draft_accepted_tokens": 6}) == (
        "eval count:           3 token(s)\n"
        "draft tokens:         8 token(s), 6 accepted\n"
        "draft acceptance:     75.0%\n"
    )


def wrap(chunks: list[str], width: int | None) -> str:
    out: list[str] = []
    w = WordWrapper(out.append, width)
    for c in chunks:
        w.feed(c)
    w.flush()
    return "".join(out)


def test_wrap_never_splits_a_word_across_chunks() -> None:
    words = "the quick brown fox jumps over the lazy dog again and again until the end".split()
    # words arrive in pieces, as tokens do
    chunks = [p for i, w in enumerate(words) for p in ((" " + w[:2], w[2:]) if i else (w[:2], w[2:]))]
    text = wrap(chunks, 25)
    lines = text.split("\n")
    assert all(len(line) <= 20 for line in lines)  # Ollama stops 5 columns before the edge
    assert " ".join(line.strip() for line in lines) == " ".join(words)
    assert len(lines) > 3


def test_wrap_keeps_newlines_and_splits_only_overlong_words() -> None:
    assert wrap(["ab\ncd ef"], 40) == "ab\ncd ef"
    assert wrap(["x" * 30], 20) == "x" * 15 + "\n" + "x" * 15
    assert wrap(["no wrapping at all " * 5], None) == "no wrapping at all " * 5


def test_wrap_counts_wide_characters_double() -> None:
    text = wrap(["日本語" * 10], 20)
    assert all(len(line) * 2 <= 15 for line in text.split("\n"))
    assert text.replace("\n", "") == "日本語" * 10


def test_display_thinking_block_plain_when_not_a_terminal() -> None:
    out = io.StringIO()
    d = ResponseDisplay(out, word_wrap=True)
    d.add(thinking="let me see")
    d.add(thinking=" more")
    d.add(content="The answer.")
    d.finish()
    assert out.getvalue() == "Thinking...\nlet me see more\n...done thinking.\n\nThe answer."


def test_display_hides_thinking() -> None:
    out = io.StringIO()
    d = ResponseDisplay(out, word_wrap=False, hide_thinking=True)
    d.add(thinking="secret")
    d.add(content="visible")
    d.finish()
    assert out.getvalue() == "visible"


def test_parse_think_values() -> None:
    assert parse_think(None) is None
    assert parse_think("true") is True and parse_think("") is True
    assert parse_think("false") is False
    assert parse_think("high") == "high"
    with pytest.raises(ValueError, match='invalid value for --think: "loud"'):
        parse_think("loud")


def test_bare_think_gives_the_word_back_to_the_prompt() -> None:
    args = argparse.Namespace(think="why", prompt=["is", "the", "sky", "blue"])
    _fix_think_flag(args, ["pollama", "run", "m", "--think", "why", "is", "the", "sky", "blue"])
    assert args.think == "true" and args.prompt == ["why", "is", "the", "sky", "blue"]
    args = argparse.Namespace(think="blue", prompt=["why", "is"])
    _fix_think_flag(args, ["pollama", "run", "m", "why", "--format", "json", "is", "--think", "blue"])
    assert args.prompt == ["why", "is", "blue"]
    args = argparse.Namespace(think="loud", prompt=["hi"])
    _fix_think_flag(args, ["pollama", "run", "m", "--think=loud", "hi"])
    assert args.think == "loud"  # explicit value: left for parse_think to reject


def test_chat_request_carries_session_settings() -> None:
    opts = RunOptions(model="m", messages=[{"role": "user", "content": "hi"}], format="json",
                      options={"temperature": 0.2}, keep_alive="10m", think="low")
    assert chat_request(opts) == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "format": "json",
                                  "options": {"temperature": 0.2}, "keep_alive": "10m", "think": "low"}
    schema = RunOptions(model="m", format='{"type": "object"}')
    assert chat_request(schema)["format"] == {"type": "object"}
    assert set(chat_request(RunOptions(model="m"))) == {"model", "messages"}


def test_extract_images_quoted_unquoted_and_escaped(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "my pic.JPG").write_bytes(JPEG)
    err = io.StringIO()
    text, images = extract_images(f"what is in {tmp_path}/a.png and '{tmp_path}/my pic.JPG'?", err)
    assert text == "what is in  and ?"
    assert [base64.b64decode(i) for i in images] == [PNG, JPEG]
    assert f"Added image '{tmp_path}/a.png'" in err.getvalue()
    text, images = extract_images(f"look: {tmp_path}/my\\ pic.JPG", io.StringIO())
    assert text == "look:" and len(images) == 1


def test_extract_images_leaves_missing_files_and_rejects_non_images(tmp_path: Path) -> None:
    text, images = extract_images("see /nonexistent/x.png now", io.StringIO())
    assert text == "see /nonexistent/x.png now" and images == []
    (tmp_path / "fake.png").write_text("not an image")
    err = io.StringIO()
    with pytest.raises(ValueError):
        extract_images(f"{tmp_path}/fake.png", err)
    assert "Couldn't process image" in err.getvalue()


def test_extract_images_finds_the_real_path_inside_a_greedy_match(tmp_path: Path) -> None:
    (tmp_path / "b.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16)
    text, images = extract_images(f"compare and/or contrast {tmp_path}/b.webp", io.StringIO())
    assert text == "compare and/or contrast" and len(images) == 1


def test_history_file_is_ollamas_plain_format(tmp_path: Path) -> None:
    path = tmp_path / ".ollama" / "history"
    h = PlainHistory(path)
    for i in range(105):
        h.store_string(f"line {i}")
    lines = path.read_text().splitlines()
    assert len(lines) == 100 and lines[0] == "line 5" and lines[-1] == "line 104"
    assert path.stat().st_mode & 0o777 == 0o600
    again = PlainHistory(path)
    assert list(again.load_history_strings())[:2] == ["line 104", "line 103"]


def test_disabled_history_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "history"
    h = PlainHistory(path, enabled=False)
    h.store_string("secret")
    assert not path.exists()
    h.enabled = True
    h.store_string("public")
    assert path.read_text() == "secret\npublic\n"  # Ollama keeps the in-memory entries and saves them all


def test_go_value() -> None:
    assert [format_value(v) for v in (True, 0.7, 1.0, 1e6, 5, ["a", "b"], "x")] == \
        ["true", "0.7", "1", "1e+06", "5", "[a b]", "x"]  # Go's %v of float32(1e6), as Ollama's REPL prints it


class FakeClient:
    """Stands in for the server: records each streamed request, answers with one fixed chunk."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []

    def stream(self, path: str, body: dict) -> Iterator[dict]:
        self.requests.append((path, json.loads(json.dumps(body))))
        yield {"message": {"role": "assistant", "content": "a cat"}, "done": True}

    def json(self, method: str, path: str, body: dict) -> dict:
        self.requests.append((path, json.loads(json.dumps(body))))
        return {"parameters": 'num_ctx                        2048'}


def test_show_parameters_prints_user_values_as_go_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Ollama's REPL holds float parameters as float32 and prints them with %v: 1e+06, -0."""
    monkeypatch.setenv("HOME", str(tmp_path))
    repl = Repl(FakeClient(), RunOptions(model="m"), no_history=True)  # type: ignore[arg-type]
    for line in ("temperature 1000000", "top_p -0", "min_p 0.1234567891", "seed 42", "stop a b"):
        repl.handle(f"/set parameter {line}")
    capsys.readouterr()
    repl.handle("/show parameters")
    assert capsys.readouterr().out == (
        "Model defined parameters:\n  num_ctx                        2048\n\nUser defined parameters:\n"
        "  temperature                    1e+06\n  top_p                          -0\n"
        "  min_p                          0.12345679\n  seed                           42\n"
        "  stop                           [a b]\n\n")


def test_one_shot_attaches_images_for_a_vision_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)
    client = FakeClient()
    opts = RunOptions(model="llava", multimodal=True, prompt=f"what is in {tmp_path}/cat.png?")
    assert _one_shot(client, opts) == 0  # type: ignore[arg-type]
    (path, body), = client.requests
    assert path == "/api/chat" and body["messages"] == [
        {"role": "user", "content": "what is in ?", "images": [base64.b64encode(PNG).decode()]}]
    out = capsys.readouterr()
    assert out.out == "a cat\n\n" and f"Added image '{tmp_path}/cat.png'" in out.err


def test_one_shot_refuses_a_file_that_is_not_an_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fake.png").write_text("just text")
    client = FakeClient()
    opts = RunOptions(model="llava", multimodal=True, prompt=f"look {tmp_path}/fake.png")
    assert _one_shot(client, opts) == 1  # type: ignore[arg-type]
    assert client.requests == []  # nothing was sent
    assert f"Error: invalid image type: {tmp_path}/fake.png" in capsys.readouterr().err


def test_repl_line_starting_with_an_image_path_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cat.png").write_bytes(PNG)
    client = FakeClient()
    repl = Repl(client, RunOptions(model="llava", multimodal=True), no_history=True)  # type: ignore[arg-type]
    repl.handle(f"{tmp_path}/cat.png what is this?")
    (_, body), = client.requests
    assert body["messages"] == [{"role": "user", "content": "what is this?", "images": [base64.b64encode(PNG).decode()]}]
    assert repl.opts.messages[-1] == {"role": "assistant", "content": "a cat"}
    repl.handle("/?")
    assert "Use /path/to/file to include .jpg, .png, or .webp images." in capsys.readouterr().err
    repl.handle(f"{tmp_path}/missing.png what is this?")  # no such file: an unknown command, as in Ollama
    assert capsys.readouterr().out.strip() == f"Unknown command '{tmp_path}/missing.png'. Type /? for help"
    assert len(client.requests) == 1
