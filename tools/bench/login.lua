-- tools/bench/login.lua: wrk script for tools/bench/run's login throughput:
-- every request is POST /api/auth/session/login with one account's e-mail
-- and password (BENCH_EMAIL, BENCH_PASSWORD from the environment).
local email = os.getenv("BENCH_EMAIL") or "bench@example.com"
local password = os.getenv("BENCH_PASSWORD") or "correct horse battery staple 42"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s","friendly_name":"bench"}', email, password)
