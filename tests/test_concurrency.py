"""Questions answered while an ingest writes to the same store; two ingests at once.

The question is the seeds' border-guard one ("January 1, 2025"), asked over and over from
one thread while another thread, or another process, ingests other articles into the same
embedded store. A second ingest started meanwhile is refused with `StoreLockedError`, from
this process and from the CLI in a third process, and its articles never get mixed in.
Articles generated here are invented.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import assistant.indexing
from assistant import Assistant
from assistant.errors import StoreLockedError

pytestmark = pytest.mark.slow

QUESTION = "When do the Russian border guards leave the Armenia-Iran border?"
EXPECTED = "January 1, 2025"
BORDER_DOC = "000_9cb0a2a812b9da7a.txt"

TOWNS = ["Saltmere", "Brackwater", "Ormsby", "Tollan", "Greywick", "Dunmore", "Kessel", "Velmar"]
THINGS = ["swimming baths", "museum", "town hall", "railway station", "market hall", "library"]
MONTHS = ["March", "April", "May", "June", "July", "September"]


def _story(i: int, tag: str) -> tuple[str, str]:
    town, thing = TOWNS[i % len(TOWNS)], THINGS[i % len(THINGS)]
    date = f"{MONTHS[i % len(MONTHS)]} {i + 3}, 2026"
    text = (
        f"{town} {thing} to reopen after repairs ({tag} {i})\n\n"
        f"The {thing} in {town} will reopen on {date} after repairs to its roof, the council "
        f"said on Monday. Work on the building began last winter after a storm.\n\n"
        f"Residents of {town} had asked for the {thing} to reopen before the summer, and "
        f"the council said the cost of the repairs stayed within its budget.\n"
    )
    return text, date


def _corpus(root: Path, tag: str, n: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"{tag}-{i:02d}.txt").write_text(_story(i, tag)[0], encoding="utf-8")
    return root


def _consistent(a: Assistant) -> None:
    infos = a.store.article_infos()
    n = 0
    for _cid, _text, meta in a.store.iter_chunks():
        n += 1
        assert meta["article_hash"] == infos[meta["doc_id"]].content_hash
    assert n == sum(i.n_chunks for i in infos.values())


# Hang guard for every wait below: generous, because each wait ends on an event, not a clock.
WAIT_S = 300


class Asker:
    """Asks QUESTION in a loop on its own thread, recording every answer and error.

    Tests synchronise with it through `answer_after`, never through time windows, so they
    give the same result on a fast idle machine and on a slow busy one."""

    def __init__(self, a: Assistant) -> None:
        self.a = a
        self.answers: list[tuple[float, float, str]] = []  # (asked, answered, text)
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            asked = time.monotonic()
            try:
                text = self.a.ask(QUESTION).text
            except BaseException as exc:  # recorded, and the test fails on it
                self.errors.append(exc)
                text = ""
            with self._changed:
                self.answers.append((asked, time.monotonic(), text))
                self._changed.notify_all()

    def answer_after(self, moment: float) -> None:
        """Block until a question asked at or after `moment` has been answered."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: any(asked >= moment for asked, _, _ in self.answers), timeout=WAIT_S
            )
        assert ok, f"no question was answered within {WAIT_S}s (the asker is stuck)"

    def __enter__(self) -> Asker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT_S)

    def between(self, t0: float, t1: float) -> list[str]:
        """Answers to questions asked after t0 and answered before t1."""
        return [text for asked, done, text in self.answers if t0 <= asked and done <= t1]


@pytest.fixture
def seeded(tmp_path: Path, embedder, seeds_dir: Path) -> Assistant:
    a = Assistant(store=tmp_path / "store", embedder=embedder, answerer="extractive")
    assert a.ingest([seeds_dir]).added == 5
    assert EXPECTED in a.ask(QUESTION).text
    return a


