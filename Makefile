# SPDX-License-Identifier: Apache-2.0
# The two commands a newcomer needs:
#   make run    install packages, build, build the default image, start Airlock
#   make test   install packages, build, run every test
STATE_DIR ?= /var/lib/airlock
BUILD ?= build

.PHONY: all deps build image run test unit bench clean

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
	@echo "Airlock is built and its default image is ready. Try:"
	@echo "  $(BUILD)/airlockd run -- uname -a"
	@echo "  $(BUILD)/airlockd run -it -- bash"
	@echo "  $(BUILD)/airlockd run --memory 256M --cpus 1 --profile strict -- python3 -c 'print(42)'"
	@echo "(the API server, 'airlockd serve', arrives with the API issue)"

test: deps image tests/e2e/node_modules
	@tests/run-all.sh $(BUILD) $(STATE_DIR)

# The official SDK and nothing else, from the npm registry, pinned by the lock file.
tests/e2e/node_modules: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
	@touch $@

unit: build
	meson test -C $(BUILD) --print-errorlogs

bench: image
	bench/startup $(BUILD) $(STATE_DIR)

clean:
	rm -rf $(BUILD)
