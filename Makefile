# SPDX-License-Identifier: Apache-2.0
# The two commands a newcomer needs:
#   make run    install packages, build, build the default image, start Airlock
#   make test   install packages, build, run every test
STATE_DIR ?= /var/lib/airlock
LISTEN ?= 127.0.0.1:8080
BUILD ?= build

.PHONY: all deps build image run test ci-extra unit fuzz bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

image: build
	$(BUILD)/airlockd --state-dir $(STATE_DIR) image build

run: deps image
	@echo
	@echo "Starting airlockd; export the three variables it prints, then use the SDK."
	@echo "One-shot sandboxes work without the server: $(BUILD)/airlockd run -it -- bash"
	exec $(BUILD)/airlockd --state-dir $(STATE_DIR) serve --listen $(LISTEN)

test: deps image tests/e2e/node_modules
	@tests/run-all.sh $(BUILD) $(STATE_DIR)

# The official SDK and nothing else, from the npm registry, pinned by the lock file.
tests/e2e/node_modules: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
	@touch $@

# CI's second half (.ci/run): fuzzing 30 s per target, unit, end-to-end and
# security suites under ASan+UBSan (build-asan), clang-tidy.
ci-extra: deps image tests/e2e/node_modules
	@tests/ci-extra.sh $(STATE_DIR)

unit: build
	meson test -C $(BUILD) --print-errorlogs

fuzz:
	tests/fuzz/run.sh 60

bench: image tests/e2e/node_modules
	bench/startup $(BUILD) $(STATE_DIR)
	node bench/api.mjs
	node bench/state.mjs
	node bench/abuse.mjs

clean:
	rm -rf $(BUILD) build-fuzz build-asan
