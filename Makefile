# Front door for people: `make demo` and `make check` work on a fresh Debian
# machine. Everything real is in CMake; this file only sequences the steps.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build check check-release check-asan check-fuzz demo bench fuzz fuzz-build clean deb
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 3

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# check-release runs every test twice: on SQLite and (pg.*) on a throw-away
# PostgreSQL server. The sanitizer run covers the PostgreSQL code through the
# unit tests (pg.unit.*) and leaves the end-to-end PostgreSQL pass to release.
# deb builds the Debian packages (no test rerun: nocheck) and checks them.
check: check-release check-asan check-fuzz deb

check-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  WARD_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -E '^pg\.e2e\.'

# The Debian packages ward and libward-dev in $(DEB_DIR)/ (dpkg-buildpackage
# on a copy of the tree), lintian-checked and unpacked to check them.
DEB_DIR ?= build-deb
deb: deps
	@scripts/deb.sh $(DEB_DIR) $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/ward

bench: build
	@scripts/deps.sh --bench
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz $(DEB_DIR)

fuzz-build:
	@scripts/deps.sh --fuzz
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DWARD_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# CI: every libFuzzer target briefly (clang; its corpus is also replayed by
# the release and sanitizer test runs above), from a fixed seed.
check-fuzz: fuzz-build
	@FUZZ_SEED=1 scripts/fuzz.sh build-fuzz $(CHECK_FUZZ_SECONDS)

# Run every libFuzzer target for FUZZ_SECONDS each, starting from a copy of the
# checked-in corpus (the repository's corpus grows by hand, with crashers).
fuzz: fuzz-build
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)
