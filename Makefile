# The README's commands. Every target creates .venv and installs the pinned requirements first.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Test processes: most tests wait on servers (sandbox latency, Airflow start-up), not the CPU.
TEST_WORKERS ?= 2

.PHONY: install test lint demo airflow sandbox bench clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## make test: lint, then the whole test suite (sandbox as a real process, SQLite and PostgreSQL)
## in TEST_WORKERS processes (TEST_WORKERS=0: in this one); the tests that start an Airflow
## deployment share one process (xdist_group "airflow-deployment")
test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

## make demo: the main job end to end on the embedded defaults (SQLite + local sandbox)
demo: $(STAMP)
	$(PY) -m zenodo_demo.demo

## make airflow: Airflow's UI on this project (airflow standalone: dags/, plugins/, the sample
## collection and the local sandbox) on http://127.0.0.1:8080; the login is printed
airflow: $(STAMP)
	$(PY) -m zenodo_demo.local_airflow

## make sandbox: a local Zenodo on http://127.0.0.1:5000 (tokens printed at start)
sandbox: $(STAMP)
	$(PY) -m zenodo_sandbox --port 5000 --data-dir .sandbox-data --token demo=demo-token --admin-token admin-token

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .sandbox-data
