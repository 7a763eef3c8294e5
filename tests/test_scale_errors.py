"""`assistant ingest --ray` refuses what cannot work with a sentence naming the fix, before
it starts anything (no Ray cluster, no model, no server here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.cli import main

ARTICLE = "Harbour cranes idle\n\nThe harbour cranes in Ostbury stood idle after a power fault.\n"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_without_ray_installed_the_error_says_how_to_install_it(
    tmp_path: Path, write_files, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as in a base install: import fails
    folder = write_files({"cranes.txt": ARTICLE})
    code, err = _run(
        ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 2
    assert "--ray needs Ray" in err and "pip install 'news-assistant[scale]'" in err
    assert "Traceback" not in err


def test_ray_needs_a_chroma_server(tmp_path: Path, write_files, capsys) -> None:
    pytest.importorskip("ray")
    folder = write_files({"cranes.txt": ARTICLE})
    code, err = _run(
        ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 2
    assert "ASSISTANT_CHROMA_URL (--chroma-url)" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "option", [["--ray-actors", "0"], ["--ray-actor-cpus", "0"], ["--ray-batch", "0"]]
)
def test_ray_options_must_be_positive(
    tmp_path: Path, write_files, capsys, option: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    import assistant.scale.ray_ingest as ray_ingest

    # Past the server check (no server runs here): the options are checked next.
    monkeypatch.setattr(ray_ingest.Store, "is_server", property(lambda self: True))
    folder = write_files({"cranes.txt": ARTICLE})
    args = ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s"), *option]
    code, err = _run(args, capsys)
    assert code == 2 and "must be positive" in err
