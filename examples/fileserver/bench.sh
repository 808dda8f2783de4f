#!/usr/bin/env bash
# bench.sh — load test: fileserver (extfs) against net/http.FileServer
# (fileserver -plain), over the same files, with wrk, on 127.0.0.1.
#
#   examples/fileserver/bench.sh            # 1 KiB, 1 MiB, 64 MiB; wrk -t2 -c32 -d10s --timeout 30s
#   DURATION=30s CONNS=64 ROUNDS=3 SIZES="1K 1M" examples/fileserver/bench.sh
#
# Installs wrk with apt-get if it is missing (root). The files are uploaded
# through the extfs server (so they carry their SHA-256 and content type in
# xattrs, as in production) into a fresh directory under $TMPDIR, read once
# through each server to check both send the same bytes and to warm the page
# cache, then each size is measured against each server in turn. Both
# servers are stopped (by their PIDs) and the directory removed on exit.
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
TIMEOUT=${TIMEOUT:-30s} # wrk's own default (2s) is too short for 64 MiB at 32 connections
ROUNDS=${ROUNDS:-1}
SIZES=${SIZES:-"1K 1M 64M"}
PORT_EXTFS=${PORT_EXTFS:-18080}
PORT_PLAIN=${PORT_PLAIN:-18081}
FLAGS=${FLAGS:-} # extra fileserver flags, e.g. FLAGS="-drop-behind 64M"

here=$(cd "$(dirname "$0")" && pwd)

if ! command -v wrk >/dev/null; then
	echo "bench.sh: installing wrk" >&2
	apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
fi
for tool in curl sha256sum; do
	command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/fileserver-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$here" && go build -o "$work/fileserver" .)
mkdir "$work/root"

"$work/fileserver" -addr "127.0.0.1:$PORT_EXTFS" $FLAGS "$work/root" 2>"$work/extfs.log" &
pids+=($!)
"$work/fileserver" -plain -addr "127.0.0.1:$PORT_PLAIN" "$work/root" 2>"$work/plain.log" &
pids+=($!)
for port in "$PORT_EXTFS" "$PORT_PLAIN"; do
	for _ in $(seq 100); do
		curl -fs -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.05
	done
	curl -fs -o /dev/null "http://127.0.0.1:$port/" || {
		echo "bench.sh: no server on port $port" >&2
		cat "$work"/*.log >&2
		exit 1
	}
done

bytes_of() { numfmt --from=iec "$1"; }

for size in $SIZES; do
	head -c "$(bytes_of "$size")" /dev/urandom >"$work/src"
	want=$(sha256sum <"$work/src" | cut -d' ' -f1)
	code=$(curl -s -o /dev/null -w '%{http_code}' -T "$work/src" -H 'Content-Type: application/octet-stream' \
		"http://127.0.0.1:$PORT_EXTFS/file-$size")
	[ "$code" = 201 ] || { echo "bench.sh: PUT file-$size: HTTP $code" >&2; exit 1; }
	for port in "$PORT_EXTFS" "$PORT_PLAIN"; do
		got=$(curl -fs "http://127.0.0.1:$port/file-$size" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$want" ] || { echo "bench.sh: port $port sends other bytes for file-$size" >&2; exit 1; }
	done
	etag=$(curl -fsI "http://127.0.0.1:$PORT_EXTFS/file-$size" | tr -d '\r' | sed -n 's/^[Ee]tag: "\(.*\)"$/\1/p')
	[ "$etag" = "$want" ] || echo "bench.sh: note: ETag of file-$size is '$etag', not its SHA-256" >&2
done
rm -f "$work/src"

# run SERVER PORT SIZE: one wrk run; prints "req/s transfer/s p50 p99".
run() {
	local out
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency "http://127.0.0.1:$2/file-$3")
	if grep -q 'Non-2xx' <<<"$out" || grep -q 'Socket errors' <<<"$out"; then
		echo "bench.sh: errors against $1 for $3:" >&2
		echo "$out" >&2
	fi
	awk '
		/^Requests\/sec:/ { rps = $2 }
		/^Transfer\/sec:/ { tps = $2 }
		$1 == "50%" { p50 = $2 }
		$1 == "99%" { p99 = $2 }
		END { printf "%s %s %s %s\n", rps, tps, p50, p99 }' <<<"$out"
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION --timeout $TIMEOUT, $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3)"
printf '%-6s %-5s | %-34s | %-34s\n' size round "extfs fileserver: req/s  xfer/s  p50  p99" "net/http.FileServer: req/s  xfer/s  p50  p99"
for size in $SIZES; do
	for round in $(seq "$ROUNDS"); do
		# Alternate which server goes first, so neither always gets the
		# machine right after the other's load.
		if ((round % 2)); then
			e=$(run extfs "$PORT_EXTFS" "$size")
			p=$(run plain "$PORT_PLAIN" "$size")
		else
			p=$(run plain "$PORT_PLAIN" "$size")
			e=$(run extfs "$PORT_EXTFS" "$size")
		fi
		read -r er et e50 e99 <<<"$e"
		read -r pr pt p50 p99 <<<"$p"
		printf '%-6s %-5s | %10s %9s %8s %8s | %10s %9s %8s %8s\n' "$size" "$round" \
			"$er" "$et" "$e50" "$e99" "$pr" "$pt" "$p50" "$p99"
	done
done
