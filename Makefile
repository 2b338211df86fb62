# The front door: thin calls of cmake, ctest and the scripts; no logic of its own.
SHELL := /bin/bash
JOBS ?= 2
export TIMEFORMAT := stage took %1R s

.PHONY: packages mutate all build debug release arm64 test-arm64 test-arm64-cluster test test-debug test-release test-cluster test-faults faults-report test-swarm deploy undeploy reconfigure bench bench-cluster bench-swarm bench-qpu bench-nfs bench-scale clean up down wipe add-q1 add-node remove-node demo image

all: build
build: release

# What building and testing need, from Debian, if missing (a no-op once installed).
packages:
	@bash tools/install-packages

release: packages
	@echo "== stage: build release (static rqinit)"
	@time { cmake --preset release >/dev/null && cmake --build --preset release -j$(JOBS); }

# rqinit for the Raspberry Pi 5 (linux/arm64): cross-compiled, static, with its unit tests.
arm64: packages
	@echo "== stage: build arm64 (static rqinit for the Raspberry Pi 5, cross-compiled)"
	@time { bash tools/install-arm64-toolchain && cmake --preset arm64 >/dev/null && cmake --build --preset arm64 -j$(JOBS); }

debug: packages
	@echo "== stage: build debug (ASan/UBSan, unit tests)"
	@time { cmake --preset debug >/dev/null && cmake --build --preset debug -j$(JOBS); }

# Everything CI runs: unit and init tests under the sanitizers, the init tests again against the
# static binary that the image ships, and again against the aarch64 build under qemu (none of it
# needs Docker), then the real cluster under Compose (stack/cluster installs and starts Docker if
# it is missing), a minimal cluster of the arm64 image under qemu,
# then on two hosts in a swarm (two Docker engines of the test's own).
test: test-debug test-release test-arm64 test-cluster test-arm64-cluster test-swarm

test-debug: debug
	@echo "== stage: unit and init tests (debug build)"
	@time ctest --preset debug -L "unit|init"

# The aarch64 binaries' unit and init tests, run here under qemu-user (no sanitizers there).
test-arm64: arm64
	@echo "== stage: arm64 tests (unit and init, aarch64 binaries under qemu)"
	@time ctest --preset arm64 -L '^arm64$$'

# The arm64 image and a minimal cluster of it under qemu (Docker; the image is built if needed).
test-arm64-cluster: release
	@echo "== stage: arm64 cluster (the arm64 image under qemu: mysql, slurmdbd, slurmctld, c1, login)"
	@time { bash tools/install-arm64-toolchain && ctest --preset release -L arm64-image --output-on-failure; }

test-release: release
	@echo "== stage: init tests (static release build)"
	@time ctest --preset release -L init

# COMPOSE=v1 or v2 runs them under one Compose; .ci/run runs both. LABEL=compose runs only the
# files that hold what Compose itself does (start, add, remove, stop); EXCLUDE=LABEL leaves some out.
test-cluster: release
	@echo "== stage: cluster tests (Docker, the image, Compose $${COMPOSE:-auto}, label $${LABEL:-cluster})"
	@time RQINIT_COMPOSE=$${COMPOSE:-auto} ctest --preset release -L $${LABEL:-cluster} $${EXCLUDE:+-LE $$EXCLUDE}

# Faults under load on the Compose cluster (tests/faults): each container's daemons killed while
# a job array, srun steps and an MPI job run; then every job and output is checked. Not yet in
# `make test`: c1's fault loses jobs today (tests/faults/test_faults.py says which).
test-faults: release
	@echo "== stage: faults under load (Compose $${COMPOSE:-auto})"
	@time RQINIT_COMPOSE=$${COMPOSE:-auto} ctest --preset release -L faults --output-on-failure

# The same faults three times on fresh clusters: median recovery times, and the work lost.
faults-report: release
	@echo "== stage: faults report (3 runs)"
	@time /usr/bin/python3 tests/faults/report.py --runs 3

test-swarm: release
	@echo "== stage: swarm tests (two Docker engines, the stack on both)"
	@time ctest --preset release -L swarm

bench: release
	@echo "== stage: benchmarks: rqinit against tini and dumb-init"
	@time /usr/bin/python3 bench/init_bench.py --rqinit build/release/rqinit --helpers build/release/bench

# The cluster against a shell-entrypoint baseline (about 11 minutes for 3 runs).
bench-cluster:
	@echo "== stage: benchmarks: the rqinit cluster against the shell-entrypoint baseline"
	@time /usr/bin/python3 bench/cluster_bench.py

# Phase 3 on two test engines against Compose on this one (about 15 minutes for 3 runs).
bench-swarm:
	@echo "== stage: benchmarks: the Swarm stack on two hosts, Compose as the reference"
	@time /usr/bin/python3 bench/swarm_bench.py --runs 3

# 4, 8, 16 and 32 classical nodes, rqinit and the shell baseline at each (about 25 minutes).
bench-scale:
	@echo "== stage: benchmarks: the cluster growing to 32 nodes, rqinit and the shell baseline"
	@time /usr/bin/python3 bench/scale_bench.py $(ARGS)

bench-qpu:
	@echo "== stage: benchmarks: what the qpu plugin adds to a job"
	@time /usr/bin/python3 bench/qpu_bench.py

bench-nfs: release
	@echo "== stage: benchmarks: rqinit's FUSE client against libnfs's own and the local disk"
	@cmake --build --preset release --target meta_loop nfs_meta_loop >/dev/null
	@time /usr/bin/python3 bench/nfs_bench.py

# Which documented behaviours no test holds: one small source change at a time, rebuilt and
# tested (tests/mutate.py lists them). Minutes; not part of `make test`.
mutate:
	@echo "== stage: mutation check (debug build)"
	@time /usr/bin/python3 tests/mutate.py

clean:
	rm -rf build

# The Compose cluster (stack/cluster does the work).
up:
	bash stack/cluster up
down:
	bash stack/cluster down
wipe:
	bash stack/cluster wipe
add-q1:
	bash stack/cluster add-q1
# make add-node NAME=c3 ROLE=c [SIZE="CPUs=4 RealMemory=1000"]; make remove-node NAME=c3
add-node:
	bash stack/cluster add-node "$(NAME)" "$(ROLE)" "$(SIZE)"
remove-node:
	bash stack/cluster remove-node "$(NAME)"
demo:
	bash stack/cluster demo
# ARCH=amd64|arm64|all: the image of one architecture, or both (rqinit/rasqberry:arm64 for
# arm64 on an x86_64 machine; the machine's own is rqinit/rasqberry:latest).
image:
	@case "$${ARCH:-native}" in \
	  native) bash images/build ;; \
	  all) bash images/build && RQINIT_ARCH=arm64 bash images/build ;; \
	  *) RQINIT_ARCH=$$ARCH bash images/build ;; \
	esac

# The cluster on two hosts with Docker Swarm, run on the manager (stack/swarm does the work).
deploy:
	bash stack/swarm deploy
undeploy:
	bash stack/swarm undeploy
# The stack that runs here: the Swarm stack `slurm` when this engine has it, else the Compose one.
reconfigure:
	@if docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx slurm; then \
	  bash stack/swarm reconfigure; else bash stack/cluster reconfigure; fi
