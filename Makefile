# bertology: two commands on a fresh machine, `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH ?= torch==2.13.0
DEMO_OUT ?= runs/demo

.PHONY: demo test bench mutation lint format clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: an unpinned torch would pull several GB of CUDA wheels on a CPU machine.
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bertology demo --out $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run_all.py

# Mutation testing of the modules that compute reported numbers (not part of `make test`;
# about 36 min on 2 cores over all modules; --modules for a subset). Report:
# runs/mutation/report.md.
mutation: $(STAMP)
	$(PY) mutation/run.py --out runs/mutation

lint: $(STAMP)
	$(VENV)/bin/ruff check bertology tests bench mutation
	$(VENV)/bin/ruff format --check bertology tests bench mutation

format: $(STAMP)
	$(VENV)/bin/ruff check --fix bertology tests bench mutation
	$(VENV)/bin/ruff format bertology tests bench mutation

clean:
	rm -rf $(VENV) runs .pytest_cache
