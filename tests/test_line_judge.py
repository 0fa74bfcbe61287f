"""The answer-line judge: the shipped int8 model, its place in the engine, its failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.errors import NewsQAError
from qa.engine import get_engine
from qa.line_judge import JUDGE_POOL, MODEL_FILE, LineJudge

ETERNAL_WAR = 'Who said Russia does not want an "eternal war"?'


@pytest.mark.slow
def test_the_judge_prefers_the_sentence_that_states_the_answer() -> None:
    judge = LineJudge()
    logits = judge.logits(
        ETERNAL_WAR,
        [
            "Russia's war in Ukraine is now in its third year, and talks have stalled.",
            'Kremlin spokesman Dmitry Peskov said Russia does not want an "eternal war".',
            "An eternal flame burns at the memorial in Moscow.",
        ],
    )
    assert logits.dtype == np.float32 and logits.shape == (3,)
    assert int(np.argmax(logits)) == 1


@pytest.mark.slow
def test_the_judge_is_deterministic_and_keeps_its_choice_alone_or_in_a_batch() -> None:
    # int8 dynamic quantisation scales activations per batch, so a logit moves a little with
    # its batch (one question's pool is always scored as one batch, as it was measured)
    judge = LineJudge()
    sentences = [
        "The talks in Minsk ended without a deal at all.",
        'Kremlin spokesman Dmitry Peskov said Russia does not want an "eternal war".',
        "Peskov said so on Tuesday.",
    ]
    together = judge.logits(ETERNAL_WAR, sentences)
    assert np.array_equal(together, judge.logits(ETERNAL_WAR, sentences))
    alone = np.array([judge.logits(ETERNAL_WAR, [s])[0] for s in sentences])
    assert int(np.argmax(together)) == int(np.argmax(alone)) == 1
    assert judge.logits(ETERNAL_WAR, []).shape == (0,)


def test_a_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NewsQAError, match=r"answer-line judge missing: .*NEWSQA_LINE_JUDGE=false"):
        LineJudge(model=tmp_path / "line_judge.onnx")


def test_the_shipped_model_is_small() -> None:
    assert MODEL_FILE.is_file()
    assert MODEL_FILE.stat().st_size < 30_000_000  # int8: about 23 MB


@pytest.mark.slow
def test_the_judge_reorders_only_the_rankers_best_lines(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    judged = get_engine(bundled_settings).find_evidence(ETERNAL_WAR)
    plain = get_engine(bundled_settings.model_copy(update={"line_judge": False}))
    ranked = plain.find_evidence(ETERNAL_WAR)
    assert plain._judge is None  # off: never loaded
    assert sorted(e.text for e in judged) == sorted(e.text for e in ranked)
    pool = {e.text for e in ranked[:JUDGE_POOL]}
    assert {e.text for e in judged[: len(pool)]} == pool  # no line from beyond the pool rises
    assert "Peskov" in judged[0].text


@pytest.mark.slow
def test_the_benchmark_times_evidence_with_and_without_the_judge(bundled_settings) -> None:  # type: ignore[no-untyped-def]
    from eval.bench_answers import measure_judge_cost

    rows = measure_judge_cost(get_engine(bundled_settings), [ETERNAL_WAR, "Who is Peskov?"])
    values = {row.metric: row.value for row in rows}
    assert set(values) == {
        "evidence p50 with the line judge (s)",
        "evidence p50 without it (s)",
        "line judge cost (with / without)",
    }
    assert values["evidence p50 with the line judge (s)"] > 0
    assert values["evidence p50 without it (s)"] > 0
    ratio = values["evidence p50 with the line judge (s)"] / values["evidence p50 without it (s)"]
    assert values["line judge cost (with / without)"] == pytest.approx(ratio, rel=0.1)
