-- wrk script: POST /v1/messages with a different destination each request.
-- Reads SMSGATE_AUTH (base64 key:secret) and SMSGATE_FROM from the environment.
local counter = 0
local auth = os.getenv("SMSGATE_AUTH")
local from = os.getenv("SMSGATE_FROM")

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  n = 0
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Basic " .. auth
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local to = string.format("+1415555%04d", (id * 5003 + n) % 10000)
  local body = string.format('{"to":"%s","from":"%s","body":"Your code is %06d"}', to, from, n % 1000000)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, non2xx, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
