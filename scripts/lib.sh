#!/usr/bin/env bash
# Shared by scripts/dev and scripts/test: install what is missing, and make
# sure a PostgreSQL is there (a private cluster in .data/ unless DATABASE_URL
# names one). Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_PORT="${FENCE_PG_PORT:-5433}"
PG_DATA="$ROOT/.data/pg"
say() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  say "installing $* (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The wasm target, cargo-leptos, a wasm-bindgen-cli matching Cargo.lock, and wasm-opt.
ensure_toolchain() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    say "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! command -v cargo-leptos >/dev/null || ! cargo-leptos --version | grep -q '0.3.10'; then
    say "installing cargo-leptos 0.3.10 (compiles for ~30 minutes, once)"
    cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
  fi
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")
  if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  command -v wasm-opt >/dev/null || apt_install binaryen
  if ! command -v cargo-sqlx >/dev/null || ! cargo sqlx --version | grep -q '0.8.6'; then
    say "installing sqlx-cli 0.8.6 (checks the committed .sqlx query data; ~5 minutes, once)"
    cargo install sqlx-cli --version 0.8.6 --locked --no-default-features --features postgres
  fi
  if ! command -v leptosfmt >/dev/null || ! leptosfmt --version | grep -q '0.1.33'; then
    say "installing leptosfmt 0.1.33 (formats view! markup; ~3 minutes, once)"
    cargo install leptosfmt --version 0.1.33 --locked
  fi
  # Builds read the committed `.sqlx/` query data, never a live database.
  export SQLX_OFFLINE=true
}

# The application role's URL for an owner URL: same server and database,
# the user `fence_app`, no password.
app_url_for() { printf '%s' "$1" | sed -E 's#://[^@/]*@#://fence_app@#; t; s#://#://fence_app@#'; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$d" ]; then
    apt_install postgresql postgresql-contrib
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$d"
}

# Runs a PostgreSQL server binary as the cluster's owner (initdb refuses root).
pg_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Exports DATABASE_URL: the given one, or the private cluster's (started,
# and created on first use; its data survives restarts).
ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "using DATABASE_URL"
    return
  fi
  local bin
  bin=$(pg_bin)
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    say "creating a private PostgreSQL cluster in .data/pg"
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --home "$ROOT/.data" postgres
      chown -R postgres "$ROOT/.data"
    fi
    pg_run "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! pg_run "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    # Another project's cluster may hold the port: take the next free one.
    while "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do PG_PORT=$((PG_PORT + 1)); done
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_run "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DATA -c max_connections=200" start >/dev/null
  fi
  PG_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid")
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/fence"
  if ! "$bin/psql" "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -Atc "select 1 from pg_database where datname='fence'" | grep -q 1; then
    "$bin/psql" "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -qc "create database fence" >/dev/null
  fi
}

# psql from the server's packages (present whenever pg_bin is).
psql_cmd() { "$(pg_bin)/psql" "$@"; }

# Chromium and the Playwright driver for the browser tests.
ensure_browser() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    say "installing Playwright (npm; the browser is Debian's chromium)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund >/dev/null)
  fi
}

# moto's S3 server (PyPI), for the object-storage tests: in .data/venv.
ensure_moto() {
  if [ ! -x "$ROOT/.data/venv/bin/moto_server" ]; then
    say "installing moto (S3 test server) into .data/venv"
    mkdir -p "$ROOT/.data"
    python3 -m venv "$ROOT/.data/venv"
    "$ROOT/.data/venv/bin/pip" install -q 'moto[server]'
  fi
}

# aiosmtpd and dnslib (PyPI): the real SMTP server the mail tests deliver
# to and the DNS server the custom-domain tests resolve against (started by
# the tests themselves through tests/peers/*.py), in .data/venv.
ensure_smtp_peer() {
  ensure_moto
  if ! "$ROOT/.data/venv/bin/python" -c 'import aiosmtpd, dnslib' 2>/dev/null; then
    say "installing aiosmtpd and dnslib (SMTP and DNS test servers) into .data/venv"
    "$ROOT/.data/venv/bin/pip" install -q aiosmtpd dnslib
  fi
}

# Starts moto on a free port with an empty bucket; sets TEST_S3_ENDPOINT,
# TEST_S3_BUCKET and MOTO_PID.
start_moto() {
  local port=5111
  while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  "$ROOT/.data/venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$ROOT/target/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
  curl -sf -X PUT "http://127.0.0.1:$port/fence-test" -o /dev/null
  export TEST_S3_ENDPOINT="http://127.0.0.1:$port" TEST_S3_BUCKET="fence-test"
}

# A current wasm-opt for release builds. Debian 12's binaryen (108) predates
# the reference-types output of wasm-bindgen 0.2.130 and emits a module that
# fails at start-up ("WebAssembly.Table.set(): Argument 1 is invalid"); npm's
# binaryen package ships a current one. Puts it first on PATH.
ensure_release_wasm_opt() {
  local dir="$ROOT/.data/binaryen"
  if [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
    say "installing binaryen 123 (wasm-opt) from npm into .data/binaryen"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent binaryen@123 >/dev/null)
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}
