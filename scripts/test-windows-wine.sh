#!/usr/bin/env bash
# The Windows tests of extfs, run for real under Wine:
#
#   scripts/test-windows-wine.sh [test binary flags...]   e.g. -test.run Dir
#
# 1. finds Wine (wine64) and the MinGW cross compiler, installing them with
#    apt-get when missing and running as root (Debian, Ubuntu);
# 2. builds bcryptprimitives.dll from scripts/wine/processprng.c: Go 1.22 and
#    later need its ProcessPrng at start-up, which Wine 8.0 lacks;
# 3. makes a private Wine prefix (cached, see EXTFS_WINEPREFIX) and puts the
#    DLL in its system32 when Wine has none;
# 4. cross-compiles the test binaries of the root package and sys/windows
#    (GOOS=windows GOARCH=amd64 go test -c) and runs each under Wine with
#    -test.v, printing go test's PASS/FAIL/SKIP lines (the whole output of a
#    binary that fails); exits non-zero if any fails.
#
# Without Wine (and not root, or without apt-get) it skips with what to
# install — and fails instead when EXTFS_REQUIRE_FS=1 or CI=true, so that CI
# cannot pass by skipping.
#
# Environment:
#   EXTFS_WINEPREFIX  the Wine prefix to use (default: a private one under
#                     ${XDG_CACHE_HOME:-~/.cache}/extfs, made once per Wine
#                     version and kept; CI makes it in ~15 s)
#   WINE              the Wine loader (default: /usr/lib/wine/wine64, or
#                     wine64 / wine on PATH)
#   EXTFS_WINE_TIMEOUT  seconds allowed per test binary (default 300)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
packages=(. ./sys/windows)

say() { echo "test-windows-wine: $*" >&2; }

required() { [[ "${EXTFS_REQUIRE_FS:-}" == 1 || "${CI:-}" == true ]]; }

# unavailable skips (exit 0) with reason, or fails under CI.
unavailable() {
	if required; then
		say "FAIL: $1 (EXTFS_REQUIRE_FS=1 or CI=true: Wine is required)"
		exit 1
	fi
	say "SKIP: $1"
	exit 0
}

# lap prints the time a step took.
lap_start=$SECONDS
lap() {
	say "$1 ($((SECONDS - lap_start)) s)"
	lap_start=$SECONDS
}

if ! command -v go >/dev/null; then
	say "go is not on PATH"
	exit 1
fi

find_wine() {
	if [[ -n "${WINE:-}" ]]; then
		command -v "$WINE" || true
		return
	fi
	local w
	for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
		if [[ -n "$w" && -x "$w" ]]; then
			echo "$w"
			return
		fi
	done
}

