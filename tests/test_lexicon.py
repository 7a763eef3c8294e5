"""The answerer's word lists: the packaged file loads, and a broken edit fails on load with
the file and the key named."""

from __future__ import annotations

import json

import pytest

from assistant.answering.lexicon import LEXICON, load_lexicon
from assistant.errors import ConfigError


def test_the_packaged_lexicon_loads_with_every_list() -> None:
    assert LEXICON.how["many"][0] == "CARDINAL"
    assert "day" in LEXICON.time_units
    assert LEXICON.scale_words["million"] == 1e6
    assert LEXICON.label_words["DATE"] == "a date"
    # Names are compared casefolded, multi-word names kept whole.
    assert {"armenia", "burkina faso", "new york", "europe"} <= LEXICON.places


def _packaged() -> dict[str, object]:
    from importlib.resources import files

    text = (files("assistant.answering") / "data" / "lexicon.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d.pop("time_units"), "'time_units'"),
        (lambda d: d.__setitem__("money_words", "cost"), "'money_words'"),
        (lambda d: d.__setitem__("scale_words", {"million": -1}), "'scale_words'"),
        (lambda d: d.__setitem__("how", {"many": "CARDINAL"}), "'how'"),
        (lambda d: d["places"].pop("countries"), "'countries'"),
    ],
)
def test_a_broken_edit_names_the_file_and_the_key(edit, named) -> None:  # type: ignore[no-untyped-def]
    data = _packaged()
    edit(data)
    with pytest.raises(ConfigError) as err:
        load_lexicon(json.dumps(data))
    assert "lexicon.json" in str(err.value) and named in str(err.value)


def test_text_that_is_not_json_is_refused_clearly() -> None:
    with pytest.raises(ConfigError, match=r"lexicon\.json: not valid JSON"):
        load_lexicon("{ how: }")
