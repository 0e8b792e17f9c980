# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# A native llama.cpp build segfaults on some CPUs at the first decode; this
# portable build works everywhere we have tried. pip caches the wheel.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_OPENMP=OFF

.PHONY: run test install bundled bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,local]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tokenscope

# Four workers on two cores: an app test spends about half its time waiting (on its
# data thread, a server, a frame), so two more workers fill those waits. The local
# model's tests stay together on one worker (one server), and the slow tests start
# first (tests/conftest.py). `-m "not slow"` skips them.
# Lint and format first (a second). mypy (about 10 s of one core) runs beside pytest, in
# the gaps its waiting workers leave, and reports after it; a finding in any of them fails
# the run like a failing test. pytest may write bytecode even where the environment says
# not to: the workers and the CLI processes the tests start then share one compile of the
# package and the rewritten tests (about 10 s of CPU a run on a fresh clone).
test: $(STAMP)
	$(VENV)/bin/ruff check tokenscope tests scripts benchmarks
	$(VENV)/bin/ruff format --check tokenscope tests scripts benchmarks
	@types_log=$$(mktemp); \
	$(VENV)/bin/mypy tokenscope >"$$types_log" 2>&1 & types=$$!; \
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -n 4 --dist loadgroup; tests_rc=$$?; \
	wait $$types; types_rc=$$?; \
	echo "mypy tokenscope"; cat "$$types_log"; rm -f "$$types_log"; \
	test $$tests_rc -eq 0 && test $$types_rc -eq 0

bundled: $(STAMP)
	$(PY) scripts/build_bundled_results.py

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache
