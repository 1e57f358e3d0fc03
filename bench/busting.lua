-- Each request asks for the page with a query parameter no request asked for before
-- (?r=<start second>-<thread>-<n>): a cache-busting script, as a hostile or unlucky reader
-- would run it. bench/busting.py appends wrk_report.lua's summary line to this script.
local threads = 0

setup = function(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local counter = 0
local prefix = ""

init = function(args)
  prefix = (string.find(wrk.path, "?", 1, true) and "&" or "?") .. "r=" .. os.time() .. "-" ..
    tostring(thread_id) .. "-"
end

request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. prefix .. counter)
end

