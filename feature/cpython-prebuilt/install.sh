#!/bin/sh
# The cpython-prebuilt Dev Container Feature (SPEC_INFRA_001, UC-2): a thin shim that maps the
# Feature's options to `specgate install`. Every rule (verify before extract, validation, the
# atomic placement, idempotence) lives in the specgate binary; this script only translates.
#
# The devcontainers CLI runs this as root, from this folder, with each option upper-cased in the
# environment: VERSION, ARTIFACTURL, SHA256, MIRROR, SETDEFAULT, ALLOWHTTP, READTIMEOUT,
# RETRIES, LOCKTIMEOUT, MODULES, CACERTIFICATES, SIGNINGKEY, SIGNINGFINGERPRINT,
# INSTALLRUNTIMELIBRARIES, WHEELHOUSEURL, WHEELHOUSESHA256.
# With wheelhouseUrl, `specgate wheelhouse install` then installs the project's locked wheels
# into that interpreter with no package index (docs/wheelhouse.md).
# The binary `specgate` beside this script is a static build placed here by `make feature`
# (see README.md), so nothing else is downloaded and no package is added to the image; so is
# artifacts.json, the index of the ledger's Activo rows that `"version"` alone installs from.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

fail() {
    printf 'cpython-prebuilt: error: %s\n' "$1" >&2
    if [ -n "${2:-}" ]; then
        printf 'cpython-prebuilt: hint: %s\n' "$2" >&2
    fi
    exit 1
}

if [ -x "$here/specgate" ]; then
    specgate="$here/specgate"
elif command -v specgate >/dev/null 2>&1; then
    specgate=$(command -v specgate)
else
    fail "the specgate binary is not in the Feature folder ($here/specgate)" \
        "run \`make feature\` in the specgate repository before copying or publishing the Feature"
fi

version=${VERSION:-}
url=${ARTIFACTURL:-}
sha256=${SHA256:-}
mirror=${MIRROR:-}
set_default=${SETDEFAULT:-true}

allow_http=${ALLOWHTTP:-false}
read_timeout=${READTIMEOUT:-}
retries=${RETRIES:-}
lock_timeout=${LOCKTIMEOUT:-}
probe_timeout=${PROBETIMEOUT:-}
gpg_timeout=${GPGTIMEOUT:-}
modules=${MODULES:-}
ca_certificates=${CACERTIFICATES:-}
signing_key=${SIGNINGKEY:-}
signing_fingerprint=${SIGNINGFINGERPRINT:-}
install_libraries=${INSTALLRUNTIMELIBRARIES:-true}
wheelhouse_url=${WHEELHOUSEURL:-}
wheelhouse_sha256=${WHEELHOUSESHA256:-}
# The verified-artifact cache lives outside the image: a copy of the artifact in a layer would
# only make the image bigger. Offline and air-gapped builds use `mirror` instead.
cache="${TMPDIR:-/tmp}/specgate-feature-cache"

# The artifact's extension modules link the distro's shared libraries (ssl, sqlite3, ctypes,
# readline, curses, dbm). A minimal image lacks several; install only the missing ones, so a
# second run (and an image that has them) touches nothing and needs no network.
runtime_libraries() {
    [ -r /etc/os-release ] || return 0
    command -v dpkg-query >/dev/null 2>&1 || return 0
    # shellcheck disable=SC1091
    . /etc/os-release
    case "${ID:-}:${VERSION_ID:-}" in
        debian:12 | ubuntu:22.04)
            packages="libssl3 libsqlite3-0 libffi8 libbz2-1.0 liblzma5 libuuid1 zlib1g libreadline8 libncursesw6 libtinfo6 libgdbm6 libnsl2 libtirpc3 libcrypt1" ;;
        *)
            printf 'cpython-prebuilt: note: no runtime library list for %s %s; relying on the image\n' "${ID:-unknown}" "${VERSION_ID:-}" >&2
            return 0 ;;
    esac
    missing=
    for package in $packages; do
        if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
            missing="$missing $package"
        fi
    done
    [ -n "$missing" ] || return 0
    printf 'cpython-prebuilt: installing runtime libraries:%s\n' "$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Package lists the image already has are tried first: `apt-get update` is most of this
    # step's time. Without lists, or when they are too old to have the packages, update (and
    # then remove the lists this step fetched; lists that were the image's stay).
    updated=false
    # shellcheck disable=SC2086
    if ! { ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 \
        && apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; } \
        && ! { updated=true && apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
        clean_apt
        fail "could not install the runtime libraries:$missing" \
            "the image needs network access to its apt mirror (or these packages preinstalled); or set \"installRuntimeLibraries\": false and install them in the Dockerfile"
    fi
    clean_apt
}

