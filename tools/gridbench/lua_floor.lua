-- The floor of a screening decision's script work on this machine: the 8
-- Redis calls one decision makes inside the grid-transaction script (request
-- log x3, version guard, person and arrival records, arrival window, trim),
-- N times in one script run, with 300-byte payloads. See docs/performance.md:
--   redis-cli -p PORT --eval tools/gridbench/lua_floor.lua , 10000 $(head -c 300 /dev/zero | tr '\0' x)
--   redis-cli -p PORT info commandstats | grep eval
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('HGET', 'log', 'f' .. i)
  redis.call('HGET', 'log2', 'f' .. i)
  redis.call('HGET', 'p' .. i, 'v')
  redis.call('HSET', 'p' .. i, 'v', '1', 'p', ARGV[2])
  redis.call('HSET', 'a' .. i, 'v', '1', 'p', ARGV[2])
  redis.call('ZADD', 'z', i, 'a' .. i)
  redis.call('ZREMRANGEBYSCORE', 'z', '-inf', '(0')
  redis.call('HSET', 'log', 'f' .. i, ARGV[2])
end
return n