def test_questions_answered_while_another_thread_ingests(
    seeded: Assistant, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "news", "thread", 24)
    monkeypatch.setattr(assistant.indexing, "GROUP_SIZE", 4)  # six commits, not one
    writer = Assistant(store=seeded.settings.store, embedder=embedder)
    commits: list[float] = []
    real = writer.store.write_articles
    asker = Asker(seeded)

    def write_then_let_a_question_through(items: Any) -> None:
        real(items)
        commits.append(time.monotonic())
        asker.answer_after(commits[-1])  # the ingest goes on once a question saw this commit

    monkeypatch.setattr(writer.store, "write_articles", write_then_let_a_question_through)
    result: dict[str, Any] = {}

    def ingest() -> None:
        try:
            result["report"] = writer.ingest([corpus])
        except BaseException as exc:
            result["error"] = exc

    with asker:
        asker.answer_after(0.0)  # the asker is warm before the ingest starts
        worker = threading.Thread(target=ingest)
        worker.start()
        worker.join(timeout=WAIT_S)
        done = time.monotonic()
    assert not worker.is_alive()
    assert "error" not in result, result.get("error")
    assert result["report"].added == 24 and result["report"].ok
    assert asker.errors == []
    assert len(commits) == 6
    # Every commit was followed by an answer before the next one (the hook waited for it).
    for t0, t1 in zip(commits, [*commits[1:], done], strict=True):
        assert asker.between(t0, t1), "no answer between two commits"
    assert all(EXPECTED in text for _a, _d, text in asker.answers)
    during = asker.between(commits[0], done)
    print(f"\nthread: {len(during)} answers between and after 6 commits, all correct")

    # The asker's Assistant sees the new articles too.
    date = _story(7, "thread")[1]
    answer = seeded.ask("When will the Velmar museum reopen?")
    assert date in answer.text, answer.text
    assert answer.citations[0].doc_id == "thread-07.txt"
    _consistent(seeded)


