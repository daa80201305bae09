-- wrk script of `cargo xtask bench-scale`: `refresh.lua` (chained refreshes, one queue of tokens),
-- plus the 99.9th percentile and the maximum latency, which wrk's report does not print.
--
-- The queue holds up to a million tokens (about 400 MB of Lua strings): the garbage collector
-- is stopped once they are loaded, so that its pauses over that heap are not measured as the
-- server's latency. A run of a minute leaves a few GB of garbage, freed when wrk exits.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "refresh.lua")

local refresh_init = init
local refresh_done = done

function init(args)
   refresh_init(args)
   collectgarbage("collect")
   collectgarbage("stop")
end

function done(summary, latency, requests)
   refresh_done(summary, latency, requests)
   io.write(string.format("scale.lua: p999_us=%d max_us=%d\n",
      latency:percentile(99.9), latency.max))
end
