// Login throttling and lockout. Two counters, per process (a second instance keeps its own; issue 10):
// - per (username, address): after maxFailures in the window, that pair waits out the window, so one
//   address cannot guess at one account;
// - per account, from any address: after lockoutFailures in the window the account is locked for
//   lockoutMs, even for the right password, so a botnet spreading guesses over many addresses is
//   stopped too. An admin resetting the password unlocks it (unlock()).
export interface LoginWait {
  ms: number;
  reason: 'address' | 'account';
}

export function createLoginThrottle(options: {
  maxFailures: number;
  windowMs: number;
  lockoutFailures: number;
  lockoutMs: number;
  now?: () => number;
}) {
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  const accounts = new Map<string, { count: number; since: number; lockedUntil: number }>();
  const key = (username: string, from: string) => `${username}\u0000${from}`;
  // Bound the memory an attacker spraying usernames can take.
  const bound = (map: Map<string, unknown>) => {
    if (map.size > 100_000) map.delete(map.keys().next().value!);
  };

  function count<T extends { count: number; since: number }>(
    map: Map<string, T>,
    k: string,
    fresh: () => T,
  ): T {
    const entry = map.get(k);
    if (entry && now() - entry.since < options.windowMs) {
      entry.count++;
      return entry;
    }
    const created = fresh();
    map.set(k, created);
    bound(map);
    return created;
  }

  return {
    /** How long before another attempt is allowed, and why; undefined when allowed now. */
    wait(username: string, from: string): LoginWait | undefined {
      const account = accounts.get(username);
      if (account && account.lockedUntil > now())
        return { ms: account.lockedUntil - now(), reason: 'account' };
      const entry = failures.get(key(username, from));
      if (!entry) return undefined;
      const elapsed = now() - entry.since;
      if (elapsed >= options.windowMs) {
        failures.delete(key(username, from));
        return undefined;
      }
      return entry.count >= options.maxFailures
        ? { ms: options.windowMs - elapsed, reason: 'address' }
        : undefined;
    },
    /** Counts a failure; returns true when it just locked the account. */
    failed(username: string, from: string): boolean {
      count(failures, key(username, from), () => ({ count: 1, since: now() }));
      const account = count(accounts, username, () => ({ count: 1, since: now(), lockedUntil: 0 }));
      if (account.count >= options.lockoutFailures && account.lockedUntil <= now()) {
        account.lockedUntil = now() + options.lockoutMs;
        account.count = 0;
        account.since = now();
        return true;
      }
      return false;
    },
    succeeded(username: string, from: string) {
      failures.delete(key(username, from));
      accounts.delete(username);
    },
    unlock(username: string) {
      accounts.delete(username);
    },
  };
}
