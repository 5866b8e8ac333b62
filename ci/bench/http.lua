-- wrk script for the signed-in JSON API benchmarks. Sessions come from files that
-- ci/bench/seed.py writes; each thread takes its own share of them, so requests chained on
-- one session are never in flight at once.
--
--   wrk -t T ... -s http.lua URL -- MODE FILE T
--   MODE: account  GET /api/v1/account, rotating over signed-in sessions
--         codes    a code request, then a wrong code, on each waiting session in turn
--         sign-in  the right password for each account in turn (FILE: accounts.txt)
-- Any other answer than the expected one is counted; done() prints the figures as JSON.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode, file, total = args[1], args[2], tonumber(args[3])
  local all = {}
  for line in io.lines(file) do table.insert(all, line) end
  mine = {}
  for i = id + 1, #all, total do table.insert(mine, all[i]) end
  if #mine == 0 then error("no sessions for thread " .. id) end
  n, unexpected, last_unexpected = 0, 0, ""
  json = { ["Content-Type"] = "application/json" }
end

local function on(i)
  return mine[(i % #mine) + 1]
end

function request()
  n = n + 1
  if mode == "account" then
    return wrk.format("GET", "/api/v1/account", { ["Cookie"] = on(n) })
  elseif mode == "codes" then
    -- Two requests pipelined on one connection, so the server takes them in order: a code is
    -- sent, then a wrong one is tried (seven digits: no six-digit code sent can be it, where
    -- "000000" would sign a session in once in a million codes). Each counts as a request.
    local headers = { ["Content-Type"] = "application/json", ["Cookie"] = on(n) }
    return wrk.format("POST", "/api/v1/sign-in/code/send", headers, '{"delivery":"sms"}')
      .. wrk.format("POST", "/api/v1/sign-in/code", headers, '{"code":"0000000"}')
  else
    local email, password = on(n):match("([^\t]+)\t(.+)")
    return wrk.format("POST", "/api/v1/sign-in", json,
      string.format('{"email":"%s","password":"%s"}', email, password))
  end
end

-- A wrong code is refused (422, credentials); everything else must be accepted (200).
function response(status, headers, body)
  local expected = 200
  if mode == "codes" and body:find('"reason":"code_wrong"', 1, true) then expected = 422 end
  if status ~= expected then
    unexpected = unexpected + 1
    last_unexpected = status .. " " .. body:sub(1, 160)
  end
end

function done(summary, latency, requests)
  local odd, example = 0, ""
  for _, thread in ipairs(threads) do
    odd = odd + thread:get("unexpected")
    local seen = thread:get("last_unexpected")
    if seen ~= "" then example = seen end
  end
  io.write(string.format(
    '{"requests": %d, "rps": %.0f, "p50_ms": %.2f, "p99_ms": %.2f, "socket_errors": %d, "unexpected": %d, "example": %q}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, odd, example))
end
