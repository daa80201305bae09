-- wrk script of `bench/soak`: every request presents the same credential (CCSTORE_SOAK_TOKEN, or
-- none when it is empty) and done() prints the count of each status, so a class of requests that
-- must all be refused can be checked. Run with one thread (-t1).

wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("CCSTORE_SOAK_TOKEN") or ""
if token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

counts = {}

function response(status)
   counts[status] = (counts[status] or 0) + 1
end

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function done()
   local total = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("counts")) do
         total[status] = (total[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(total) do
      parts[#parts + 1] = string.format("%d=%d", status, count)
   end
   table.sort(parts)
   io.write("fixed.lua: statuses " .. table.concat(parts, " ") .. "\n")
end
