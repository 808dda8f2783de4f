#!/usr/bin/env bash
# The whole extfs test suite, one command:
#
#   scripts/test.sh [go test flags...]      e.g. scripts/test.sh -v -run Fallocate
#
# 1. go vet, for this system and for darwin/arm64, darwin/amd64, windows/amd64
#    and the three BSDs (freebsd, openbsd, netbsd on amd64);
# 2. every test binary compiled for those systems, and a CGO_ENABLED=0 build;
# 3. the Windows tests under Wine, when scripts/test-windows-wine.sh exists;
# 4. go test -race -count=1 on this system (extra arguments go here).
#
# Every module in go.work is covered, or just the root module when there is no
# go.work. Steps keep going after a failure; the script exits non-zero if any
# failed and lists them at the end.
#
# Root is not needed: tests that need real filesystems (XFS, btrfs, tmpfs)
# then skip and say why (add -v to see it). As root, they mount loop images
# (internal/testfs). EXTFS_REQUIRE_FS=1 (set by .ci/run) turns such skips into
# failures.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=()

# run prints a command, with the environment it sets, then runs it.
run() {
	echo "+ $*" >&2
	env "$@"
}

# step runs a command as a named step and records its failure.
step() {
	local name=$1
	shift
	echo >&2
	echo "=== $name" >&2
	if ! run "$@"; then
		echo "--- step failed: $name" >&2
		failed+=("$name")
	fi
}

if ! command -v go >/dev/null; then
	echo "test.sh: go is not on PATH (install Go, or add /usr/local/go/bin to PATH)" >&2
	exit 1
fi
run go version

# Package patterns: one per module of the workspace, or of the root module.
# In workspace mode `go list -m` lists every module in go.work.
patterns=()
while IFS= read -r p; do
	patterns+=("$p")
done < <(go list -m -f '{{.Path}}/...')
if [[ ${#patterns[@]} -eq 0 ]]; then
	echo "test.sh: go list -m found no module" >&2
	exit 1
fi
if [[ -f go.work ]]; then
	echo "test.sh: go.work: testing ${patterns[*]}" >&2
fi

# The race detector needs cgo, and so a C compiler.
race=(-race)
if [[ "$(go env CGO_ENABLED)" != 1 ]] || ! command -v "$(go env CC)" >/dev/null; then
	if [[ "${EXTFS_REQUIRE_FS:-}" == 1 || "${CI:-}" == true ]]; then
		echo "test.sh: -race needs cgo and a C compiler ($(go env CC)); install gcc" >&2
		exit 1
	fi
	echo "test.sh: WARNING: no C compiler for cgo: testing without -race" >&2
	race=()
fi

step "go vet (native)" go vet "${patterns[@]}"

for target in darwin/arm64 darwin/amd64 windows/amd64 freebsd/amd64 openbsd/amd64 netbsd/amd64; do
	goos=${target%/*} goarch=${target#*/}
	step "go vet ($target)" GOOS="$goos" GOARCH="$goarch" go vet "${patterns[@]}"
	# Compile and link every test binary, run none.
	step "compile tests ($target)" GOOS="$goos" GOARCH="$goarch" go test -c -o /dev/null "${patterns[@]}"
done

step "build (linux, CGO_ENABLED=0)" CGO_ENABLED=0 GOOS=linux go build "${patterns[@]}"
step "compile tests (linux, CGO_ENABLED=0)" CGO_ENABLED=0 GOOS=linux go test -c -o /dev/null "${patterns[@]}"

# --- Hook: Windows tests under Wine -----------------------------------------
# scripts/test-windows-wine.sh, when it exists, builds the Windows test
# binaries and runs them under Wine. Its exit status counts like any step's.
if [[ -f scripts/test-windows-wine.sh ]]; then
	step "windows tests under wine" bash scripts/test-windows-wine.sh
else
	echo >&2
	echo "=== windows tests under wine: skipped (no scripts/test-windows-wine.sh)" >&2
fi
# -----------------------------------------------------------------------------

# --- Fuzzing, briefly: each target of fuzz_linux_test.go for a few seconds
# (longer by hand: go test -run '^$' -fuzz NAME -fuzztime 10m .).
if [[ $(uname -s) == Linux ]]; then
	for target in FuzzDirResolve FuzzFallocate FuzzXattr FuzzCopyRange FuzzCloneRange; do
		step "fuzz $target" go test -run '^$' -fuzz "^$target\$" -fuzztime "${EXTFS_FUZZTIME:-10s}" .
	done
fi

# --- io_uring disabled ---------------------------------------------------------
# Where the kernel refuses io_uring (sysctl, seccomp, gVisor) every operation
# must run, with the same results, on system calls. As root, with
# kernel.io_uring_disabled=2 (restored afterwards), the root and sys/linux
# suites run again under each EXTFS_ENGINE value; tests of the ring engine
# itself skip (EXTFS_NO_IO_URING=1 says why).
uring_sysctl=/proc/sys/kernel/io_uring_disabled
if [[ $(uname -s) == Linux && -w $uring_sysctl ]]; then
	uring_saved=$(cat "$uring_sysctl")
	trap 'echo "$uring_saved" >"$uring_sysctl"' EXIT
	echo 2 >"$uring_sysctl"
	# Without a ring every engine makes the same direct calls; the engines
	# differ only in how they choose and report that. So the whole suites
	# run once (auto), and for ring and syscall only the tests of what the
	# engine chooses (the copy, tree and Dir suites are the same there).
	skip='CopyTree|TestCopyFile|TestDir|Probe|Portable|Dedupe|Fsx|Crash|Fuzz'
	for engine in auto ring syscall; do
		only=()
		[[ $engine != auto ]] && only=(-skip "$skip")
		step "go test, io_uring disabled, EXTFS_ENGINE=$engine" EXTFS_ENGINE=$engine EXTFS_NO_IO_URING=1 \
			EXTFS_REQUIRE_IO_URING= go test ${race[@]+"${race[@]}"} -count=1 -timeout=5m ${only[@]+"${only[@]}"} . ./sys/linux
	done
	echo "$uring_saved" >"$uring_sysctl"
	trap - EXIT
elif [[ "${EXTFS_REQUIRE_FS:-}" == 1 ]]; then
	echo "test.sh: cannot write $uring_sysctl (not root?): the io_uring-disabled runs are required" >&2
	failed+=("io_uring disabled runs")
else
	echo >&2
	echo "=== io_uring disabled: skipped (needs root and $uring_sysctl)" >&2
fi
# -----------------------------------------------------------------------------

# The tests themselves, last, so that go test's summary ends the output.
# (${race[@]+...}: bash 3.2, macOS's, calls an empty array unbound under set -u.)
step "go test ${race[*]:-} -count=1 -timeout=5m" go test ${race[@]+"${race[@]}"} -count=1 -timeout=5m ${1+"$@"} "${patterns[@]}"

echo >&2
if [[ $(id -u) != 0 ]]; then
	echo "test.sh: not root: tests needing mounted filesystems were skipped (-v shows why)" >&2
fi
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "test.sh: FAIL: ${#failed[@]} step(s) failed:" >&2
	printf '  - %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "test.sh: PASS: all steps passed" >&2
