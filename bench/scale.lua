-- wrk script of `cargo xtask bench-scale`: chained refreshes as in `refresh.lua` (every request
-- presents a token an earlier answer returned; CCSTORE_BENCH_TOKENS seeds the queue and
-- CCSTORE_BENCH_TOKENS_OUT receives what is left), with the queue a preallocated ring instead of
-- a growing table: with a million tokens queued, a table whose keys keep climbing is rehashed
-- and rescanned by the garbage collector over and over, and wrk, not the server, becomes what
-- is measured. Also prints the 99.9th percentile and the maximum latency.

local new_table = require("table.new")

ring, size, head, count = nil, 0, 0, 0
responses, ok, non200, missing, starved = 0, 0, 0, 0, 0

local headers = { ["Content-Type"] = "application/json" }
local threads = {}

wrk.method = "POST"
wrk.body = "{}"

local function push(token)
   if count == size then
      return
   end
   ring[(head + count) % size] = token
   count = count + 1
end

local function pop()
   if count == 0 then
      return nil
   end
   local token = ring[head]
   ring[head] = false
   head = (head + 1) % size
   count = count - 1
   return token
end

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("id", #threads)
end

function init(args)
   if id ~= 1 then
      error("scale.lua: run wrk with one thread (-t1)")
   end
   local path = os.getenv("CCSTORE_BENCH_TOKENS")
   if path == nil then
      error("scale.lua: CCSTORE_BENCH_TOKENS must name a file of tokens")
   end
   local lines = 0
   for _ in io.lines(path) do
      lines = lines + 1
   end
   -- Room for every token and one more per connection in flight.
   size = lines + 1024
   ring = new_table(size, 0)
   for i = 0, size - 1 do
      ring[i] = false
   end
   for line in io.lines(path) do
      if line ~= "" then
         push(line)
      end
   end
end

function request()
   local token = pop()
   if token == nil then
      starved = starved + 1
      token = "starved"
   end
   headers["Authorization"] = "Bearer " .. token
   return wrk.format(nil, nil, headers)
end

function response(status, _, body)
   responses = responses + 1
   if status ~= 200 then
      non200 = non200 + 1
      return
   end
   local token = string.match(body, '"access_token":"([^"]+)"')
   if token then
      ok = ok + 1
      push(token)
   else
      missing = missing + 1
   end
end

function done(summary, latency, requests)
   local out_path = os.getenv("CCSTORE_BENCH_TOKENS_OUT")
   local out = out_path and assert(io.open(out_path, "w"))
   local t = { responses = 0, ok = 0, non200 = 0, missing = 0, starved = 0, left = 0 }
   for _, thread in ipairs(threads) do
      for _, name in ipairs({ "responses", "ok", "non200", "missing", "starved" }) do
         t[name] = t[name] + thread:get(name)
      end
      local r, s, h, c = thread:get("ring"), thread:get("size"), thread:get("head"), thread:get("count")
      for i = 0, c - 1 do
         t.left = t.left + 1
         if out then
            out:write(r[(h + i) % s], "\n")
         end
      end
   end
   if out then
      out:close()
   end
   io.write(string.format(
      "refresh.lua: responses=%d ok=%d non200=%d missing_token=%d starved=%d tokens_left=%d\n",
      t.responses, t.ok, t.non200, t.missing, t.starved, t.left))
   io.write(string.format("scale.lua: p999_us=%d max_us=%d\n",
      latency:percentile(99.9), latency.max))
end