# The first ingest: the real CLI, paused inside its second commit (so it holds the lock
# with one group committed) until the test creates `release`, and after each commit until
# the test has seen a question answered (`committed-N`, then `go-N`). Test-only.
PAUSING_INGEST = r"""
import os, sys, time
from pathlib import Path

import assistant.indexing
assistant.indexing.GROUP_SIZE = 4
from assistant.store import Store

real, calls = Store.write_articles, [0]
signals = Path(os.environ["SIGNALS"])


def wait_for(path):
    deadline = time.monotonic() + 300
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"never got {path.name}")
        time.sleep(0.02)


def write_articles(self, items):
    calls[0] += 1
    if calls[0] == 2:
        (signals / "paused").touch()
        wait_for(signals / "release")
    real(self, items)
    (signals / f"committed-{calls[0]}").touch()
    wait_for(signals / f"go-{calls[0]}")

Store.write_articles = write_articles
from assistant.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> bool:
    """Wait until the child creates `path` (True) or exits without it (False)."""
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if proc.poll() is not None:
            return path.exists()
        assert time.monotonic() < deadline, f"the child never wrote {path.name}"
        time.sleep(0.02)
    return True


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(extra)
    return env


def test_other_process_ingests_while_questions_are_answered_and_a_second_is_refused(
    seeded: Assistant, embedder, tmp_path: Path
) -> None:
    store = Path(seeded.settings.store)
    first = _corpus(tmp_path / "first", "first", 24)
    second = _corpus(tmp_path / "second", "second", 4)
    signals = tmp_path / "signals"
    signals.mkdir()
    driver = tmp_path / "pausing_ingest.py"
    driver.write_text(PAUSING_INGEST, encoding="utf-8")

    with Asker(seeded) as asker:
        p1 = subprocess.Popen(
            [sys.executable, str(driver), "ingest", str(first), "--store", str(store)],
            env=_env(SIGNALS=str(signals)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert _wait_for(signals / "committed-1", p1), p1.communicate()
            asker.answer_after(time.monotonic())
            (signals / "go-1").touch()
            assert _wait_for(signals / "paused", p1), p1.communicate()
            t_paused = time.monotonic()
            asker.answer_after(t_paused)  # a question answered while the other holds the lock

            # A second ingest, from this process: refused at once, with a clear message.
            other = Assistant(store=store, embedder=embedder)
            with pytest.raises(StoreLockedError) as info:
                other.ingest([second])
            msg = str(info.value)
            assert f"another ingest is writing to {Path(store).resolve()}" in msg
            assert "wait for it to finish and run this one again" in msg
            # ... and from the CLI in a third process: exit status 2, the same message.
            t = time.monotonic()
            p2 = subprocess.run(
                [sys.executable, "-m", "assistant.cli", "ingest", str(second), "--store",
                 str(store)],
                env=_env(),
                capture_output=True,
                text=True,
                timeout=180,
            )  # fmt: skip
            p2_seconds = time.monotonic() - t
            assert p2.returncode == 2, p2.stderr
            assert "error: another ingest is writing to" in p2.stderr
            assert "Traceback" not in p2.stderr

            # While the first holds the lock with one group committed, this process sees it.
            seen = {i.doc_id for i in seeded.articles()}
            assert {f"first-{i:02d}.txt" for i in range(4)} <= seen
            t_released = time.monotonic()
            (signals / "release").touch()
            # After each further commit, a question is answered before the ingest goes on.
            n = 2
            while _wait_for(signals / f"committed-{n}", p1):
                asker.answer_after(time.monotonic())
                (signals / f"go-{n}").touch()
                n += 1
            out, err = p1.communicate(timeout=WAIT_S)
            t_done = time.monotonic()
        finally:
            if p1.poll() is None:
                p1.kill()
                p1.wait()
    assert p1.returncode == 0, err[-3000:]
    assert "24 added" in out

    assert asker.errors == []
    assert all(EXPECTED in text for _a, _d, text in asker.answers)
    assert n - 1 == 6  # commits, each followed by an answer before the next
    paused_answers = asker.between(t_paused, t_released)
    writing_answers = asker.between(t_released, t_done)
    assert len(paused_answers) >= 1 and len(writing_answers) >= 5, (
        len(paused_answers),
        len(writing_answers),
    )
    print(
        f"\nprocess: {len(paused_answers)} answers while the other process held the lock, "
        f"{len(writing_answers)} while it wrote 5 more groups; second CLI ingest refused in "
        f"{p2_seconds:.1f}s"
    )

    # Never interleaved: all of the first ingest, none of the second.
    ids = {i.doc_id for i in seeded.articles()}
    assert {f"first-{i:02d}.txt" for i in range(24)} <= ids
    assert not any(d.startswith("second-") for d in ids)
    assert len(ids) == 5 + 24
    _consistent(seeded)
    # The other process's articles are found by this one (vectors included) and answered.
    date = _story(7, "first")[1]
    answer = seeded.ask("When will the Velmar museum reopen?")
    assert date in answer.text, answer.text
    assert answer.citations[0].doc_id == "first-07.txt"
    res = seeded.retrieve("Velmar museum reopen repairs roof", mode="dense")
    assert "first-07.txt" in res.article_order
    # The lock is free again: the refused ingest now goes through.
    assert Assistant(store=store, embedder=embedder).ingest([second]).added == 4
    assert BORDER_DOC in {i.doc_id for i in seeded.articles()}


def test_lock_holder_is_a_process_not_a_file(tmp_path: Path, embedder) -> None:
    # A killed ingest leaves the lock file behind, but the kernel lock dies with the process:
    # the next ingest must not be refused by a stale file.
    a = Assistant(store=tmp_path / "store", embedder=embedder)
    (a.store.local_dir / ".ingest.lock").write_text("12345\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", HOLD_AND_DIE, str(a.store.local_dir / ".ingest.lock")],
        timeout=60,
    )
    assert proc.returncode == -9
    with a.store.ingest_lock():  # taken at once
        assert (a.store.local_dir / ".ingest.lock").exists()


HOLD_AND_DIE = """
import fcntl, os, signal, sys
fh = open(sys.argv[1], "a+")
fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.kill(os.getpid(), signal.SIGKILL)
"""


# An update of articles already indexed, by the real CLI in another process, paused after
# each of its Chroma writes (`step-N`) until the test has asked its question (`go-N`).
STEPPING_INGEST = r"""
import os, sys, time
from pathlib import Path

