-- wrk script: GET /v1/whoami, the cheapest authenticated endpoint (the HTTP stack's ceiling).
local auth = os.getenv("SMSGATE_AUTH")

function init(args)
  wrk.headers["Authorization"] = "Basic " .. auth
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end
