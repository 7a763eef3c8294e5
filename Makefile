# One command per job. `make demo` and `make test` each install first, so a fresh clone
# needs nothing else.
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED ?= ../shared
QUESTION ?= When do the Russian border guards leave the Armenia-Iran border?
# The exact versions every install takes (pip-compile's output; `make lock` refreshes it).
LOCK := constraints.txt
LOCK_VENV ?= .venv-lock
LOCK_FLAGS ?=
# The lock tool itself, pinned so that the same pyproject.toml gives the same lock.
LOCK_TOOLS := pip==26.3 pip-tools==7.7.0

.PHONY: install demo test test-fast test-busy lint lock eval-seeds eval-conversations eval-rtqa eval-timelines bench clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned in pyproject.toml so pip takes the CPU wheel. `scale` (Ray) is installed
	# too, so the distributed-ingest tests run here and in CI.
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[dev,scale]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/assistant ingest $(SHARED)/corpus/seeds --list
	$(VENV)/bin/assistant ask "$(QUESTION)"

lint: install
	$(VENV)/bin/ruff check assistant tests evals benchmarks
	$(VENV)/bin/ruff format --check assistant tests evals benchmarks
	$(VENV)/bin/mypy assistant

test: install lint
	$(VENV)/bin/python -m pytest -q

# The edit loop: everything that loads no model and starts no server (seconds, not minutes).
test-fast: install
	$(VENV)/bin/python -m pytest -q -m "not slow"

# The same suite with every core kept busy by other processes (they stop by themselves).
test-busy: install
	$(PY) benchmarks/busy.py --seconds 3600 -- $(VENV)/bin/python -m pytest -q

# Pin every dependency of every extra, for this platform (Linux x86-64, CPython 3.11, torch's
# CPU wheel), from pyproject.toml's ranges. Pins still allowed are kept, so adding a
# dependency changes only what it needs; `make lock LOCK_FLAGS=--upgrade` moves everything to
# the newest allowed versions. pip-tools runs in a venv of its own, so a lock that no longer
# installs can still be remade.
lock:
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet $(LOCK_TOOLS)
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet $(LOCK_FLAGS) \
	  --all-extras --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  --output-file $(LOCK) pyproject.toml

eval-seeds: install
	$(VENV)/bin/assistant eval evals/seeds.yaml --out reports/seeds

eval-conversations: install
	$(VENV)/bin/assistant eval evals/conversations.yaml --out reports/conversations

eval-rtqa: install
	$(VENV)/bin/assistant eval rtqa --out reports/rtqa

eval-timelines: install
	$(VENV)/bin/assistant eval evals/timelines.yaml --store reports/timeline-stores --out reports/timelines

# Benchmarks (not tests): figures and same-run ratios, JSON and a plot under reports/bench.
$(VENV)/.bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[dev,scale,bench]"
	touch $@

bench: $(VENV)/.bench
	mkdir -p reports/bench
	$(PY) benchmarks/ingest.py --articles 800 --out reports/bench/ingest.json
	$(PY) benchmarks/questions.py --store reports/bench/store --out reports/bench/questions.json
	$(PY) benchmarks/scaling.py --out reports/bench
	$(PY) benchmarks/chunk_size.py --out reports/bench/chunks
	$(PY) benchmarks/ray_ingest.py --articles 300 --out reports/bench/ray.json
	$(PY) benchmarks/chroma_writes.py --articles 600 --out reports/bench/writes.json
	$(PY) benchmarks/shared_bm25.py --sizes 800,3697 --out reports/bench/bm25.json
	$(PY) benchmarks/timeline.py --store reports/bench/store --out reports/bench/timeline.json
	$(PY) benchmarks/mcp_overhead.py --out reports/bench/mcp.json

clean:
	rm -rf $(VENV) $(LOCK_VENV) vectorstore/chroma vectorstore/bm25 reports
