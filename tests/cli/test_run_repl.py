"""`pollama run` as a person uses it: one-shot answers, and the REPL driven in a pseudo-terminal,
all against the real server with a tiny random-weight model (greedy, so answers are reproducible)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
from model_upload import create_from_gguf, upload_blob
from PIL import Image
from server_proc import Server, ServerFactory

GREEDY = {"temperature": 0, "num_predict": 12, "seed": 7}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SPINNER = re.compile(r"\r?[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] ")


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    s = module_server({"OLLAMA_NUM_PARALLEL": "1"})
    with s.client() as c:
        create_from_gguf(c, "tiny", tiny_llama, parameters=GREEDY)
        r = c.post("/api/create", json={"model": "tiny-long", "from": "tiny", "stream": False,
                                        "parameters": {"num_predict": 100000, "num_ctx": 32768}})
        assert r.status_code == 200, r.text
    return s


# A thinking template: the prompt opens the block, and the closing tag is a word the greedy model is known
# to write, so one answer carries both thinking and content (tags are read from around {{ .Thinking }}).
THINK_TEMPLATE = ("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ if .Thinking }}<t>{{ .Thinking }}CLOSE{{ end }}"
                  "{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n{{ if .Think }}<t>{{ end }}")


@pytest.fixture(scope="module")
def thinker(srv: Server) -> str:
    """A model that thinks, then answers: its thinking and its content are both non-empty."""
    hi = [{"role": "user", "content": "hi"}]
    with srv.client() as c:
        r = c.post("/api/create", json={"model": "think0", "from": "tiny", "stream": False,
                                        "template": THINK_TEMPLATE.replace("CLOSE", "</t>")})
        assert r.status_code == 200, r.text
        thought = c.post("/api/chat", json={"model": "think0", "stream": False, "messages": hi}).json()
        words = thought["message"]["thinking"].split(" ")
        close = next(w for w in words[3:] if w.isalpha() and len(w) > 3)
        r = c.post("/api/create", json={"model": "thinker", "from": "tiny", "stream": False,
                                        "template": THINK_TEMPLATE.replace("CLOSE", close)})
        assert r.status_code == 200, r.text
        assert "thinking" in c.post("/api/show", json={"model": "thinker"}).json()["capabilities"]
    return "thinker"


def api_message(srv: Server, messages: list[dict], model: str, **body: object) -> dict:
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": model, "messages": messages, "stream": False, **body})
    assert r.status_code == 200, r.text
    message = r.json()["message"]
    return message


def api_answer(srv: Server, messages: list[dict], model: str = "tiny") -> str:
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": model, "messages": messages, "stream": False})
    assert r.status_code == 200, r.text
    return r.json()["message"]["content"]


def env_for(srv: Server, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OLLAMA_NOHISTORY"}
    # a pty does not answer cursor-position requests the way a terminal does: without this prompt_toolkit
    # waits a second for the answer after every line
    return {**env, "OLLAMA_HOST": srv.url, "HOME": str(home), "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1", **extra}


def clean(text: str) -> str:
    return SPINNER.sub("", ANSI.sub("", text)).replace("\r", "")


class Repl:
    """A `pollama run` child in a pty, with helpers that read between prompts."""

    def __init__(self, srv: Server, home: Path, *args: str, width: int = 100, **env: str) -> None:
        self.child = pexpect.spawn(sys.executable, ["-m", "pollama", "run", *args], env=env_for(srv, home, **env),
                                   encoding="utf-8", timeout=60, dimensions=(40, width))
        self.intro = self.prompt()

    def prompt(self, timeout: float = 60) -> str:
        """Wait for the next prompt (`>>> ` or `... `); the text printed before it (escapes stripped)."""
        self.child.expect_exact("\x1b[?2004h", timeout=timeout)  # prompt_toolkit starts reading a line
        self.raw = self.child.before
        before = clean(self.raw)
        self.last_prompt = (">>> ", "... ")[self.child.expect_exact([">>> ", "... "], timeout=timeout)]
        return before

    def send(self, line: str, timeout: float = 60) -> str:
        """Type a line and Enter; what the program printed in response, up to the next prompt."""
        self.child.sendline(line)
        self.child.expect_exact("\x1b[?2004l", timeout=timeout)  # the line was accepted
        return self.prompt(timeout)

    def bye(self) -> int:
        self.child.sendline("/bye")
        self.child.expect(pexpect.EOF, timeout=30)
        self.child.close()
        return self.child.exitstatus


def test_one_shot_prompt_argument(srv: Server, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "why", "is", "the", "sky", "blue?"],
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    expected = api_answer(srv, [{"role": "user", "content": "why is the sky blue?"}])
    assert expected.strip() and r.stdout == expected + "\n\n"


def test_piped_stdin_is_prepended_to_the_prompt(srv: Server, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "summarize", "this"], input="some notes",
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == api_answer(srv, [{"role": "user", "content": "some notes\n\nsummarize this"}]) + "\n\n"
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny"], input="only stdin",
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.stdout == api_answer(srv, [{"role": "user", "content": "only stdin"}]) + "\n\n"


def test_one_shot_verbose_prints_stats_and_unknown_model_is_an_error(srv: Server, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "--verbose", "hello"],
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    stats = dict(line.split(":", 1) for line in r.stderr.splitlines() if ":" in line)
    assert re.fullmatch(r" +\d+ token\(s\)", stats["eval count"])
    assert re.fullmatch(r" +\d+\.\d\d tokens/s", stats["eval rate"])
    assert re.fullmatch(r" +[\d.]+(ns|µs|ms|s)", stats["total duration"])
    assert "prompt eval count" in stats
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "no-such-model", "hi"],
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    # /api/show 404 -> pull (its progress on stderr) -> its error
    assert r.returncode == 1 and r.stderr.splitlines()[-1].startswith("Error: pull model manifest: ")
    assert r.stdout == ""


def test_interactive_conversation_remembers_earlier_turns(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny", "--nowordwrap")
    repl.child.expect_exact("Send a message (/? for help)")  # the placeholder
    first = repl.send("hello there")
    a1 = api_answer(srv, [{"role": "user", "content": "hello there"}])
    assert first.endswith(a1 + "\n\n")
    second = repl.send("and then?")
    a2 = api_answer(srv, [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": a1},
                          {"role": "user", "content": "and then?"}])
    assert second.endswith(a2 + "\n\n")
    assert repl.send("/clear").strip() == "Cleared session context"
    third = repl.send("and then?")
    assert third.endswith(api_answer(srv, [{"role": "user", "content": "and then?"}]) + "\n\n")
    assert repl.bye() == 0


def test_multiline_message(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny", "--nowordwrap")
    assert repl.send('"""first line') == "" and repl.last_prompt == "... "
    assert repl.send("second line") == "" and repl.last_prompt == "... "
    out = repl.send('third"""')
    assert repl.last_prompt == ">>> "
    assert out.endswith(api_answer(srv, [{"role": "user", "content": "first line\nsecond line\nthird"}]) + "\n\n")
    out = repl.send('"""one-liner"""')
    assert "one-liner" not in out.split("\n", 1)[1]
    assert repl.bye() == 0


