#!/usr/bin/env bash
# Installs code-server (npm package) into the cache folder, once, and prints the path of its entry script.
#   scripts/code-server.sh            install if missing, print "<node> <entry.js>" paths (two lines: NODE=, ENTRY=)
#   scripts/code-server.sh --check    exit 0 when the cached install is complete, 1 otherwise
# code-server needs Node 24 (our devDependency `node`) to run and to build its native modules
# (Debian: build-essential python3 libkrb5-dev). Nothing is downloaded but npm packages.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
cache="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
dir="$cache/code-server-$CODE_SERVER_VERSION"
entry="$dir/node_modules/code-server/out/node/entry.js"
marker="$dir/.installed"

node24="$repo/node_modules/node/bin/node"
if [[ ! -x "$node24" ]]; then
  echo "code-server.sh: $node24 is missing: run 'npm ci' first" >&2
  exit 1
fi
node_version="$("$node24" --version)"
if [[ "$node_version" != v24.* ]]; then
  echo "code-server.sh: code-server needs Node 24, $node24 is $node_version" >&2
  exit 1
fi

log() { printf '[code-server] %s\n' "$*" >&2; }

# The native modules are built for one Node ABI: the marker records the Node major they were built with.
installed() { [[ -f "$marker" && -f "$entry" && "$(cat "$marker")" == "node-v24" ]]; }

if [[ "${1:-}" == "--check" ]]; then
  installed
  exit $?
fi

if ! installed; then
  missing=()
  for tool in make g++ python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [[ -f /usr/include/krb5.h || -f /usr/include/krb5/krb5.h ]] || missing+=("libkrb5-dev headers")
  if ((${#missing[@]})); then
    log "missing build prerequisites: ${missing[*]} (Debian: apt-get install -y build-essential python3 libkrb5-dev)"
    exit 1
  fi
  log "installing code-server $CODE_SERVER_VERSION into $dir (first time only: several minutes, builds native modules)"
  start=$SECONDS
  rm -rf "$dir"
  mkdir -p "$dir"
  # npm 11 runs no dependency install scripts unless allowed: code-server's postinstall installs VS Code's own
  # dependencies (lib/vscode, whose package.json allows its native modules), argon2 is a native module.
  cat >"$dir/package.json" <<JSON
{
  "name": "etcd-profiler-code-server",
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  # npm itself (a script with `#!/usr/bin/env node`) and the postinstall's nested npm runs must see Node 24.
  # Under `npm test` / `npm run demo` the outer npm (maybe the system's, on another Node) left its npm_* variables
  # in the environment; npm reads npm_config_* as its own config, and code-server's postinstall takes the Node
  # version from npm_config_user_agent: drop them, so this npm describes itself.
  (
    cd "$dir"
    while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -i '^npm_')
    PATH="$(dirname "$node24"):$PATH" npm install --no-audit --no-fund --loglevel=warn >"$dir/install.log" 2>&1
  ) || {
    log "npm install failed; the last lines of $dir/install.log:"
    tail -40 "$dir/install.log" >&2
    exit 1
  }
  [[ -f "$entry" ]] || { log "install finished but $entry is missing"; exit 1; }
  echo "node-v24" >"$marker"
  log "installed in $((SECONDS - start)) s"
fi
echo "NODE=$node24"
echo "ENTRY=$entry"