mingw=x86_64-w64-mingw32-gcc
wine=$(find_wine)
if [[ -z "$wine" ]] || ! command -v "$mingw" >/dev/null; then
	need="wine64 gcc-mingw-w64-x86-64"
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "installing $need (apt-get)"
		if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need; } >&2; then
			unavailable "apt-get could not install $need"
		fi
		wine=$(find_wine)
		lap "installed $need"
	fi
	if [[ -z "$wine" ]] || ! command -v "$mingw" >/dev/null; then
		unavailable "Wine and the MinGW cross compiler are needed to run the Windows tests. Install them:
    Debian/Ubuntu:  sudo apt-get install --no-install-recommends wine64 gcc-mingw-w64-x86-64
    macOS:          brew install --cask wine-stable && brew install mingw-w64
  (Debian's loader is /usr/lib/wine/wine64; set WINE= to use another one)"
	fi
fi
wineserver=$(dirname "$wine")/wineserver
[[ -x "$wineserver" ]] || wineserver=$(command -v wineserver || true)
wine_version=$("$wine" --version 2>/dev/null || echo unknown)
say "using $wine ($wine_version)"

export WINEDEBUG=-all
export WINEARCH=win64
# No Mono or Gecko installer dialogs while the prefix is made; no display.
export WINEDLLOVERRIDES="mscoree=;mshtml="
unset DISPLAY WAYLAND_DISPLAY

cache=${XDG_CACHE_HOME:-$HOME/.cache}/extfs
export WINEPREFIX=${EXTFS_WINEPREFIX:-$cache/wineprefix-$(echo "$wine_version" | tr -c 'A-Za-z0-9.\n' '_')}
work=$(mktemp -d "${TMPDIR:-/tmp}/extfs-wine.XXXXXX")

cleanup() {
	# Stop this prefix's wineserver (it lingers a few seconds after the
	# last program) so that nothing outlives the script.
	if [[ -n "$wineserver" ]]; then
		"$wineserver" -k >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# --- The ProcessPrng shim ----------------------------------------------------
"$mingw" -O2 -shared -s -o "$work/bcryptprimitives.dll" scripts/wine/processprng.c -ladvapi32

# --- The prefix ----------------------------------------------------------------
mkdir -p "$(dirname "$WINEPREFIX")"
prepare_prefix() {
	if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
		say "making the Wine prefix $WINEPREFIX"
		if ! "$wine" wineboot --init >"$work/wineboot.log" 2>&1; then
			cat "$work/wineboot.log" >&2
			return 1
		fi
		"$wineserver" -w
	fi
	local dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
	# Wine 8.0 has no bcryptprimitives.dll: put the shim there. A Wine that
	# has its own keeps it.
	if [[ ! -e "$dll" || -f "$dll.extfs-shim" ]]; then
		cp "$work/bcryptprimitives.dll" "$dll"
		touch "$dll.extfs-shim"
	fi
}
if command -v flock >/dev/null; then
	# Two runs sharing the cached prefix must not make it at the same time.
	exec 9>"$WINEPREFIX.lock"
	flock 9
	prepare_prefix
	flock -u 9
else
	prepare_prefix
fi
lap "Wine prefix ready: $WINEPREFIX"

# --- Build ---------------------------------------------------------------------
bins=()
for pkg in "${packages[@]}"; do
	name=$(echo "${pkg#./}" | tr '/.' '__')
	[[ "$name" == _ ]] && name=extfs
	bin="$work/$name.test.exe"
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$bin" "$pkg"
	if [[ -f "$bin" ]]; then # no test files: go test -c writes nothing
		bins+=("$pkg=$bin")
	fi
done
lap "built ${#bins[@]} test binaries"

# --- Run -----------------------------------------------------------------------
failed=()
for entry in "${bins[@]}"; do
	pkg=${entry%%=*} bin=${entry#*=}
	log="$work/$(basename "$bin").log"
	t0=$SECONDS
	set +e
	limit=()
	if command -v timeout >/dev/null; then # GNU coreutils; not on macOS by default
		limit=(timeout "${EXTFS_WINE_TIMEOUT:-300}")
	fi
	"${limit[@]}" "$wine" "$bin" -test.v -test.count=1 "$@" >"$log" 2>&1
	rc=$?
	set -e
	tr -d '\r' <"$log" >"$log.txt"
	if [[ $rc == 0 ]]; then
		# go test's own lines: each result, with what a skipped test said
		# (its log lines come before its --- SKIP line).
		awk '/^=== (RUN|CONT|PAUSE|NAME)/ { buf = ""; next }
		     /^[[:space:]]*--- (PASS|SKIP|FAIL)/ { print; if ($0 ~ /--- SKIP/) printf "%s", buf; buf = ""; next }
		     /^[[:space:]]/ { buf = buf $0 "\n"; next }
		     /^(PASS|FAIL)$/ { print }' "$log.txt"
		echo "ok  	$pkg (windows/amd64 under Wine)	$((SECONDS - t0)) s"
	else
		cat "$log.txt"
		[[ $rc == 124 ]] && echo "test-windows-wine: $pkg: timed out after ${EXTFS_WINE_TIMEOUT:-300} s"
		echo "FAIL	$pkg (windows/amd64 under Wine, exit $rc)	$((SECONDS - t0)) s"
		failed+=("$pkg")
	fi
done

say "done in $((SECONDS - started)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
	say "FAIL: ${failed[*]}"
	exit 1
fi
say "PASS"
