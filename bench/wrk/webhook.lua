-- Signed Cloudinary notifications, each sent once: thread i reads "$BENCH_WEBHOOK.<i>" (lines
-- "timestamp<TAB>signature<TAB>body") and stops once every one of its notifications has been answered.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  notes = {}
  for line in io.lines(os.getenv("BENCH_WEBHOOK") .. "." .. id) do
    local ts, sig, body = string.match(line, "^([^\t]*)\t([^\t]*)\t(.*)$")
    notes[#notes + 1] = {ts, sig, body}
  end
  sent, answered = 0, 0
end

function request()
  sent = sent % #notes + 1
  local n = notes[sent]
  return wrk.format("POST", "/webhooks/cloudinary",
    {["Content-Type"] = "application/json", ["X-Cld-Timestamp"] = n[1], ["X-Cld-Signature"] = n[2]}, n[3])
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #notes then wrk.thread:stop() end
end
