-- wrk script for the load harness (tests/bench/load.rs, BENCHMARKS.md).
--
-- LOAD_SESSIONS names a Lua file returning the signed-in users: their tenant's
-- host, session cookie and the ids their writes touch. Every request picks a
-- user at random and one step of the mix below (pages rendered on the server,
-- the server functions the app calls, and writes: a quote saved as a new
-- version, a job moved on the schedule). LOAD_MODE=cheap asks an unknown
-- subdomain for its 404 instead; LOAD_MODE=plain asks `/` with no cookie
-- (the hello-world floor). LOAD_PAUSE_MIN/MAX (ms) put a think time before
-- every request of a connection. done() prints one JSON line for load.rs.

local mode = os.getenv("LOAD_MODE") or "mix"
local pmin = tonumber(os.getenv("LOAD_PAUSE_MIN") or "0")
local pmax = tonumber(os.getenv("LOAD_PAUSE_MAX") or "0")
local port = os.getenv("LOAD_PORT") or "3500"
local sessions = {}
if mode == "mix" then
  sessions = dofile(os.getenv("LOAD_SESSIONS"))
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
end

function delay()
  if pmax > 0 then
    return math.random(pmin, pmax)
  end
  return 0
end

local function get(s, path)
  return wrk.format("GET", path, { ["Host"] = s.host, ["Cookie"] = s.cookie, ["Accept"] = "text/html" })
end

local function call(s, endpoint, body)
  return wrk.format("POST", "/api/" .. endpoint, {
    ["Host"] = s.host,
    ["Cookie"] = s.cookie,
    ["Origin"] = "http://" .. s.host,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }, body)
end

local function slot()
  return string.format("%02d:%02d", math.random(7, 15), math.random(0, 3) * 15)
end

-- weight, request builder
local mix = {
  { 10, function(s) return get(s, "/customers") end },
  { 6,  function(s) return get(s, "/quotes") end },
  { 6,  function(s) return get(s, "/jobs") end },
  { 8,  function(s) return get(s, "/") end },
  { 4,  function(s) return get(s, "/customers/" .. s.customer) end },
  { 16, function(s) return call(s, "customers/list", "q=&page=1&archived=false") end },
  { 10, function(s) return call(s, "quotes/list", "") end },
  { 10, function(s) return call(s, "jobs/list", "") end },
  { 10, function(s) return call(s, "dashboard", "") end },
  { 8,  function(s) return call(s, "shell", "") end },
  { 7,  function(s) return call(s, "quotes/get", "id=" .. s.quote) end },
  { 3,  function(s) return call(s, "quotes/save", "id=" .. s.quote .. "&drawing=" .. s.drawing) end },
  { 2,  function(s)
      return call(s, "schedule/place", "id=" .. s.job .. "&crew_id=" .. s.crew .. "&day=" .. s.day
        .. "&start=" .. slot() .. "&minutes=60")
    end },
}
local total = 0
for _, m in ipairs(mix) do total = total + m[1] end

function request()
  if mode == "cheap" then
    return wrk.format("GET", "/", { ["Host"] = "no-such-tenant.localhost:" .. port })
  elseif mode == "plain" then
    return wrk.format("GET", "/", { ["Host"] = "localhost:" .. port })
  end
  local s = sessions[math.random(#sessions)]
  local r = math.random(total)
  for _, m in ipairs(mix) do
    r = r - m[1]
    if r <= 0 then return m[2](s) end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LOADJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
