# avial2c — set-up, run and test.  `make help` lists the targets.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FILE ?= examples/seed.mlir
NP ?= 2
ARGS ?=
PYTEST_ARGS ?=

# OpenMPI refuses to run as root unless told it is fine (CI runs as root).
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
export PATH := $(PATH):/usr/local/cuda/bin

# Debian packages the tools need: OpenMPI, gcc with OpenMP, the MLIR 22 tools (our
# oracle for MLIR syntax and semantics) and Graphviz for DAG drawings.
APT_PACKAGES := openmpi-bin libopenmpi-dev gcc libgomp1 make mlir-22-tools graphviz python3-venv

.PHONY: help setup system venv run test test-long test-all test-fast test-install test-slurm lint typecheck dag fuzz bench bench-peers clean

help:
	@echo "make run   [FILE=examples/seed.mlir NP=2 ARGS=...]  set up, build and run a program"
	@echo "make test  [PYTEST_ARGS=...]                        lint, type-check and run the test suite (not the long tier)"
	@echo "make test-long                                      the long tier: MPICH, the wheel in a fresh venv, sanitizers, fuzzer hunts, ..."
	@echo "make test-all                                       lint, type-check and every test, both tiers"
	@echo "make test-fast                                      the tests that build and run nothing (under a minute)"
	@echo "make test-install                                   the wheel, installed offline in a fresh venv, builds and runs the seed"
	@echo "make test-slurm                                     avial2c run inside salloc -n 2 and -n 1 on a one-node Slurm it starts"
	@echo "make lint                                           ruff and mypy --strict on the package"
	@echo "make dag   [FILE=...]                               render the DAG of FILE to build/dag.svg"
	@echo "make fuzz  [N=200 MUTANTS=10*N SAVE=build/fuzz]      fresh fuzzing: N programs (and N with loops) built and run, MUTANTS judged against mlir-opt"
	@echo "make bench                                          the benchmarks of tests/perf (prints ratios)"
	@echo "make bench-peers [BENCH_ARGS=...]                   generated programs against StarPU-MPI (installs StarPU when missing)"
	@echo "make setup                                          install system packages and the venv"
	@echo "make clean                                          remove build outputs (keeps the venv)"

setup: system venv

# Installs the Debian packages that are missing (as root, or through sudo).
system:
	@missing=""; \
	command -v mpicc >/dev/null || missing="$$missing openmpi-bin libopenmpi-dev"; \
	command -v mlir-opt-22 >/dev/null || missing="$$missing mlir-22-tools"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	echo 'int main(void){return 0;}' | gcc -fopenmp -x c - -o /dev/null 2>/dev/null || missing="$$missing gcc libgomp1"; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

run: setup
	$(PY) -m avial2c run $(FILE) -n $(NP) $(if $(ARGS),-- $(ARGS))

lint: venv
	$(VENV)/bin/ruff check avial2c tests
	$(VENV)/bin/mypy

# The default tier: everything but the tests marked `long` (tests/conftest.py
# says which and why), in TEST_WORKERS pytest processes (pytest-xdist; most
# tests wait on mpicc and mpirun, so two share 2 cores well): about 5 minutes
# on 2 cores, 9 in one process.  TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: setup lint
	$(VENV)/bin/pytest -m "not long" -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The long tier alone: other MPI implementations, the wheel in a fresh venv,
# sanitizers, the fuzzer's defect-class hunts, the rest of the sweeps.
# A file's tests stay in one process (--dist loadfile): the wheel test builds
# into the checkout's build/ once for all its tests.
test-long: setup
	$(VENV)/bin/pytest -m long -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-all: setup lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The wheel installed offline in a fresh venv outside the checkout, whose
# avial2c builds and runs examples/seed.mlir (part of `make test-long` too).
test-install: setup
	$(VENV)/bin/pytest tests/test_install.py $(PYTEST_ARGS)

