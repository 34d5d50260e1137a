-- wrk script: each request submits a verified review with a fresh invitation token, read
-- from $TOKENS_FILE; thread k of $WRK_THREADS takes lines k, k+n, k+2n, …. When the tokens
-- run out it sends an unknown token, answered 404 and counted by wrk as non-2xx: a run that
-- reports any non-2xx response is void.
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    tokens[#tokens + 1] = line
  end
  step = tonumber(os.getenv("WRK_THREADS") or "2")
  i = id + 1
end

function request()
  local token = tokens[i] or "exhausted"
  i = i + step
  local body = '{"token":"' .. token .. '","rating":4,"title":"Ottimo servizio",' ..
    '"body":"Consegna puntuale e prodotto come descritto.","author_name":"Cliente","nps":9}'
  return wrk.format("POST", "/api/v1/reviews", { ["Content-Type"] = "application/json" }, body)
end
