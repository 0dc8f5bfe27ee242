/**
 * A bounded memo for pure functions of a string or number: portfolio files repeat the same
 * expiries, instrument names and strikes thousands of times, and parsing or formatting them once
 * each is most of what validation would otherwise cost. Only results are cached (a call that
 * throws caches nothing); past `limit` entries the cache starts over, so memory stays bounded.
 */
export function memo<K extends string | number, V>(fn: (key: K) => V, limit = 4096): (key: K) => V {
  const cache = new Map<K, V>();
  return (key: K): V => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
    return value;
  };
}
