"""The answer-line judge experiment (`eval.line_judge`, not shipped): its failure and its order.

The model itself is trained into the user's cache by `make line-judge` (torch, 14 minutes), so
CI has no model to load; what runs here is what needs none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval.line_judge import LineJudge, judged_order
from index.errors import NewsQAError
from qa.types import Evidence


def test_a_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NewsQAError, match=r"answer-line judge missing: .*make line-judge"):
        LineJudge(model=tmp_path / "line_judge.onnx")


def test_no_line_from_beyond_the_pool_overtakes_a_judged_one() -> None:
    line = Evidence("a.txt", None, None, None, 0, 1, "x")
    ranked = [(replace(line, text=f"line {i}", rank_score=10.0 - i), np.zeros(1)) for i in range(5)]
    judged = judged_order(ranked, [-3.0, 4.0, -3.0], weight=1.0)
    assert [e.text for e, _ in judged][:3] == ["line 1", "line 0", "line 2"]
    assert [e.text for e, _ in judged][3:] == ["line 3", "line 4"]  # below the pool, in order
    assert judged_order(ranked, []) == ranked
