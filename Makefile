# SPDX-License-Identifier: MIT
# Thin wrapper around CMake/ctest. Every target first installs what is
# missing (scripts/install-deps.sh), so on a fresh Debian 12 machine
# `make demo` and `make test` are the whole set-up.

JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
WERROR  ?= OFF
CMAKE_ARGS ?=
CTEST_ARGS ?=

DEBUG_DIR   := build/debug
RELEASE_DIR := build/release
ASAN_DIR    := build/asan
TSAN_DIR    := build/tsan

.PHONY: all deps demo test bench asan tsan model apidoc clean fuzz

all: test

deps:
	@scripts/install-deps.sh

# configure(<dir>, <build type>, <extra cmake args>)
define configure
	cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=$(2) -DRESV_WERROR=$(WERROR) $(3) $(CMAKE_ARGS) >/dev/null
	cmake --build $(1) -j $(JOBS)
endef

demo: deps
	$(call configure,$(RELEASE_DIR),Release,)
	$(RELEASE_DIR)/sim/resv-sim $(RESV_SIM_ARGS)

test: deps
	$(call configure,$(DEBUG_DIR),Debug,)
	cd $(DEBUG_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Every benchmark in full; the record goes to bench/results/, the plots to docs/plots/.
bench: deps
	@scripts/install-deps.sh gnuplot-nox jq
	$(call configure,$(RELEASE_DIR),Release,)
	scripts/run-bench.sh $(RELEASE_DIR)

asan: deps
	$(call configure,$(ASAN_DIR),Debug,-DRESV_SANITIZE=address)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

tsan: deps
	$(call configure,$(TSAN_DIR),Debug,-DRESV_SANITIZE=thread)
	cd $(TSAN_DIR) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/scripts/tsan.supp" \
		ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Model-check the ww_mutex algorithm (docs/model/ww_mutex.pml) with spin.
model:
	@scripts/install-deps.sh spin
	scripts/check-model.sh

# libFuzzer over the simulator's ioctls (fuzz/README.md): clang build with
# ASan+UBSan, FUZZ_SECONDS of fuzzing from the committed corpus (copied: new
# inputs go to build/fuzz/corpus, crashes to fuzz/crashes/). The shared ASan
# runtime comes after libFuzzer's libstdc++: verify_asan_link_order=0.
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
fuzz:
	@scripts/install-deps.sh clang libclang-rt-dev
	CC=clang cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRESV_DEBUG=ON \
		-DRESV_LOCKDEP=ON -DRESV_SANITIZE=address -DRESV_FUZZ=ON -DRESV_BUILD_BENCH=OFF \
		-DRESV_BUILD_EXAMPLES=OFF -DRESV_WERROR=$(WERROR) $(CMAKE_ARGS) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_ioctl
	mkdir -p $(FUZZ_DIR)/corpus fuzz/crashes
	cp fuzz/corpus/* $(FUZZ_DIR)/corpus/
	ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		RESV_REPORT_ABORT=1 $(FUZZ_DIR)/fuzz/fuzz_ioctl -max_total_time=$(FUZZ_SECONDS) \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix=fuzz/crashes/ $(FUZZ_DIR)/corpus

# API reference from the header comments; fails if a public symbol is undocumented.
apidoc:
	@scripts/install-deps.sh doxygen
	python3 scripts/kerneldoc.py check include/resv/*.h $(wildcard sim/include/sim/*.h)
	mkdir -p build/apidoc
	doxygen docs/Doxyfile
	@echo "apidoc: build/apidoc/html/index.html ($$(wc -l < build/apidoc/warnings.log) doxygen warnings in build/apidoc/warnings.log)"

clean:
	rm -rf build
