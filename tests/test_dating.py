"""A question about the present is not answered from an older article (`qa.dating`), on a real
store built from a small archive written in 2023, with the real embedder and reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.ingest import ingest
from index.settings import Settings, load_settings
from qa import ask
from qa.engine import get_engine

ARCHIVE = {
    "doomsday.txt": (
        "Doomsday clock 2021: Scientists say it's still 100 seconds to midnight\n\n"
        "The Bulletin of the Atomic Scientists said the Doomsday Clock remains at 100 seconds"
        " to midnight. The scientists cited nuclear risks and climate change in 2021."
    ),
    "budget.txt": (
        "City council passes the 2023 budget\n\n"
        "The council approved the 2023 budget on Tuesday after a long debate. The 2023 plan"
        " raises spending on parks and roads. Officials said the 2023 budget is balanced."
    ),
    "marathon.txt": (
        "Marathon returns in 2023\n\n"
        "The city marathon will return in April 2023 with a new route along the river."
        " Organisers expect 20,000 runners in 2023, the most since the race began."
    ),
    "library.txt": (
        "New library opens in 2023\n\n"
        "The new central library opened its doors in March 2023. It holds 400,000 books,"
        " and the mayor said in 2023 that it would stay open late on weekdays."
    ),
}


@pytest.fixture(scope="module")
def archive_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    corpus = tmp_path_factory.mktemp("archive")
    for name, text in ARCHIVE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = load_settings(corpus_dir=corpus, store_dir=Path(tmp_path_factory.mktemp("store")))
    ingest(settings)
    return settings


def test_the_present_year_is_the_year_the_archive_names_most(archive_settings: Settings) -> None:
    assert get_engine(archive_settings).present_year() == 2023


def test_this_week_is_not_answered_from_a_2021_article(archive_settings: Settings) -> None:
    now = ask(
        "Scientists this week set the hands of the Doomsday Clock to how many seconds before"
        " midnight?",
        settings=archive_settings,
    )
    assert now.abstained and now.citations == [], now
    then = ask(
        "In 2021, how many seconds to midnight did scientists say the Doomsday Clock stood?",
        settings=archive_settings,
    )
    assert not then.abstained and "100" in then.text, then
