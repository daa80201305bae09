-- wrk script of `cargo xtask bench-scale`: `refresh.lua` (chained refreshes, one queue of tokens),
-- plus the 99.9th percentile and the maximum latency, which wrk's report does not print.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "refresh.lua")

local refresh_done = done

function done(summary, latency, requests)
   refresh_done(summary, latency, requests)
   io.write(string.format("scale.lua: p999_us=%d max_us=%d\n",
      latency:percentile(99.9), latency.max))
end
