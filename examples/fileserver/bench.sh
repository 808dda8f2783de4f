#!/usr/bin/env bash
# bench.sh — load test: fileserver (extfs) against net/http.FileServer
# (fileserver -plain), over the same files, with wrk, on 127.0.0.1.
#
#   examples/fileserver/bench.sh            # 1 KiB, 1 MiB, 64 MiB; wrk -t2 -c32 -d10s --timeout 30s
#   DURATION=30s CONNS=64 ROUNDS=3 SIZES="1K 1M" examples/fileserver/bench.sh
#   COLD=1 examples/fileserver/bench.sh     # cold page cache: 2,000 files of 256 KiB, wrk -c512
#
# Installs wrk with apt-get if it is missing (root). The files are uploaded
# through the extfs server (so they carry their SHA-256 and content type in
# xattrs, as in production) into a fresh directory under $TMPDIR, read once
# through each server to check both send the same bytes and to warm the page
# cache, then each size is measured against each server in turn. Both
# servers are stopped (by their PIDs) and the directory removed on exit.
#
# thr is the peak thread count of the server process during the run
# (/proc/PID/status, sampled every 50 ms). Go never gives threads back: in
# the default (hot) mode the servers live through all runs, so a run's peak
# includes the threads earlier runs made.
#
# COLD=1: the page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches,
# root) before each run, and each server is started afresh for its run, so
# that thr is that run's alone. A run reads NFILES files (default 2,000) of
# each size (default SIZES=256K) once each, every request a different file,
# over CONNS connections (default 512); wrk then waits out DURATION (default
# 10s, an upper bound). Reported per server: MB/s of bodies from the first
# request to the last response, p50 and p99 latency, thr. READAT=1 (the
# default with COLD=1; READAT=0 turns it off) adds a third server,
# fileserver -readat, which sends bodies with extfs File.ReadAt instead of
# sendfile: the one whose reads go through extfs's engine.
set -euo pipefail

COLD=${COLD:-0}
if ((COLD)); then
	CONNS=${CONNS:-512}
	SIZES=${SIZES:-256K}
	DURATION=${DURATION:-10s}
else
	CONNS=${CONNS:-32}
	SIZES=${SIZES:-"1K 1M 64M"}
	DURATION=${DURATION:-10s}
fi
NFILES=${NFILES:-2000}
READAT=${READAT:-$COLD}
THREADS=${THREADS:-2}
TIMEOUT=${TIMEOUT:-30s} # wrk's own default (2s) is too short for 64 MiB at 32 connections
ROUNDS=${ROUNDS:-1}
PORT_EXTFS=${PORT_EXTFS:-18080}
PORT_PLAIN=${PORT_PLAIN:-18081}
PORT_READAT=${PORT_READAT:-18082}
FLAGS=${FLAGS:-} # extra fileserver flags, e.g. FLAGS="-drop-behind 64M"

here=$(cd "$(dirname "$0")" && pwd)

if ((COLD)) && [ "$(id -u)" != 0 ]; then
	echo "bench.sh: COLD=1 drops the page cache: run as root" >&2
	exit 1
fi
if ! command -v wrk >/dev/null; then
	echo "bench.sh: installing wrk" >&2
	apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
fi
for tool in curl sha256sum; do
	command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/fileserver-bench.XXXXXX")
declare -A port=([extfs]=$PORT_EXTFS [plain]=$PORT_PLAIN [readat]=$PORT_READAT)
declare -A flags=([extfs]="$FLAGS" [plain]="-plain" [readat]="-readat $FLAGS")
declare -A label=([extfs]="extfs fileserver" [plain]="net/http.FileServer" [readat]="extfs -readat")
declare -A spid=() # running servers
servers=(extfs plain)
((READAT)) && servers+=(readat)