def test_set_parameter_and_show_parameters(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny")
    assert repl.send("/set parameter num_predict 3").strip() == "Set parameter 'num_predict' to '3'"
    assert repl.send("/set parameter stop foo bar").strip() == "Set parameter 'stop' to 'foo, bar'"
    out = repl.send("/set parameter temperature hot")
    assert out.strip().startswith("Couldn't set parameter:")
    shown = repl.send("/show parameters")
    assert "Model defined parameters:" in shown
    assert re.search(r"^  temperature +0", shown.split("User defined")[0], re.M)  # the model's own
    user = shown.split("User defined parameters:", 1)[1]
    assert re.search(r"^  num_predict {20}3$", user, re.M) and re.search(r"^  stop {27}\[foo bar\]$", user, re.M)
    answer = repl.send("count to ten")  # num_predict 3 now applies to the chat
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": "tiny", "stream": False, "options": {"num_predict": 3,
                                      "stop": ["foo", "bar"]}, "messages": [{"role": "user", "content": "count to ten"}]})
    assert r.json()["eval_count"] <= 3
    assert answer.endswith(r.json()["message"]["content"] + "\n\n")
    assert repl.bye() == 0


def test_set_system_save_and_load(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny")
    assert repl.send("/show system").strip() == "No system message was specified for this model."
    assert repl.send("/set system You are a pirate.").strip() == "Set system message."
    assert repl.send("/show system").strip() == "You are a pirate."
    answer = repl.send("ahoy")
    assert answer.strip()
    assert repl.send("/save pirate").strip() == "Created new model 'pirate'"
    with srv.client() as c:
        saved = c.post("/api/show", json={"model": "pirate"}).json()
    assert saved["system"] == "You are a pirate."
    assert [m["role"] for m in saved["messages"]][-2:] == ["user", "assistant"]
    assert saved["messages"][-2]["content"] == "ahoy"
    assert repl.send("/load tiny").strip() == "Loading model 'tiny'"
    assert repl.send("/show system").strip() == "No system message was specified for this model."
    assert repl.send("/load pirate").strip() == "Loading model 'pirate'"
    assert repl.send("/show system").strip() == "You are a pirate."
    assert repl.send("/load nothing-here").strip().endswith("Couldn't find model 'nothing-here'")
    assert repl.send("/show system").strip() == "You are a pirate."  # still on the model that was loaded
    # saving a session of a saved session keeps the whole conversation, each turn once
    more = repl.send("and more")
    assert repl.send("/save pirate2").strip() == "Created new model 'pirate2'"
    with srv.client() as c:
        saved2 = c.post("/api/show", json={"model": "pirate2"}).json()
    assert saved2["system"] == "You are a pirate."
    turns = [m for m in saved2["messages"] if m["role"] != "system"]
    assert [(m["role"], m["content"]) for m in turns[::2]] == [("user", "ahoy"), ("user", "and more")]
    assert [m["content"] + "\n\n" for m in turns[1::2]] == [answer, more]
    assert repl.bye() == 0
    again = Repl(srv, tmp_path, "pirate")  # a saved session shows its conversation first
    assert again.intro == ">>> ahoy\n" + answer
    assert again.bye() == 0


def test_saved_session_replays_its_conversation(srv: Server, tmp_path: Path) -> None:
    with srv.client() as c:
        r = c.post("/api/create", json={"model": "chatty", "from": "tiny", "stream": False, "messages": [
            {"role": "user", "content": "remember the word plum"}, {"role": "assistant", "content": "plum noted"}]})
        assert r.status_code == 200, r.text
    repl = Repl(srv, tmp_path, "chatty")
    assert repl.intro == ">>> remember the word plum\nplum noted\n\n"
    assert repl.bye() == 0


def test_ctrl_c_stops_a_long_answer_and_the_session_goes_on(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny-long", "--nowordwrap")
    repl.child.sendline("tell me everything")
    repl.child.expect_exact("\x1b[?2004l")
    repl.child.expect(r"\S{3}", timeout=60)  # the answer is streaming
    started = time.monotonic()
    repl.child.sendcontrol("c")
    repl.prompt(timeout=10)
    assert time.monotonic() - started < 10
    # the server stopped generating: with one slot, a still-running answer would block this one
    repl.send("/set parameter num_predict 4")
    t0 = time.monotonic()
    out = repl.send("short one", timeout=30)
    assert time.monotonic() - t0 < 30 and out.strip()
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": "tiny-long", "stream": False, "options": {"num_predict": 4},
                                      "messages": [{"role": "user", "content": "short one"}]})
    assert out.endswith(r.json()["message"]["content"] + "\n\n")  # the stopped turn was dropped
    assert repl.bye() == 0


