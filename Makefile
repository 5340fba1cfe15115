# The two commands: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc)
export CCACHE_DIR ?= $(HOME)/.cache/runlet-ccache
# Paths relative to the checkout, so that a clone in another folder (CI) hits the cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: run test setup build build-test bench clean web build-fuzz fuzz fuzz-ci test-images

setup:
	scripts/setup

# The web UI (web/, Vite + TypeScript), served by `runlet serve` at /. npm installs its
# packages once per package-lock.json; Vite rebuilds it when a source changes.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build
web: setup web/dist/index.html

build: setup web
	cmake --preset release >/dev/null
	cmake --build build/release -j$(JOBS) --target runlet

build-test: setup web
	cmake --preset asan >/dev/null
	cmake --build build/asan -j$(JOBS)

test-images: setup web
	cmake --preset asan >/dev/null
	cmake --build build/asan -j$(JOBS) --target runlet
	scripts/test-images start build/asan "$$(sed -n 's/^RUNLET_TEST_IMAGES:PATH=//p' build/asan/CMakeCache.txt)"

LISTEN ?= 127.0.0.1:8080
run: build
	@if [ "$$(id -u)" -ne 0 ]; then echo "make run: the sandbox needs root (sudo make run)"; exit 1; fi
	build/release/src/cli/runlet serve --listen $(LISTEN)

# The fuzz harnesses first (seeds, regressions, a short fuzz of each), then every other
# suite; scripts/run-tests retries a failed test up to twice and names it. The runtime
# images the image tests need start building (in the background, at idle priority) as
# soon as `runlet` is linked: on a cold machine they take longer than the compile.
test: test-images build-test build-fuzz
	scripts/run-tests build/fuzz -L fuzz
	scripts/run-tests build/asan

# Fuzzing (fuzz/): the libFuzzer harnesses, built with clang by their own preset.
# `make fuzz` runs each for FUZZ_SECONDS from its seeds and the corpus it grew before;
# `make fuzz-ci` (part of `make test`) replays every seed and regression input, then
# fuzzes each for FUZZ_CI_SECONDS. A crash's input lands in build/fuzz/crashes/NAME/.
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 15
FUZZERS := $(patsubst fuzz/%_fuzz.cpp,%,$(wildcard fuzz/*_fuzz.cpp))
build-fuzz: setup
	cmake --preset fuzz -DRUNLET_FUZZ_CI_SECONDS=$(FUZZ_CI_SECONDS) >/dev/null
	cmake --build build/fuzz -j$(JOBS) --target runlet_fuzzers

fuzz: build-fuzz
	@failed=""; for f in $(FUZZERS); do \
	  fuzz/run.sh fuzz build/fuzz/fuzz/$${f}_fuzz $$f $(FUZZ_SECONDS) || failed="$$failed $$f"; \
	done; if [ -n "$$failed" ]; then echo "make fuzz: crashes in:$$failed (build/fuzz/crashes/)"; exit 1; fi

fuzz-ci: build-fuzz
	scripts/run-tests build/fuzz -L fuzz

bench: build
	cmake --build build/release -j$(JOBS)
	bench/run_all build/release
	bench/runtimes/run.sh --runlet build/release/src/cli/runlet
	bench/server/server_bench.py --runlet build/release/src/cli/runlet
	bench/workspace_bench.py --runlet build/release/src/cli/runlet

clean:
	rm -rf build
