# Two commands: `make app` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: app test install index eval bench lint clean browser-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,llm]'
	touch $(STAMP)

install: $(STAMP)

index: $(STAMP)
	$(BIN)/micqa ingest

app: index
	$(BIN)/streamlit run ui/app.py --server.port 8501 --server.headless true --browser.gatherUsageStats false

browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "Chromium could not be installed; browser tests will be skipped."

test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

eval: $(STAMP)
	$(BIN)/micqa ingest
	$(BIN)/micqa eval --baseline --json evals/latest.json --report evals/REPORT.md --pdfs --check

bench: index browser-deps
	$(BIN)/python bench/run.py
	$(BIN)/python bench/app_latency.py
	$(BIN)/python bench/ingest_scale.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf .micqa test-artifacts .pytest_cache .mypy_cache
