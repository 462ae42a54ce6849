-- Requests on behalf of many users: each request carries the next access token of $BENCH_TOKENS (one per
-- line; each thread starts at its own offset), method $BENCH_METHOD (default GET), empty body, and the Cookie
-- header $BENCH_COOKIE if set (wrk.format replaces, not merges, wrk's -H headers).
local counter = 0

function setup(thread)
  thread:set("offset", counter * 7)
  counter = counter + 1
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  method = os.getenv("BENCH_METHOD") or "GET"
  cookie = os.getenv("BENCH_COOKIE")
  turn = offset
end

function request()
  turn = turn % #tokens + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[turn]}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format(method, wrk.path, headers)
end
