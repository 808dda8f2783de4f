#!/usr/bin/env bash
# fio-cold.sh — what the disk gives without Go: fio reads the file set of
# BenchmarkColdRead (2,000 files of 256 KiB) in 64 KiB reads from a cold page
# cache, in one job and one thread:
#
#   io_uring, iodepth 64 and 256, sequential and random
#   psync (one pread at a time),  sequential and random
#
#   bench/fio-cold.sh                          # as root
#   EXTFS_BENCH_DIR=/mnt/data bench/fio-cold.sh
#
# The files are $EXTFS_BENCH_DIR/read/r0000 … r1999, by default under
# ${TMPDIR:-/tmp}/extfs-bench-cold, the same files as the Go benchmark (made
# here if missing, reused when present with the right size). The page cache
# is dropped before every run (sync; echo 3 > /proc/sys/vm/drop_caches). fio
# reads buffered (--direct=0), as os.File.ReadAt does, and takes the files
# round robin, within each file sequentially or at random offsets. Installs
# fio with apt-get if it is missing.
set -euo pipefail

files=2000
size=$((256 << 10))
dir=${EXTFS_BENCH_DIR:-${TMPDIR:-/tmp}/extfs-bench-cold}
set_dir=$dir/read

if [ "$(id -u)" != 0 ]; then
	echo "fio-cold.sh: dropping the page cache needs root" >&2
	exit 1
fi
if ! command -v fio >/dev/null; then
	echo "fio-cold.sh: installing fio" >&2
	apt-get install -y fio >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y fio >/dev/null; }
fi

# The file set: random bytes (not zeros), fully allocated, 256 KiB each.
mkdir -p "$set_dir"
made=0
for ((i = 0; i < files; i++)); do
	f=$(printf '%s/r%04d' "$set_dir" "$i")
	if [ -f "$f" ]; then
		read -r bytes blocks <<<"$(stat -c '%s %b' "$f")"
		if [ "$bytes" = "$size" ] && ((blocks * 512 >= size)); then
			continue
		fi
	fi
	head -c "$size" /dev/urandom >"$f"
	made=$((made + 1))
done
extra=$(find "$set_dir" -maxdepth 1 -type f ! -name 'r[0-9][0-9][0-9][0-9]' | wc -l)
if [ "$extra" != 0 ]; then
	echo "fio-cold.sh: $set_dir holds $extra other files; fio --opendir would read them too" >&2
	exit 1
fi

drop() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# run ENGINE IODEPTH RW: one fio run; prints GB/s and what was read.
run() {
	local out
	drop
	out=$(fio --name=cold --opendir="$set_dir" --rw="$3" --bs=64k --ioengine="$1" --iodepth="$2" \
		--numjobs=1 --direct=0 --minimal 2>/dev/null)
	# Terse format v3: field 6 KiB read, field 9 run time in ms.
	awk -F';' '$1 == 3 { printf "%6.2f GB/s  (%d MiB in %d ms)\n", $6 * 1024 / ($9 / 1000) / 1e9, $6 / 1024, $9 }' <<<"$out"
}

echo "fio $(fio --version | sed 's/^fio-//'), $files x $((size >> 10)) KiB in $set_dir ($(findmnt -n -o FSTYPE -T "$set_dir") on $(findmnt -n -o SOURCE -T "$set_dir")), made $made files now"
echo "$(nproc) CPUs, $(uname -sr); 64 KiB reads, cold page cache, one job, one thread"
for rw in read randread; do
	printf '%-9s io_uring iodepth 64:  %s\n' "$rw" "$(run io_uring 64 "$rw")"
	printf '%-9s io_uring iodepth 256: %s\n' "$rw" "$(run io_uring 256 "$rw")"
	printf '%-9s psync:                %s\n' "$rw" "$(run psync 1 "$rw")"
done

# The shape of BenchmarkBatchColdRead: the first 64 KiB of each of 256
# files, all in flight at once (iodepth 256, one file after another).
batch() {
	local names out
	names=$(cd "$set_dir" && ls | head -256 | paste -sd:)
	drop
	out=$(fio --name=batch --directory="$set_dir" --filename="$names" --size=16M --rw=read --bs=64k \
		--ioengine=io_uring --iodepth=256 --numjobs=1 --direct=0 --minimal 2>/dev/null)
	awk -F';' '$1 == 3 { printf "%6.1f MB/s  (%d MiB in %d ms)\n", $6 * 1024 / ($9 / 1000) / 1e6, $6 / 1024, $9 }' <<<"$out"
}
for i in 1 2 3; do
	printf 'batch shape (256 files x 64 KiB), io_uring iodepth 256, run %d: %s\n' "$i" "$(batch)"
done