cleanup() {
	for s in "${!spid[@]}"; do
		kill -TERM "${spid[$s]}" 2>/dev/null || true
		wait "${spid[$s]}" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# start SERVER: starts it and waits until it answers.
start() {
	# shellcheck disable=SC2086 # flags are words
	"$work/fileserver" ${flags[$1]} -addr "127.0.0.1:${port[$1]}" "$work/root" 2>>"$work/$1.log" &
	spid[$1]=$!
	for _ in $(seq 100); do
		curl -fs -o /dev/null "http://127.0.0.1:${port[$1]}/" && return
		sleep 0.05
	done
	echo "bench.sh: no server on port ${port[$1]}" >&2
	cat "$work"/*.log >&2
	exit 1
}

# stop SERVER
stop() {
	kill -TERM "${spid[$1]}"
	wait "${spid[$1]}" 2>/dev/null || true
	unset "spid[$1]"
}

(cd "$here" && go build -o "$work/fileserver" .)
mkdir "$work/root"
for s in "${servers[@]}"; do start "$s"; done

bytes_of() { numfmt --from=iec "$1"; }

# The files: file-SIZE (hot), or cold-SIZE-00000 … (cold, NFILES of them,
# the same bytes under every name; each is its own inode on disk).
for size in $SIZES; do
	head -c "$(bytes_of "$size")" /dev/urandom >"$work/src"
	want=$(sha256sum <"$work/src" | cut -d' ' -f1)
	if ((COLD)); then
		names=$(seq -f "cold-$size-%05g" 0 $((NFILES - 1)))
		xargs -P 8 -I{} curl -fs -o /dev/null -T "$work/src" -H 'Content-Type: application/octet-stream' \
			"http://127.0.0.1:$PORT_EXTFS/{}" <<<"$names" || { echo "bench.sh: uploading the cold files failed" >&2; exit 1; }
		name=cold-$size-00000
	else
		name=file-$size
		code=$(curl -s -o /dev/null -w '%{http_code}' -T "$work/src" -H 'Content-Type: application/octet-stream' \
			"http://127.0.0.1:$PORT_EXTFS/$name")
		[ "$code" = 201 ] || { echo "bench.sh: PUT $name: HTTP $code" >&2; exit 1; }
	fi
	for s in "${servers[@]}"; do
		got=$(curl -fs "http://127.0.0.1:${port[$s]}/$name" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$want" ] || { echo "bench.sh: $s sends other bytes for $name" >&2; exit 1; }
	done
	etag=$(curl -fsI "http://127.0.0.1:$PORT_EXTFS/$name" | tr -d '\r' | sed -n 's/^[Ee]tag: "\(.*\)"$/\1/p')
	[ "$etag" = "$want" ] || echo "bench.sh: note: ETag of $name is '$etag', not its SHA-256" >&2
done
rm -f "$work/src"
if ((COLD)); then
	for s in "${servers[@]}"; do stop "$s"; done # each cold run starts its own
fi

# The cold runs' wrk script: thread i of T requests files i, i+T, i+2T, …,
# each once; a connection with nothing left to ask sleeps (delay), and the
# thread stops when all its responses are in. delay() runs once per
# connection before its first request and once after each response: that is
# how responses are counted without making wrk copy the bodies (as a
# response() callback would). Times come from CLOCK_MONOTONIC through ffi.
cat >"$work/cold.lua" <<'EOF'
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long sec; long nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts.sec) + tonumber(ts.nsec) * 1e-9
end

local threads, nthreads = {}, 0
function setup(thread)
	thread:set("id", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	T, conns, nfiles, prefix = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), args[4]
	share = 0
	for _ = id, nfiles - 1, T do share = share + 1 end
	conns = math.floor(conns / T) -- wrk gives each thread connections/threads
	delays, got, reserved, issued, first, last = 0, 0, 0, 0, 0, 0
end

-- Every request() follows a delay() of its connection that returned 0, but
-- not at once (a timer runs in between): a file is taken here, in delay().
function delay()
	delays = delays + 1
	got = math.max(0, delays - conns)
	if got >= share then
		last = now()
		wrk.thread:stop()
	end
	if reserved >= share then return 3600000 end
	reserved = reserved + 1
	return 0
end

function request()
	local path = string.format("/%s%05d", prefix, id + issued * T)
	if issued >= reserved then
		-- wrk calls request() once before the run, to check the script
		-- (pipelining): that request is never sent.
		return wrk.format("GET", path)
	end
	if first == 0 then first = now() end
	issued = issued + 1
	return wrk.format("GET", path)
end

function done(summary, latency, requests)
	local t0, t1, n, want = math.huge, 0, 0, 0
	for _, t in ipairs(threads) do
		t0, t1 = math.min(t0, t:get("first")), math.max(t1, t:get("last"))
		n, want = n + t:get("got"), want + t:get("share")
	end
	io.write(string.format("cold: %d %d %.6f\n", n, want, t1 - t0))
end
EOF

# peak_threads PID: prints the peak Threads of PID, sampled every 50 ms, to stdout
# when it gets SIGTERM (or PID exits).
peak_threads() {
	local peak=0 n
	trap 'echo "$peak"; exit 0' TERM
	while [ -e "/proc/$1" ]; do
		n=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0)
		((n > peak)) && peak=$n
		sleep 0.05 &
		wait $! || true
	done
	echo "$peak"
}

# run SERVER SIZE: one wrk run; prints "req/s transfer/s p50 p99 thr" (hot)
# or "MB/s p50 p99 thr" (cold).
run() {
	local out url=http://127.0.0.1:${port[$1]} script=() wpid peak
	if ((COLD)); then
		sync
		echo 3 >/proc/sys/vm/drop_caches
		start "$1"
		# run is a subshell: the EXIT trap of the script does not cover it.
		trap 'kill -TERM "${spid['"$1"']}" 2>/dev/null || true' EXIT
		script=(-s "$work/cold.lua" "$url/" -- "$THREADS" "$CONNS" "$NFILES" "cold-$2-")
	else
		script=("$url/file-$2")
	fi
	peak_threads "${spid[$1]}" >"$work/peak" &
	wpid=$!
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency "${script[@]}")
	kill -TERM "$wpid"
	wait "$wpid" || true
	peak=$(cat "$work/peak")
	if ((COLD)); then
		stop "$1"
		trap - EXIT
	fi
	if grep -q 'Non-2xx' <<<"$out" || grep -q 'Socket errors' <<<"$out"; then
		echo "bench.sh: errors against $1 for $2:" >&2
		echo "$out" >&2
	fi
	awk -v cold="$COLD" -v size="$(bytes_of "$2")" -v thr="$peak" '
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { tps = $2 }
		$1 == "50%" { p50 = $2 }
		$1 == "99%" { p99 = $2 }
		$1 == "cold:" { n = $2; want = $3; secs = $4 }
		END {
			if (!cold) { printf "%s %s %s %s %s\n", rps, tps, p50, p99, thr; exit }
			if (n < want) { printf "incomplete(%d/%d) %s %s %s\n", n, want, p50, p99, thr; exit }
			printf "%.0f %s %s %s\n", n * size / secs / 1e6, p50, p99, thr
		}' <<<"$out"
}

if ((COLD)); then
	echo "COLD: $NFILES files per size, each read once per run from a dropped page cache; wrk -t$THREADS -c$CONNS --timeout $TIMEOUT"
	fmt='%10s %8s %8s %5s' width=34
	cols="MB/s  p50  p99  thr"
else
	echo "wrk -t$THREADS -c$CONNS -d$DURATION --timeout $TIMEOUT"
	fmt='%10s %9s %8s %8s %5s' width=44
	cols="req/s  xfer/s  p50  p99  thr"
fi
echo "$(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), files on $(findmnt -n -o FSTYPE -T "$work") ($(findmnt -n -o SOURCE -T "$work"))"
printf '%-6s %-5s' size round
for s in "${servers[@]}"; do printf " | %-*s" "$width" "${label[$s]}: $cols"; done
echo
for size in $SIZES; do
	for round in $(seq "$ROUNDS"); do
		# Rotate which server goes first, so none always gets the machine
		# right after another's load.
		declare -A res=()
		n=${#servers[@]}
		for ((k = 0; k < n; k++)); do
			s=${servers[$(((k + round - 1) % n))]}
			res[$s]=$(run "$s" "$size")
		done
		printf '%-6s %-5s' "$size" "$round"
		for s in "${servers[@]}"; do
			# shellcheck disable=SC2086 # the fields are words
			printf " | $fmt" ${res[$s]}
		done
		echo
	done
done
