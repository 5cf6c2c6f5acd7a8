// Login throttling kept in memory, per process. The lockout of an existing account lives in the
// database (storage/users.ts: every instance and the admin command share it); what is here:
// - per (username, address): after maxFailures in the window, that pair waits out the window, so one
//   address cannot guess at one account. An admin lifting the account's lockout or resetting its
//   password (the account's unlockedAt) forgives the pair's earlier failures.
// - per name without an account: after lockoutFailures in the window it is "locked" for lockoutMs like
//   a real account would be, so the locked answer does not tell which usernames exist.
export interface LoginWait {
  ms: number;
  reason: 'address' | 'account';
}

/** What the database knows of the account, when it exists. */
export interface KnownAccount {
  /** ms since the epoch; failures counted in memory before it are forgiven. */
  unlockedAt: number | undefined;
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
  const unknownNames = new Map<string, { count: number; since: number; lockedUntil: number }>();
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
    /**
     * How long before another attempt is allowed, and why; undefined when allowed now. `account` is
     * the existing account of that name, undefined when there is none.
     */
    wait(username: string, from: string, account: KnownAccount | undefined): LoginWait | undefined {
      if (!account) {
        const phantom = unknownNames.get(username);
        if (phantom && phantom.lockedUntil > now())
          return { ms: phantom.lockedUntil - now(), reason: 'account' };
      }
      const entry = failures.get(key(username, from));
      if (!entry) return undefined;
      const elapsed = now() - entry.since;
      if (elapsed >= options.windowMs || (account?.unlockedAt ?? 0) > entry.since) {
        failures.delete(key(username, from));
        return undefined;
      }
      return entry.count >= options.maxFailures
        ? { ms: options.windowMs - elapsed, reason: 'address' }
        : undefined;
    },
    /**
     * Counts a failure of the pair, and of the name when it has no account; returns true when that
     * just "locked" the name (an existing account's lock is counted in the database).
     */
    failed(username: string, from: string, known: boolean): boolean {
      count(failures, key(username, from), () => ({ count: 1, since: now() }));
      if (known) return false;
      const phantom = count(unknownNames, username, () => ({ count: 1, since: now(), lockedUntil: 0 }));
      if (phantom.count >= options.lockoutFailures && phantom.lockedUntil <= now()) {
        phantom.lockedUntil = now() + options.lockoutMs;
        phantom.count = 0;
        phantom.since = now();
        return true;
      }
      return false;
    },
    succeeded(username: string, from: string) {
      failures.delete(key(username, from));
    },
  };
}
