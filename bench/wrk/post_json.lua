-- POST the JSON body in the file $BENCH_BODY on every request, with the bearer token $BENCH_TOKEN (a service token).
function init(args)
  local file = assert(io.open(os.getenv("BENCH_BODY"), "r"))
  body = file:read("*a")
  file:close()
  headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"), ["Content-Type"] = "application/json"}
end

function request()
  return wrk.format("POST", wrk.path, headers, body)
end
