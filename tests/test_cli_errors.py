"""Bad store paths and bad settings end in one clear sentence and exit status 2, never a
traceback; a read-only store still answers questions. Articles are invented here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.cli import main

STORY = (
    "Velmar museum to reopen\n\n"
    "The museum in Velmar will reopen on May 3, 2026 after repairs to its roof, the council "
    "said on Monday.\n"
)
QUESTION = "When will the Velmar museum reopen?"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _shared_model(cli_model: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        monkeypatch.delenv(var)


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    assert main(argv) == 2
    err = _flat(capsys.readouterr().err)
    assert err.startswith("error: "), err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("command", ["ask", "stats", "ingest"])
def test_store_path_that_is_a_file(capsys, tmp_path: Path, command: str) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text(STORY, encoding="utf-8")
    for store in (str(a_file), os.devnull):
        argv = {"ask": ["ask", QUESTION], "stats": ["stats"], "ingest": ["ingest", str(a_file)]}
        needle = f"the store path {store} is not a folder"
        _fails(capsys, [*argv[command], "--store", store], needle)


def test_store_under_a_file_cannot_be_created(capsys, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    store = tmp_path / "f" / "store"
    _fails(capsys, ["ingest", str(tmp_path / "a.txt"), "--store", str(store)], "cannot create")


def test_ask_on_a_missing_or_empty_store_says_so(capsys, tmp_path: Path, embedder) -> None:
    missing = tmp_path / "nowhere"
    for argv in (["ask", QUESTION], ["stats"]):
        _fails(capsys, [*argv, "--store", str(missing)], "there is no store at", "assistant ingest")
    assert not missing.exists()  # asking never creates a store
    empty = tmp_path / "empty"
    Assistant(store=empty, embedder=embedder)  # created, nothing ingested
    _fails(capsys, ["ask", QUESTION, "--store", str(empty)], "holds no articles yet")
    _fails(capsys, ["ask", QUESTION, "--json", "--store", str(empty)], "holds no articles yet")


def test_empty_store_option_is_refused(capsys, tmp_path: Path) -> None:
    _fails(capsys, ["stats", "--store", ""], "setting store", "the store folder is empty")


def test_bad_setting_values_name_setting_value_and_range(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    Assistant(store=store).ingest([_story(tmp_path)])
    base = ["ask", QUESTION, "--store", str(store)]
    _fails(capsys, [*base, "--top-k", "0"], "top_k (--top-k) = 0", "greater than or equal to 1")
    _fails(capsys, [*base, "--top-k", "1000"], "top_k (--top-k) = 1000", "less than or equal to 50")
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "abc")
    _fails(capsys, base, "max_file_mb (from ASSISTANT_MAX_FILE_MB) = 'abc'", "a valid number")
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "-1")
    _fails(capsys, ["stats", "--store", str(store)], "= '-1'", "greater than 0")


def test_unknown_assistant_variable_is_rejected(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    Assistant(store=store).ingest([_story(tmp_path)])
    monkeypatch.setenv("ASSISTANT_FOO", "1")
    monkeypatch.setenv("ASSISTANT_TOPK", "3")  # a typo of ASSISTANT_TOP_K
    err = _fails(capsys, ["stats", "--store", str(store)], "ASSISTANT_FOO, ASSISTANT_TOPK")
    assert "ASSISTANT_TOP_K" in err  # the list of real ones
    monkeypatch.delenv("ASSISTANT_FOO")
    monkeypatch.delenv("ASSISTANT_TOPK")
    # Variables that are read elsewhere, and aliases, are not unknown.
    monkeypatch.setenv("ASSISTANT_UI_AUTH", "user:pass")
    monkeypatch.setenv("assistant_top_k", "3")
    assert main(["stats", "--store", str(store)]) == 0


def _story(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir(exist_ok=True)
    (folder / "museum.txt").write_text(STORY, encoding="utf-8")
    return folder


def _read_only_mounts() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


READ_ONLY = r"""
set -e
mount --bind "$ROOT" "$ROOT"
mount -o remount,ro,bind "$ROOT"
run() {
    "$PY" -m assistant.cli "$@" > "$OUT/$NAME.out" 2> "$OUT/$NAME.err" || echo $? > "$OUT/$NAME.rc"
}
NAME=ask run ask "$QUESTION" --store "$ROOT/store"
NAME=stats run stats --store "$ROOT/store"
NAME=ingest run ingest "$ROOT/news" --store "$ROOT/store"
NAME=new run ingest "$ROOT/news" --store "$ROOT/new-store"
"""


@pytest.mark.slow
@pytest.mark.skipif(not _read_only_mounts(), reason="needs root and unshare -m for a ro mount")
def test_read_only_store_answers_questions_and_refuses_ingest(tmp_path: Path, embedder) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    Assistant(store=root / "store", embedder=embedder).ingest([_story(root)])
    before = sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ROOT=str(root),
        OUT=str(out),
        PY=sys.executable,
        QUESTION=QUESTION,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        COLUMNS="400",
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", READ_ONLY],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr

    def result(name: str) -> tuple[int, str, str]:
        rc = out / f"{name}.rc"
        code = int(rc.read_text()) if rc.exists() else 0
        return code, (out / f"{name}.out").read_text(), _flat((out / f"{name}.err").read_text())

    code, text, err = result("ask")
    assert code == 0, err
    assert "May 3, 2026" in text and "Traceback" not in err
    code, text, err = result("stats")
    assert code == 0 and "documents: 1" in text, err
    code, _, err = result("ingest")
    assert code == 2 and "is read-only here" in err and "Traceback" not in err, err
    code, _, err = result("new")
    assert code == 2 and "cannot create the store folder" in err, err
    assert "Read-only file system" in err and "Traceback" not in err
    # Nothing in the store changed.
    assert sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*")) == before


def test_a_long_bad_date_is_not_echoed_whole(capsys, tmp_path: Path) -> None:
    err = _fails(
        capsys,
        ["ask", QUESTION, "--as-of", "9" * 100_000],
        "--as-of must be a date like 2025-01-31, not '999",
    )
    assert "100,000 characters" in err and len(err) < 300, err


@pytest.mark.parametrize(
    ("url", "why"), [("http://[::1", "Invalid IPv6 URL"), ("http://127.0.0.1:99999", "Port")]
)
def test_a_bad_chroma_url_is_a_sentence(capsys, tmp_path: Path, url: str, why: str) -> None:
    _fails(capsys, ["stats", "--store", str(tmp_path), "--chroma-url", url], "chroma_url", why)


def test_ui_port_out_of_range_or_in_use(capsys, tmp_path: Path) -> None:
    import socket

    _fails(capsys, ["ui", "--store", str(tmp_path), "--port", "99999"], "--port 99999 is no TCP")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        store = tmp_path / "store"
        Assistant(store=store).ingest([_story(tmp_path)])
        _fails(capsys, ["ui", "--store", str(store), "--port", str(port)], "the port is in use")


@pytest.mark.slow
def test_stats_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Assistant(store=store).ingest([_story(tmp_path)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    # The reader is gone before the first line is written (as `| head -2` after two lines).
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "stats", "--store", str(store)],
        stdout=write,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        timeout=300,
    )
    os.close(write)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 141