from chromadb.api.models.Collection import Collection

import assistant.indexing
assistant.indexing.GROUP_SIZE = 4

signals = Path(os.environ["SIGNALS"])
steps = [0]


def wait_for(path):
    deadline = time.monotonic() + 300
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"never got {path.name}")
        time.sleep(0.02)


def pausing(real, what):
    def call(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        steps[0] += 1
        (signals / f"step-{steps[0]}").write_text(f"{what} {self.name}", encoding="utf-8")
        wait_for(signals / f"go-{steps[0]}")
        return out
    return call


Collection.upsert = pausing(Collection.upsert, "upsert")
Collection.delete = pausing(Collection.delete, "delete")
from assistant.cli import main
sys.exit(main(sys.argv[1:]))
"""

NEW_DATE = "October 20, 2026"


def run_stepping_ingest(
    corpus: Path, store: Path, tmp_path: Path, on_step: Callable[[str], None]
) -> str:
    """Update `corpus` into `store` by the real CLI in another process, calling `on_step`
    (with the write's description) after each of its Chroma writes, before the next one;
    the CLI's output."""
    signals = tmp_path / "signals"
    signals.mkdir()
    driver = tmp_path / "stepping_ingest.py"
    driver.write_text(STEPPING_INGEST, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(driver), "ingest", str(corpus), "--store", str(store)],
        env=_env(SIGNALS=str(signals)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        n = 1
        while _wait_for(signals / f"step-{n}", proc):
            on_step((signals / f"step-{n}").read_text(encoding="utf-8"))
            (signals / f"go-{n}").touch()
            n += 1
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    return out


def test_readers_see_the_old_version_until_the_new_one_is_committed(
    seeded: Assistant, tmp_path: Path
) -> None:
    """Another process updates articles (new texts) while this one asks about one of them:
    after each of the writer's Chroma writes the answer is the old version's or the new
    one's, never an abstention, and once the new one was seen the old never comes back."""
    store = Path(seeded.settings.store)
    corpus = _corpus(tmp_path / "news", "upd", 8)  # two groups of four
    assert seeded.ingest([corpus]).added == 8
    question = "When will the Velmar museum reopen?"
    old_date = _story(7, "upd")[1]
    assert old_date in seeded.ask(question).text
    for i in range(8):  # every article changes, so every group replaces chunks
        text, date = _story(i, "upd")
        (corpus / f"upd-{i:02d}.txt").write_text(
            text.replace(date, NEW_DATE if i == 7 else date) + "\nCorrected on Friday.\n",
            encoding="utf-8",
        )
    seen: list[tuple[str, str]] = []  # (the writer's last step, the answer)
    out = run_stepping_ingest(
        corpus, store, tmp_path, lambda step: seen.append((step, seeded.ask(question).text))
    )
    assert "8 updated" in " ".join(out.split())
    # Two groups, each: new chunks, commit, old chunks deleted (and no un-commit).
    assert len(seen) >= 6, seen
    new_seen = False
    for step, text in seen:
        assert old_date in text or NEW_DATE in text, (step, text)
        if NEW_DATE in text:
            new_seen = True
        else:
            assert not new_seen, f"the old version came back after the new one: {step}"
    assert new_seen
    assert NEW_DATE in seeded.ask(question).text
    _consistent(seeded)
