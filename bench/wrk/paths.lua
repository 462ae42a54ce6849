-- GET the next path of $BENCH_PATHS (one per line; each thread starts at its own offset) on every request.
local counter = 0

function setup(thread)
  thread:set("offset", counter * 7)
  counter = counter + 1
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  turn = offset
end

function request()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end
