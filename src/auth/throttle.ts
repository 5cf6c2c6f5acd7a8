// Login throttling: after too many failures for one username from one address, that pair waits out
// the window. Per process (a second instance keeps its own count; see issue 10).
export function createLoginThrottle(options: { maxFailures: number; windowMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  const key = (username: string, from: string) => `${username}\u0000${from}`;

  return {
    /** Milliseconds to wait before another attempt is allowed; 0 when allowed now. */
    retryAfter(username: string, from: string): number {
      const entry = failures.get(key(username, from));
      if (!entry) return 0;
      const elapsed = now() - entry.since;
      if (elapsed >= options.windowMs) {
        failures.delete(key(username, from));
        return 0;
      }
      return entry.count >= options.maxFailures ? options.windowMs - elapsed : 0;
    },
    failed(username: string, from: string) {
      const k = key(username, from);
      const entry = failures.get(k);
      if (!entry || now() - entry.since >= options.windowMs) failures.set(k, { count: 1, since: now() });
      else entry.count++;
      // Bound the memory an attacker spraying usernames can take.
      if (failures.size > 100_000) failures.delete(failures.keys().next().value!);
    },
    succeeded(username: string, from: string) {
      failures.delete(key(username, from));
    },
  };
}
