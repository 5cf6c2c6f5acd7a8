// Login throttling kept in memory, per process. The lockout of an existing account lives in the
// database (storage/users.ts: every instance and the admin command share it); what is here:
// - per (username, address): after maxFailures in the window, that pair waits out the window, so one
//   address cannot guess at one account. An admin lifting the account's lockout or resetting its
//   password (the account's unlockedAt) forgives the pair's earlier failures.
// - who a lock stops: a locked account refuses the addresses that failed against it (within the
//   window or the lock's length, whichever is longer), even with the right password, and lets an
//   address with no failure try. Locking the account for everyone would let anyone who knows a
//   username keep its owner out for good, re-locking it as each lock ends. A clean address that fails
//   during the lock is stopped from then on, so a lock still leaves each address one guess.
// - per name without an account: after lockoutFailures in the window it is "locked" for lockoutMs like
//   a real account would be, stopping the same addresses, so the answers do not tell which usernames
//   exist.
// - trusted pairs: (username, address) pairs that logged in within trustMs; loginGate.ts lets them
//   skip the process's login budget during a flood.
import { addressKey } from './loginGate.ts';

export interface LoginWait {
  ms: number;
  reason: 'address' | 'account';
}

/** What the database knows of the account, when it exists. */
export interface KnownAccount {
  /** ms since the epoch; failures counted in memory before it are forgiven. */
  unlockedAt: number | undefined;
  /** ms since the epoch until which the account is locked; undefined or past when it is not. */
  lockedUntil?: number | undefined;
}

interface PairFailures {
  count: number;
  /** Start of the window `count` is counted in. */
  since: number;
  last: number;
}

export function createLoginThrottle(options: {
  maxFailures: number;
  windowMs: number;
  lockoutFailures: number;
  lockoutMs: number;
  /** How long a successful login keeps its pair trusted; 30 days when not given. */
  trustMs?: number;
  now?: () => number;
}) {
  const now = options.now ?? Date.now;
  const trustMs = options.trustMs ?? 30 * 86_400_000;
  // A failure marks its address for as long as a lock it helped set can last.
  const rememberMs = Math.max(options.windowMs, options.lockoutMs);
  const failures = new Map<string, PairFailures>();
  const unknownNames = new Map<string, { count: number; since: number; lockedUntil: number }>();
  const trustedPairs = new Map<string, number>();
  // IPv6 by /64, as the login budget counts them: rotating inside one's prefix gives no clean address.
  const key = (username: string, from: string) => `${username}\u0000${addressKey(from)}`;
  // Bound the memory an attacker spraying usernames can take.
  const bound = (map: Map<string, unknown>, size = 100_000) => {
    if (map.size > size) map.delete(map.keys().next().value!);
  };

  /** The pair's failures still remembered (not forgiven by an unlock, not too old), else undefined. */
  function pairOf(username: string, from: string, unlockedAt: number | undefined) {
    const k = key(username, from);
    const entry = failures.get(k);
    if (!entry) return undefined;
    if (now() - entry.last >= rememberMs || (unlockedAt ?? 0) > entry.last) {
      failures.delete(k);
      return undefined;
    }
    return entry;
  }

  return {
    /**
     * How long before another attempt is allowed, and why; undefined when allowed now. `account` is
     * the existing account of that name, undefined when there is none.
     */
    wait(username: string, from: string, account: KnownAccount | undefined): LoginWait | undefined {
      const pair = pairOf(username, from, account?.unlockedAt);
      if (!pair) return undefined;
      const lockedUntil = account
        ? (account.lockedUntil ?? 0)
        : (unknownNames.get(username)?.lockedUntil ?? 0);
      if (lockedUntil > now()) return { ms: lockedUntil - now(), reason: 'account' };
      const elapsed = now() - pair.since;
      return elapsed < options.windowMs && pair.count >= options.maxFailures
        ? { ms: options.windowMs - elapsed, reason: 'address' }
        : undefined;
    },
    /**
     * Counts a failure of the pair, and of the name when it has no account; returns true when that
     * (re)locked the name (an existing account's lock is counted in the database).
     */
    failed(username: string, from: string, known: boolean): boolean {
      const k = key(username, from);
      const entry = failures.get(k);
      if (entry && now() - entry.since < options.windowMs) {
        entry.count++;
        entry.last = now();
      } else {
        // Re-inserted, so the oldest entries are the first to go when the map is full.
        failures.delete(k);
        failures.set(k, { count: 1, since: now(), last: now() });
        bound(failures);
      }
      if (known) return false;
      let phantom = unknownNames.get(username);
      if (phantom && now() - phantom.since < options.windowMs) phantom.count++;
      else {
        phantom = { count: 1, since: now(), lockedUntil: phantom?.lockedUntil ?? 0 };
        unknownNames.set(username, phantom);
        bound(unknownNames);
      }
      if (phantom.count >= options.lockoutFailures) {
        // Like the database: the failure that reaches the count (re)starts the lock.
        phantom.lockedUntil = now() + options.lockoutMs;
        phantom.count = 0;
        phantom.since = now();
        return true;
      }
      return false;
    },
    succeeded(username: string, from: string) {
      failures.delete(key(username, from));
      const k = key(username, from);
      trustedPairs.delete(k);
      trustedPairs.set(k, now());
      bound(trustedPairs, 10_000);
    },
    /** Whether this pair logged in within the trust period (loginGate.ts). */
    trusted(username: string, from: string): boolean {
      const at = trustedPairs.get(key(username, from));
      return at !== undefined && now() - at < trustMs;
    },
  };
}