def test_ctrl_c_and_ctrl_d_at_the_prompt(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny")
    repl.child.sendcontrol("c")
    repl.child.expect_exact("Use Ctrl + d or /bye to exit.")
    repl.prompt()
    repl.child.send("half typed")
    repl.child.sendcontrol("c")
    out = repl.prompt()
    assert "Use Ctrl + d" not in out
    repl.child.sendcontrol("d")
    repl.child.expect(pexpect.EOF, timeout=30)
    repl.child.close()
    assert repl.child.exitstatus == 0


def test_history_file_and_nohistory(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny")
    repl.send("/show license")
    repl.send("/set nohistory")
    repl.send("/show template")
    assert repl.bye() == 0
    history = (tmp_path / ".ollama" / "history").read_text().splitlines()
    assert history == ["/show license", "/set nohistory"]

    repl = Repl(srv, tmp_path, "tiny", OLLAMA_NOHISTORY="1")
    repl.child.send("\x1b[A")  # up arrow recalls the saved history
    repl.child.expect_exact("/set nohistory")
    repl.child.sendcontrol("u")
    repl.send("/show modelfile")
    assert repl.bye() == 0
    assert "/show modelfile" not in (tmp_path / ".ollama" / "history").read_text()


def test_commands_help_unknown_and_set_modes(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny")
    assert repl.send("/foo").strip() == "Unknown command '/foo'. Type /? for help"
    assert repl.send("/set bogus").strip() == "Unknown command '/set bogus'. Type /? for help"
    assert repl.send("/show bogus").strip() == "Unknown command '/show bogus'. Type /? for help"
    assert 'Use """ to begin a multi-line message.' in repl.send("/?")
    assert "/set parameter ...     Set a parameter" in repl.send("/help set")
    assert "/show modelfile    Show Modelfile for this model" in repl.send("/? show")
    assert "Ctrl + d            Exit" in repl.send("/? shortcuts")
    assert repl.send("/set format json").strip() == "Set format to 'json' mode."
    assert repl.send("/set format xml").strip() == "Invalid or missing format. For 'json' mode use '/set format json'"
    assert repl.send("/set noformat").strip() == "Disabled format."
    assert repl.send("/set nowordwrap").strip() == "Set 'nowordwrap' mode."
    assert repl.send("/set quiet").strip() == "Set 'quiet' mode."
    out = repl.send("/set think")
    assert "does not support thinking" in out and "Set 'think' mode." in out
    out = repl.send("hi")
    assert "error:" in out and "does not support thinking" in out
    assert repl.send("/set nothink").strip().endswith("Set 'nothink' mode.")
    info = repl.send("/show info")
    assert "architecture" in info and "llama" in info
    assert "No license was specified for this model." in repl.send("/show license")
    assert "FROM " in repl.send("/show modelfile")
    assert repl.bye() == 0


def test_verbose_and_word_wrap_in_the_repl(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny", "--verbose", width=30)
    repl.send("/set parameter num_predict 40")
    out = repl.send("write a long sentence")
    assert re.search(r"^eval count: +\d+ token\(s\)$", out, re.M)
    assert re.search(r"^eval rate: +\d+\.\d\d tokens/s$", out, re.M)
    answer = out.split("total duration:")[0]
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": "tiny", "stream": False, "options": {"num_predict": 40},
                                      "messages": [{"role": "user", "content": "write a long sentence"}]})
    expected = r.json()["message"]["content"]
    assert max(len(line) for line in expected.split("\n")) > 25  # long enough that wrapping matters
    assert all(len(line) <= 25 for line in answer.split("\n"))
    assert "".join(answer.split()) == "".join(expected.split())  # wrapping changes only the line breaks
    assert repl.send("/set quiet").strip() == "Set 'quiet' mode."
    assert "total duration" not in repl.send("again")
    assert repl.send("/set nowordwrap").strip() == "Set 'nowordwrap' mode."
    repl.send("/clear")
    assert repl.send("write a long sentence").endswith(expected + "\n\n")  # not a line break added
    assert repl.bye() == 0


def test_keepalive_and_format_reach_the_server(srv: Server, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "--keepalive", "90s", "--format", "json",
                        "give json"], env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with srv.client() as c:
        ps = {m["name"]: m for m in c.get("/api/ps").json()["models"]}
        forced = c.post("/api/chat", json={"model": "tiny", "stream": False, "format": "json",
                                           "messages": [{"role": "user", "content": "give json"}]}).json()
    assert r.stdout == forced["message"]["content"] + "\n\n"
    left = dt.datetime.fromisoformat(ps["tiny:latest"]["expires_at"]) - dt.datetime.now(dt.UTC)
    assert 0 < left.total_seconds() <= 90  # keep_alive 90s, not the default 5m
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "--keepalive", "soon", "hi"],
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "invalid duration" in r.stderr


def test_server_unreachable(tmp_path: Path) -> None:
    env = {**os.environ, "OLLAMA_HOST": "127.0.0.1:9", "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", "hi"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and "could not connect" in r.stderr



def thinking_block(message: dict) -> str:
    """What `run` prints for an answer; the block is closed only when content follows, as in Ollama."""
    if not message["content"]:
        return f"Thinking...\n{message['thinking']}"
    return f"Thinking...\n{message['thinking']}\n...done thinking.\n\n{message['content']}"


def test_thinking_display_in_the_repl(srv: Server, thinker: str, tmp_path: Path) -> None:
    hi = [{"role": "user", "content": "hi"}]
    reply = api_message(srv, hi, thinker)
    assert reply["thinking"].strip() and reply["content"].strip()
    repl = Repl(srv, tmp_path, thinker, "--nowordwrap")  # a thinking model thinks without being asked
    out = repl.send("hi")
    assert out.endswith(thinking_block(reply) + "\n\n")
    grey, bold = "\x1b[38;5;245m", "\x1b[1m"  # in a terminal the thinking is grey, its frame bold grey
    assert f"{grey}{bold}Thinking...\n" in repl.raw.replace("\r", "")
    assert f"{grey}{bold}...done thinking.\n\n" in repl.raw.replace("\r", "")
    # the next turn carries the thinking of the last one back to the model
    more = [*hi, {"role": "assistant", "content": reply["content"], "thinking": reply["thinking"]},
            {"role": "user", "content": "more"}]
    assert repl.send("more").endswith(thinking_block(api_message(srv, more, thinker)) + "\n\n")
    assert repl.send("/clear").strip() == "Cleared session context"
    assert repl.send("/set nothink").strip() == "Set 'nothink' mode."  # no warning: the model can think
    plain = api_message(srv, hi, thinker, think=False)
    out = repl.send("hi")
    assert "Thinking..." not in out and out.endswith(plain["content"] + "\n\n")
    assert repl.send("/clear").strip() == "Cleared session context"
    assert repl.send("/set think high").strip() == "Set 'think' mode to 'high'."
    assert repl.send("hi").endswith(thinking_block(reply) + "\n\n")
    assert repl.bye() == 0


def test_think_flags_one_shot(srv: Server, thinker: str, tmp_path: Path) -> None:
    hi = [{"role": "user", "content": "hi"}]
    reply = api_message(srv, hi, thinker)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pollama", "run", *args], env=env_for(srv, tmp_path),
                              capture_output=True, text=True, timeout=120)

    r = run(thinker, "hi")  # not a terminal: the same block, without colours
    assert r.returncode == 0 and r.stdout == thinking_block(reply) + "\n\n"
    r = run(thinker, "--think=high", "hi")
    assert r.returncode == 0 and r.stdout == thinking_block(reply) + "\n\n"
    r = run(thinker, "--hidethinking", "hi")  # still thinks, shows only the answer
    assert r.returncode == 0 and r.stdout == reply["content"] + "\n\n"
    r = run(thinker, "--think=false", "hi")
    assert r.returncode == 0 and r.stdout == api_message(srv, hi, thinker, think=False)["content"] + "\n\n"
    r = run(thinker, "--think", "hi")  # a bare --think leaves the next word to the prompt
    assert r.returncode == 0 and r.stdout == thinking_block(reply) + "\n\n"
    r = run(thinker, "--think=loud", "hi")
    assert r.returncode == 1
    assert r.stderr == 'Error: invalid value for --think: "loud" (must be true, false, high, medium, or low)\n'
    r = run("tiny", "--think", "hi")  # asked to think, the model cannot: the server's error
    assert r.returncode == 1 and r.stderr == 'Error: "tiny" does not support thinking\n'


def test_command_usage_bad_names_and_multiline_system(srv: Server, tmp_path: Path) -> None:
    manifests = sorted(p for p in (srv.models / "manifests").rglob("*") if p.is_file())
    repl = Repl(srv, tmp_path, "tiny")
    assert repl.send("/save").strip() == "Usage:\n  /save <modelname>"
    assert repl.send("/load a b").strip() == "Usage:\n  /load <modelname>"
    assert repl.send("/save Bad:Name:x").strip() == "error: The model name 'Bad:Name:x' is invalid"
    assert repl.send("/save a/b/c/d/e").strip() == "error: The model name 'a/b/c/d/e' is invalid"
    assert sorted(p for p in (srv.models / "manifests").rglob("*") if p.is_file()) == manifests  # nothing made
    assert "/show modelfile    Show Modelfile" in repl.send("/show")
    assert "/set parameter num_ctx <int>" in repl.send("/set parameter seed")
    assert "/set system <string>" in repl.send("/set")
    assert repl.send("/set history").strip() == ""
    assert repl.send("/set verbose").strip() == "Set 'verbose' mode."
    assert repl.send("/set wordwrap").strip() == "Set 'wordwrap' mode."
    assert repl.send('/set system """You are') == "" and repl.last_prompt == "... "
    assert repl.send("  a pirate.") == "" and repl.last_prompt == "... "
    assert repl.send('Say arr."""').strip() == "Set system message."
    assert repl.last_prompt == ">>> "
    assert repl.send("/show system").strip() == "You are\n  a pirate.\nSay arr."
    assert repl.send('/set system """one line"""').strip() == "Set system message."
    assert repl.send("/show system").strip() == "one line"
    assert repl.bye() == 0


def test_image_paths_for_a_model_without_vision(srv: Server, tmp_path: Path) -> None:
    png = tmp_path / "cat.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    # Ollama attaches images only for vision models; for others the path is just text
    r = subprocess.run([sys.executable, "-m", "pollama", "run", "tiny", f"what is in {png}"],
                       env=env_for(srv, tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Added image" not in r.stderr
    assert r.stdout == api_answer(srv, [{"role": "user", "content": f"what is in {png}"}]) + "\n\n"
    repl = Repl(srv, tmp_path, "tiny")
    assert repl.send(f"{png} what is this").strip() == f"Unknown command '{png}'. Type /? for help"
    assert "Use /path/to/file to include" not in repl.send("/?")
    assert repl.bye() == 0


def test_ctrl_g_edits_the_line_in_ollama_editor(srv: Server, tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor"  # what a person would do in vi: rewrite the draft
    editor.write_text('#!/bin/sh\nprintf "edited: %s\\n\\n" "$(cat "$1")" > "$1"\n')
    editor.chmod(0o755)
    repl = Repl(srv, tmp_path, "tiny", OLLAMA_EDITOR=str(editor), EDITOR="/bin/false")
    repl.child.send("a draft")
    repl.child.sendcontrol("g")
    repl.child.expect(r"edited:(\x1b\[C| )a draft")  # back in the line (a space drawn as a cursor move), not sent
    answer = repl.send("")
    assert answer.strip() == api_answer(srv, [{"role": "user", "content": "edited: a draft"}]).strip()
    assert repl.bye() == 0
    assert (tmp_path / ".ollama" / "history").read_text().splitlines()[-2:] == ["edited: a draft", "/bye"]


def test_ctrl_g_with_a_missing_editor_says_so(srv: Server, tmp_path: Path) -> None:
    repl = Repl(srv, tmp_path, "tiny", OLLAMA_EDITOR="/no/such/editor --wait")
    repl.child.send("kept")
    repl.child.sendcontrol("g")
    repl.child.expect_exact('error: editor "/no/such/editor" not found, set OLLAMA_EDITOR to the path of your '
                            "preferred editor")
    repl.child.sendcontrol("u")
    assert repl.bye() == 0


def test_the_repl_attaches_image_files_for_a_vision_model(srv: Server, tmp_path: Path, vision_pair: Path) -> None:
    with srv.client() as c:
        files = {f.name: upload_blob(c, f) for f in (vision_pair / "model.gguf", vision_pair / "mmproj.gguf")}
        r = c.post("/api/create", json={"model": "seer", "files": files, "parameters": GREEDY, "stream": False})
        assert r.status_code == 200, r.text
    png = tmp_path / "red.png"
    Image.new("RGB", (24, 16), (230, 20, 20)).save(png)
    image = base64.b64encode(png.read_bytes()).decode()
    expected = api_answer(srv, [{"role": "user", "content": "what is this", "images": [image]}], model="seer")
    repl = Repl(srv, tmp_path, "seer")
    out = repl.send(f"{png} what is this")
    assert f"Added image '{png}'" in out
    assert " ".join(expected.split()) in " ".join(out.split())
    assert "Use /path/to/file to include" in repl.send("/?")
    assert repl.bye() == 0
