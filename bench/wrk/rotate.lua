-- Refresh-token rotation: one connection per thread, each thread owns one sign-in (token family) and
-- sends back the cookie the previous answer set. Tokens: one per line in $BENCH_TOKENS.
local counter = 0
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end

function setup(thread)
  counter = counter + 1
  thread:set("token", tokens[counter])
end

function request()
  return wrk.format("POST", "/auth/refresh", {["Cookie"] = "refresh_token=" .. token})
end

function response(status, headers, body)
  local cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if status == 200 and cookie then
    token = string.match(cookie, "refresh_token=([^;]+)")
  end
end
