# The two commands: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc)
export CCACHE_DIR ?= $(HOME)/.cache/runlet-ccache

.PHONY: run test setup build build-test bench clean

setup:
	scripts/setup

build: setup
	cmake --preset release >/dev/null
	cmake --build build/release -j$(JOBS) --target runlet

build-test: setup
	cmake --preset asan >/dev/null
	cmake --build build/asan -j$(JOBS)

run: build
	scripts/demo build/release/src/cli/runlet

test: build-test
	cd build/asan && ctest --output-on-failure -j1

bench: build
	cmake --build build/release -j$(JOBS)
	bench/run_all build/release

clean:
	rm -rf build
