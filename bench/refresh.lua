-- wrk script of `cargo xtask bench`: every request refreshes with a token that an earlier response
-- returned, as a real client does, and each token is sent exactly once, so per-token state in the
-- server (replay detection) is measured as production sees it.
--
-- CCSTORE_BENCH_TOKENS      file of tokens, one per line, that seeds the queue (minted for the run
--                           or left over by the previous run)
-- CCSTORE_BENCH_TOKENS_OUT  file where done() writes the tokens still queued, to chain runs
--
-- Run wrk with one thread (-t1): the queue lives in that thread's Lua state. The queue is shared
-- by all connections of the thread, so a connection sends the oldest queued token, returned by
-- some earlier response, not necessarily its own previous one (wrk's hooks do not say which
-- connection they serve). Seed it with more tokens than connections: a refused request returns no
-- token, and a queue that runs dry sends "Bearer starved" (a 401, counted).

wrk.method = "POST"
wrk.body = "{}"

-- The thread's queue and counters are globals so that done() can read them with thread:get.
queue, first, last = {}, 1, 0
responses, ok, non200, missing, starved = 0, 0, 0, 0, 0

local headers = { ["Content-Type"] = "application/json" }
local threads = {}

local function push(token)
   last = last + 1
   queue[last] = token
end

local function pop()
   if first > last then
      return nil
   end
   local token = queue[first]
   queue[first] = nil
   first = first + 1
   return token
end

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("id", #threads)
end

function init(args)
   if id ~= 1 then
      error("refresh.lua: run wrk with one thread (-t1)")
   end
   local path = os.getenv("CCSTORE_BENCH_TOKENS")
   if path == nil then
      error("refresh.lua: CCSTORE_BENCH_TOKENS must name a file of tokens")
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
      local q, f, l = thread:get("queue"), thread:get("first"), thread:get("last")
      for i = f, l do
         t.left = t.left + 1
         if out then
            out:write(q[i], "\n")
         end
      end
   end
   if out then
      out:close()
   end
   io.write(string.format(
      "refresh.lua: responses=%d ok=%d non200=%d missing_token=%d starved=%d tokens_left=%d\n",
      t.responses, t.ok, t.non200, t.missing, t.starved, t.left))
end
