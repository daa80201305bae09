//! The Lua scripts that change a session's hash in Redis, each one atomic on one key (so on one
//! cluster slot). They apply the rule of `record.rs`, field for field;
//! keep the two in step.
//!
//! Fields of `ccstore:{<sid>}`: `revoked` (until when), `keep` (until when the record must live:
//! the latest `exp` seen), `h:<id>` = `<expires>:<parent id>` (a token that may be refreshed),
//! `r:<id>` = `<at>:<expires>:<moved on 0/1>` (a token refreshed at `at`). Records written by
//! the previous version (`h:<id>` = `<expires>`, `r:<id>` = `<at>`) are read too, so a rolling
//! upgrade logs nobody out. Every time is clamped by the caller (`MAX_RECORD_SECONDS`), so sums
//! stay exact in Lua's doubles and `EXPIRE` never refuses one.

/// The refresh-once rule. Answers 0 revoked, 1 rotated, 2 within grace, 3 replayed, 4 retried.
pub(super) const ROTATE: &str = r"
local key, token, successor = KEYS[1], ARGV[1], ARGV[2]
local now, grace = tonumber(ARGV[3]), tonumber(ARGV[4])
local successor_expires, token_expires = tonumber(ARGV[5]), tonumber(ARGV[6])
local keep, max_tracked = tonumber(ARGV[7]), tonumber(ARGV[8])
local fields = redis.call('HGETALL', key)
local known = #fields > 0
local revoked, kept = 0, 0
local heads, retired, me_head, me_retired = {}, {}, nil, nil
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  local kind, id = string.sub(name, 1, 2), string.sub(name, 3)
  if name == 'revoked' then
    revoked = tonumber(value) or 0
  elseif name == 'keep' then
    kept = tonumber(value) or 0
  elseif kind == 'h:' then
    local expires, parent = string.match(value, '^(%d+):?(.*)$')
    expires = tonumber(expires)
    if expires and expires > now then
      local entry = {name = name, id = id, expires = expires, parent = parent}
      heads[#heads + 1] = entry
      if id == token then me_head = entry end
    else
      redis.call('HDEL', key, name)
    end
  elseif kind == 'r:' then
    local at, expires, moved = string.match(value, '^(%d+):?(%d*):?(%d?)$')
    at = tonumber(at)
    if expires == nil or expires == '' then expires, moved = math.huge, '1' end
    expires = tonumber(expires)
    if at and expires > now and (moved == '0' or now <= at + grace) then
      local entry = {name = name, id = id, at = at, expires = expires, moved = moved}
      retired[#retired + 1] = entry
      if id == token then me_retired = entry end
    else
      redis.call('HDEL', key, name)
    end
  end
end
if revoked > now then return 0 end
local function forget_oldest(entries, by)
  if #entries >= max_tracked then
    table.sort(entries, function(a, b) return a[by] < b[by] end)
    redis.call('HDEL', key, entries[1].name)
  end
end
local function retire()
  forget_oldest(retired, 'at')
  redis.call('HSET', key, 'r:' .. token, now .. ':' .. token_expires .. ':0')
end
local outcome
if me_head then
  redis.call('HDEL', key, me_head.name)
  for i, head in ipairs(heads) do
    if head == me_head then table.remove(heads, i) break end
  end
  for _, parent in ipairs(retired) do
    if parent.id == me_head.parent and parent.moved ~= '1' then
      redis.call('HSET', key, parent.name, parent.at .. ':' .. parent.expires .. ':1')
    end
  end
  retire()
  outcome = 1
elseif me_retired then
  if now <= me_retired.at + grace then
    outcome = 2
  else
    local kept_heads = {}
    for _, head in ipairs(heads) do
      if head.parent == token then
        redis.call('HDEL', key, head.name)
      else
        kept_heads[#kept_heads + 1] = head
      end
    end
    heads = kept_heads
    outcome = 4
  end
elseif known then
  return 3
else
  retire()
  outcome = 1
end
forget_oldest(heads, 'expires')
redis.call('HSET', key, 'h:' .. successor, successor_expires .. ':' .. token)
local until_ = now + keep
if until_ > kept then
  redis.call('HSET', key, 'keep', until_)
  kept = until_
end
if redis.call('TTL', key) < kept - now then redis.call('EXPIRE', key, kept - now) end
return outcome
";

/// Revoke until `now + ttl`, or until the record would lapse (`keep`, the latest `exp` seen) if
/// that is later; never shortens a longer revocation or the record's life.
pub(super) const REVOKE: &str = r"
local key, now = KEYS[1], tonumber(ARGV[1])
local ends = now + tonumber(ARGV[2])
local kept = tonumber(redis.call('HGET', key, 'keep') or '0') or 0
if kept > ends then ends = kept end
local current = tonumber(redis.call('HGET', key, 'revoked') or '0') or 0
if ends > current then redis.call('HSET', key, 'revoked', ends) end
if redis.call('TTL', key) < ends - now then redis.call('EXPIRE', key, ends - now) end
return 1
";
