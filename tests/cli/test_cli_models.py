"""The CLI verbs for managing models, run as a user would against the real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server_proc import Server, free_port


def cli(server_url: str | None, *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if server_url:
        env["OLLAMA_HOST"] = server_url
    return subprocess.run([sys.executable, "-m", "pollama", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_version() -> None:
    r = cli(None, "--version")
    assert r.returncode == 0 and "pollama version is" in r.stdout


def test_no_server_is_a_clear_error() -> None:
    r = cli(f"127.0.0.1:{free_port()}", "list")
    assert r.returncode == 1
    assert "could not connect to pollama server" in r.stderr and "pollama serve" in r.stderr


def test_create_list_show_cp_rm(server: Server, smollm2: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "weights").mkdir()
    os.symlink(smollm2, work / "weights" / "smol.gguf")
    (work / "Modelfile").write_text(
        "# a comment\nFROM ./weights/smol.gguf\nPARAMETER temperature 0.3\nPARAMETER stop \"<|im_end|>\"\n"
        'SYSTEM """You answer\nin one sentence."""\nLICENSE "MIT"\n'
    )
    r = cli(server.url, "create", "terse", "-f", "Modelfile", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "success" in r.stdout

    r = cli(server.url, "list")
    assert r.returncode == 0, r.stderr
    header, *rows = r.stdout.strip().splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert rows[0].startswith("terse:latest") and "MB" in rows[0] and "ago" in rows[0]

    r = cli(server.url, "show", "terse")
    assert r.returncode == 0, r.stderr
    assert "architecture" in r.stdout and "llama" in r.stdout and "134.52M" in r.stdout
    assert "Q4_1" in r.stdout and "completion" in r.stdout
    r = cli(server.url, "show", "terse", "--system")
    assert r.stdout.strip() == "You answer\nin one sentence."
    r = cli(server.url, "show", "terse", "--parameters")
    assert "temperature" in r.stdout and "0.3" in r.stdout
    r = cli(server.url, "show", "terse", "--license")
    assert r.stdout.strip() == "MIT"
    r = cli(server.url, "show", "terse", "--modelfile")
    assert "FROM " in r.stdout and "PARAMETER temperature 0.3" in r.stdout

    # `pollama list | head`: the reader is gone before anything is written
    piped = subprocess.Popen([sys.executable, "-m", "pollama", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "OLLAMA_HOST": server.url})
    assert piped.stdout is not None and piped.stderr is not None
    piped.stdout.close()
    assert piped.stderr.read() == "" and piped.wait(60) == 0

    assert cli(server.url, "cp", "terse", "terse2").returncode == 0
    assert "terse2:latest" in cli(server.url, "list").stdout
    r = cli(server.url, "rm", "terse2")
    assert r.returncode == 0 and "deleted 'terse2'" in r.stdout
    assert "terse2" not in cli(server.url, "list").stdout

    r = cli(server.url, "show", "nope")
    assert r.returncode == 1 and "model 'nope' not found" in r.stderr
    r = cli(server.url, "create", "x", "-f", "missing-file")
    assert r.returncode == 1 and "Error:" in r.stderr


def test_show_modelfile_round_trips_and_home_paths(server: Server, smollm2: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    os.symlink(smollm2, home / "models" / "smol.gguf")
    (tmp_path / "Modelfile").write_text(
        "FROM ~/models/smol.gguf\nTEMPLATE \"\"\"{{ .System }}\nUSER: {{ .Prompt }}\"\"\"\nPARAMETER top_k 7\n"
        "PARAMETER stop \"USER:\"\nPARAMETER mirostat 2\nMESSAGE user hi\nMESSAGE assistant \"hello\nthere\"\n"
        "LICENSE MIT\nREQUIRES 0.14.0\n"
    )
    env_home = {**os.environ, "HOME": str(home), "OLLAMA_HOST": server.url}
    r = subprocess.run([sys.executable, "-m", "pollama", "create", "orig", "-f", str(tmp_path / "Modelfile")],
                       env=env_home, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "parameter mirostat is deprecated" in r.stderr  # the user sees the warning
    shown = cli(server.url, "show", "orig", "--modelfile").stdout
    assert "PARAMETER top_k 7" in shown and "mirostat" not in shown and "REQUIRES 0.14.0" in shown
    (tmp_path / "Modelfile2").write_text(shown)
    r = cli(server.url, "create", "again", "-f", str(tmp_path / "Modelfile2"))
    assert r.returncode == 0, r.stderr
    assert cli(server.url, "show", "again", "--modelfile").stdout.replace("again:latest", "orig:latest") == shown
    for flag in ("--template", "--parameters", "--license"):
        assert cli(server.url, "show", "again", flag).stdout == cli(server.url, "show", "orig", flag).stdout


def test_create_with_a_draft_file_and_show_it(server: Server, tiny_llama: Path, tmp_path: Path) -> None:
    # DRAFT naming a GGUF file: the CLI uploads it, the model stores it, show --modelfile lists it, and a
    # Modelfile naming a model as DRAFT works as well
    (tmp_path / "Modelfile").write_text(f"FROM {tiny_llama}\nDRAFT ./draft.gguf\nPARAMETER draft_max 8\n")
    os.symlink(tiny_llama, tmp_path / "draft.gguf")
    r = cli(server.url, "create", "drafted", "-f", "Modelfile", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    shown = cli(server.url, "show", "drafted", "--modelfile").stdout
    draft_line = next(line for line in shown.splitlines() if line.startswith("DRAFT "))
    assert Path(draft_line.split(" ", 1)[1]).name.startswith("sha256-") and "PARAMETER draft_max 8" in shown
    (tmp_path / "Modelfile3").write_text("FROM drafted\nDRAFT drafted\nPARAMETER num_predict 40\n"
                                         "PARAMETER draft_p_min 0\n")
    r = cli(server.url, "create", "drafted2", "-f", "Modelfile3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = cli(server.url, "run", "drafted2", "--verbose", "Hello", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "draft acceptance:" in r.stderr