# What apt leaves behind (its binary caches, the downloaded .debs, the package lists when this
# step fetched them) would stay in the Feature's layer: removed in the same step, as the
# devcontainers Features do.
clean_apt() {
    apt-get clean >/dev/null 2>&1 || true
    rm -rf /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*
    if [ "$updated" = true ]; then
        rm -rf /var/lib/apt/lists/*
    fi
}

[ -n "$version" ] || fail "option \`version\` is empty" \
    "set \"version\": \"X.Y.Z\" under the Feature in devcontainer.json"
if [ -n "$wheelhouse_sha256" ] && [ -z "$wheelhouse_url" ]; then
    fail "option \`wheelhouseSha256\` is set but \`wheelhouseUrl\` is empty" \
        "set \"wheelhouseUrl\" to the wheelhouse's URL (the URL column of its ledger row), or remove \"wheelhouseSha256\""
fi
# With no artifactUrl, the index `make feature` wrote from ARTIFACTS.md picks the artifact (the
# newest published build of this version for the image's distro) and its SHA-256.
if [ -n "$url" ]; then
    set -- install --version "$version" --url "$url"
elif [ -f "$here/artifacts.json" ]; then
    set -- install --version "$version" --index "$here/artifacts.json"
else
    fail "option \`artifactUrl\` is empty and the Feature has no index ($here/artifacts.json)" \
        "run \`make feature\` in the specgate repository (it writes the index from ARTIFACTS.md), or set \"artifactUrl\" to the artifact's URL (the URL column of ARTIFACTS.md)"
fi
if [ -n "$sha256" ]; then
    set -- "$@" --sha256 "$sha256"
fi
if [ -n "$mirror" ]; then
    set -- "$@" --mirror "$mirror"
fi
case "$set_default" in
    true | "") ;;
    false) set -- "$@" --no-default ;;
    *) fail "option \`setDefault\` is \`$set_default\`, not true or false" \
        "write \"setDefault\": false (a JSON boolean) in devcontainer.json" ;;
esac

case "$allow_http" in
    false | "") ;;
    true) set -- "$@" --allow-http ;;
    *) fail "option \`allowHttp\` is \`$allow_http\`, not true or false" \
        "write \"allowHttp\": true (a JSON boolean) in devcontainer.json" ;;
esac
# number OPTION NAME VALUE: append `OPTION VALUE` when VALUE is set; it must be digits.
number() {
    [ -n "$3" ] || return 0
    case "$3" in
        *[!0-9]*) fail "option \`$2\` is \`$3\`, not a whole number" \
            "write \"$2\": \"120\" (digits only) in devcontainer.json" ;;
    esac
    extra="$extra $1 $3"
}
extra=
number --read-timeout readTimeout "$read_timeout"
number --retries retries "$retries"
number --lock-timeout lockTimeout "$lock_timeout"
number --probe-timeout probeTimeout "$probe_timeout"
# What `wheelhouse install` shares with `install`: the download, lock and probe limits.
shared=$extra
number --gpg-timeout gpgTimeout "$gpg_timeout"
# shellcheck disable=SC2086 # the options and numbers above hold no spaces
set -- "$@" $extra

# modules: names separated by commas or spaces, each a dotted Python module name.
for module in $(printf '%s' "$modules" | tr ',' ' '); do
    case "$module" in
        *[!A-Za-z0-9_.]* | .* | *. | [0-9]*) fail "option \`modules\` names \`$module\`, which is not a Python module name" \
            "write \"modules\": \"ctypes, readline\" in devcontainer.json" ;;
    esac
    set -- "$@" --module "$module"
done

if [ -n "$ca_certificates" ]; then
    [ -r "$ca_certificates" ] || fail "option \`caCertificates\` names \`$ca_certificates\`, which is not a readable file in the image" \
        "copy the CA bundle into the image first (Dockerfile COPY), or name the image's own /etc/ssl/certs/ca-certificates.crt"
    SSL_CERT_FILE=$ca_certificates
    export SSL_CERT_FILE
fi

if [ -n "$signing_key" ] || [ -n "$signing_fingerprint" ]; then
    if [ -z "$signing_key" ] || [ -z "$signing_fingerprint" ]; then
        fail "options \`signingKey\` and \`signingFingerprint\` go together" \
            "set both: the public key file and the fingerprint it must have"
    fi
    case "$signing_key" in
        /*) ;;
        *) signing_key="$here/$signing_key" ;;
    esac
    set -- "$@" --signing-key "$signing_key" --signing-fingerprint "$signing_fingerprint"
fi
set -- "$@" --cache "$cache"

case "$install_libraries" in
    true | "") runtime_libraries ;;
    false) ;;
    *) fail "option \`installRuntimeLibraries\` is \`$install_libraries\`, not true or false" \
        "write \"installRuntimeLibraries\": false (a JSON boolean) in devcontainer.json" ;;
esac

status=0
"$specgate" "$@" || status=$?
if [ "$status" -eq 0 ] && [ -n "$wheelhouse_url" ]; then
    set -- wheelhouse install "$wheelhouse_url" --python "$version" --cache "$cache"
    [ -z "$wheelhouse_sha256" ] || set -- "$@" --sha256 "$wheelhouse_sha256"
    [ -z "$mirror" ] || set -- "$@" --mirror "$mirror"
    [ "$allow_http" != true ] || set -- "$@" --allow-http
    # shellcheck disable=SC2086 # the options and numbers above hold no spaces
    "$specgate" "$@" $shared || status=$?
fi
rm -rf "$cache"
exit "$status"
