-- wrk: M1 of bench/mix.py — report an event as the grid worker, accept it and dispatch it as
-- the community — as a stream of single mutations over any number of connections. wrk does
-- not say which request a response answers, so the answer says it: a reported event's id
-- waits to be accepted, an accepted one to be dispatched; each request takes the furthest
-- step waiting (dispatch, then accept), else reports a new event. At the end one line
-- `RESULT requests seconds p50_us p99_us errors non2xx dispatched` for bench/peer/versus.
-- Environment: WORKER_TOKEN, COMMUNITY_TOKEN, GRID (a region id), DEPARTMENT (an id).
local worker = "Bearer " .. os.getenv("WORKER_TOKEN")
local community = "Bearer " .. os.getenv("COMMUNITY_TOKEN")
local grid, department = os.getenv("GRID"), os.getenv("DEPARTMENT")
local to_accept, to_dispatch = {}, {}
dispatched, failed_steps = 0, 0

local REPORT = '{"query":"mutation($g: ID!) { reportEvent(input: {title: \\"压测事件\\", kind: HAZARD, '
  .. 'category: \\"safety/fire\\", source: PATROL, occurredAt: \\"2026-06-01T08:00:00Z\\", regionId: $g}) '
  .. '{ id } }","variables":{"g":"' .. grid .. '"}}'
local ACCEPT = '{"query":"mutation($e: ID!) { acceptEvent(id: $e) { id status } }","variables":{"e":"%s"}}'
local DISPATCH = '{"query":"mutation($e: ID!, $d: ID!) { dispatchEvent(id: $e, department: $d) { id status } }",'
  .. '"variables":{"e":"%s","d":"' .. department .. '"}}'

-- the counts live in each thread's Lua state; done() runs in another and asks them
local threads = {}
setup = function(thread) table.insert(threads, thread) end

local function post(token, body)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json", ["Authorization"] = token}, body)
end

request = function()
  if #to_dispatch > 0 then
    return post(community, string.format(DISPATCH, table.remove(to_dispatch, 1)))
  elseif #to_accept > 0 then
    return post(community, string.format(ACCEPT, table.remove(to_accept, 1)))
  end
  return post(worker, REPORT)
end

response = function(status, headers, body)
  local reported = body:match('"reportEvent":{"id":"([^"]+)"')
  if reported then table.insert(to_accept, reported); return end
  local accepted = body:match('"acceptEvent":{"id":"([^"]+)","status":"ACCEPTED"')
  if accepted then table.insert(to_dispatch, accepted); return end
  if body:match('"dispatchEvent":{"id":"[^"]+","status":"DISPATCHED"') then dispatched = dispatched + 1; return end
  failed_steps = failed_steps + 1
end

done = function(summary, latency, requests)
  local e, all_dispatched, all_failed = summary.errors, 0, 0
  for _, thread in ipairs(threads) do
    all_dispatched = all_dispatched + thread:get("dispatched")
    all_failed = all_failed + thread:get("failed_steps")
  end
  io.write(string.format("RESULT %d %.6f %d %d %d %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + all_failed,
    e.status, all_dispatched))
end