# A one-node Slurm (munge, slurmctld, slurmd from Debian's slurm-wlm, installed
# when missing) started in a temporary folder, `avial2c run` inside `salloc -n 2`
# and `salloc -n 1` on examples/seed.mlir, then stopped (.ci/test-slurm.sh).
# Says SKIPPED, with the reason, when Slurm cannot be installed or started
# (SLURM_REQUIRED=1 makes that a failure).  Not part of `make test`.
test-slurm: setup
	PY=$(PY) bash .ci/test-slurm.sh

# Leaves out the `slow` tests: those that compile C or launch mpirun (tests/conftest.py).
test-fast: venv
	$(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

N ?= 200
MUTANTS ?= $(shell echo $$(( $(N) * 10 )))
SAVE ?= build/fuzz

# Fresh fuzzing: MUTANTS mutants judged by avial2c and mlir-opt-22
# (tests/check/test_validity_fuzz.py), then N random programs, and N with time
# loops, built and run against the interpreter (tests/e2e/test_fuzz.py).
# Every finding is saved under $(SAVE) (known defects under known/ and
# validity/D*, new ones elsewhere); the counts are in $(SAVE)/*-stats.json.
fuzz: setup
	mkdir -p $(SAVE)
	status=0; \
	AVIAL_FUZZ_FRESH=1 AVIAL_FUZZ_MUTANTS=$(MUTANTS) AVIAL_FUZZ_SAVE_DIR=$(SAVE) \
	  AVIAL_VALIDITY_STATS=$(SAVE)/validity-stats.json \
	  $(VENV)/bin/pytest tests/check/test_validity_fuzz.py $(PYTEST_ARGS) || status=1; \
	AVIAL_FUZZ_FRESH=1 AVIAL_FUZZ_EXAMPLES=$(N) AVIAL_FUZZ_SAVE_DIR=$(SAVE) \
	  AVIAL_FUZZ_STATS=$(SAVE)/fuzz-stats.json \
	  $(VENV)/bin/pytest tests/e2e/test_fuzz.py -x $(PYTEST_ARGS) || status=1; \
	cat $(SAVE)/validity-stats.json $(SAVE)/fuzz-stats.json 2>/dev/null; \
	exit $$status

bench: setup
	$(PY) tests/perf/bench_translator.py
	$(PY) tests/perf/bench_generated.py
	$(PY) tests/perf/bench_split.py
	$(PY) tests/perf/bench_loops.py
	$(PY) tests/perf/bench_heft_sim.py
	$(PY) tests/perf/bench_communication.py
	$(PY) tests/perf/bench_compile.py
	$(PY) tests/perf/bench_placement.py
	$(PY) tests/perf/bench_py.py
	$(PY) tests/perf/bench_taskbench.py

# StarPU-MPI 1.3 from Debian (libstarpu-dev, libstarpumpi-1.3-3), installed when
# missing (as root, or through sudo), then the generated programs against their
# StarPU-MPI versions (tests/perf/bench_peers.py; BENCH_ARGS=--quick checks the
# script in a minute).  Says SKIPPED, with the reason, when StarPU cannot be
# installed.  Not part of `make bench`: it takes 10-20 minutes.
STARPU_PACKAGES := libstarpu-dev libstarpumpi-1.3-3 pkg-config
BENCH_ARGS ?=

bench-peers: setup
	@if ! pkg-config --exists starpumpi-1.3 2>/dev/null; then \
	  echo "installing StarPU-MPI: $(STARPU_PACKAGES)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  { $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	      $(STARPU_PACKAGES) >/dev/null; } || true; \
	fi; \
	if pkg-config --exists starpumpi-1.3 2>/dev/null; then \
	  $(PY) tests/perf/bench_peers.py $(BENCH_ARGS); \
	else \
	  echo "SKIPPED: StarPU-MPI is not installed and could not be (apt-get install $(STARPU_PACKAGES) failed; it needs root or sudo and Debian's archive)"; \
	fi

dag: setup
	mkdir -p build
	$(PY) -m avial2c $(FILE) --emit dot -o build/dag.dot
	dot -Tsvg build/dag.dot -o build/dag.svg
	@echo "wrote build/dag.svg"

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
