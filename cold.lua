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
	if first == 0 then first = now() end
	local i = id + issued * T
	issued = issued + 1
	return wrk.format("GET", string.format("/%s%05d", prefix, i))
end

function done(summary, latency, requests)
	local t0, t1, n, want = math.huge, 0, 0, 0
	for _, t in ipairs(threads) do
		t0, t1 = math.min(t0, t:get("first")), math.max(t1, t:get("last"))
		n, want = n + t:get("got"), want + t:get("share")
	end
	io.write(string.format("cold: %d %d %.6f\n", n, want, t1 - t0))
end
function response(status, headers, body)
	if status ~= 200 then io.write("status " .. status .. " body " .. body .. "\n") end
end
