// What a login may cost before anyone knows who sent it. A login hashes with scrypt at 64 MiB, on
// libuv's thread pool, which also checks device secrets (registry/index.ts): a flood of logins with
// made-up usernames used to take every thread, and devices connecting meanwhile waited past their
// CONNACK timeout. So, in this order, before any database read or hash:
// - a budget per source address (IPv6 by /64: one host holds the whole prefix), so one sender cannot
//   take everyone's share;
// - a budget for the whole process, so many senders together cannot either;
// - then the hashing lane: one password hash at a time, a short bounded queue behind it, the excess
//   refused at once with Retry-After instead of waiting in memory. One pool thread at most hashes
//   passwords; the others stay free for device secrets, whatever arrives on the login route.
// A (user, address) pair that logged in before (throttle.ts `trusted`) skips the process budget and
// waits at the front of the lane: an operator at their usual desk gets in during a flood that comes
// from elsewhere. It still pays the per-address budget and every lockout check. The budgets are token
// buckets (src/limits/tokenBucket.ts); with a shared store (REDIS_URL) the per-address budget is counted
// across instances (src/limits/keyLimit.ts), so a second instance is not a second budget, while the
// process's budget stays this process's, as it guards this process's hashing.
import { AppError } from '../errors.ts';
import { createKeyLimit } from '../limits/keyLimit.ts';
import type { SharedLimitStore } from '../limits/sharedStore.ts';
import { createTokenBuckets } from '../limits/tokenBucket.ts';

export type LoginRefusal =
  /** The source address spent its budget. */
  | 'address_budget'
  /** Every address together spent the process's budget. */
  | 'global_budget'
  /** The hashing lane's queue was full. */
  | 'hash_queue_full'
  /** The account is locked and this address failed against it. */
  | 'account_locked'
  /** This (user, address) pair failed too often in the window. */
  | 'pair_throttled';

/** A login refused before its password was looked at: the caller should come back after Retry-After. */
export class LoginBudgetError extends AppError {
  constructor(
    readonly reason: Extract<LoginRefusal, 'address_budget' | 'global_budget' | 'hash_queue_full'>,
    waitMs: number,
  ) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    super(
      'RATE_LIMITED',
      reason === 'address_budget'
        ? `too many logins from this address; try again in ${seconds} s`
        : `the server is taking too many logins right now; try again in ${seconds} s`,
      { retryAfterSeconds: seconds },
    );
  }
}

export interface LoginGateOptions {
  /** Attempts per minute one address may make (and a burst of as many). */
  addressPerMinute: number;
  /** Attempts per second over all addresses (and a burst of two seconds' worth). */
  globalPerSecond: number;
  /** Logins that may wait behind the one being hashed. */
  hashQueue: number;
  now?: () => number;
  /** Where the per-address budget is shared with the other instances (none: this process's own). */
  shared?: SharedLimitStore;
}

// Beyond this many addresses the oldest bucket goes: memory stays bounded against a sender with
// many addresses, who is held by the process budget anyway.
const maxAddresses = 100_000;
const processKey = 'process';

/**
 * The key of a source address: an IPv4 address (also when IPv4-mapped), or an IPv6 address's /64
 * (the unit a single subscriber is given, so rotating inside it gains nothing).
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = bare.includes('::') && tail ? tail.split(':') : [];
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export function createLoginGate(options: LoginGateOptions) {
  const now = options.now ?? Date.now;
  const addressBudgets = createKeyLimit(
    {
      name: 'login_address',
      points: options.addressPerMinute,
      durationS: 60,
      maxKeys: maxAddresses,
      clock: now,
    },
    options.shared,
  );
  const processBudget = createTokenBuckets({
    refill: options.globalPerSecond,
    everyMs: 1_000,
    burst: Math.max(1, options.globalPerSecond * 2),
    clock: now,
  });

  // The lane: `running` is 0 or 1; waiting entries start in order, trusted ones first.
  let running = 0;
  const waiting: Array<() => void> = [];
  let trustedWaiting = 0;
  // A moving estimate of one hash, for Retry-After when the queue is full.
  let hashMs = 500;

  function afterAddress(key: string, addressWait: number, trusted: boolean): void {
    if (addressWait > 0) throw new LoginBudgetError('address_budget', addressWait);
    if (trusted) return;
    const processWait = processBudget.take(processKey);
    if (processWait > 0) {
      // The address's token is given back: it was not the one that ran out.
      addressBudgets.refund(key);
      throw new LoginBudgetError('global_budget', processWait);
    }
  }

  // The lane is taken for the next one before it resumes, so nothing slips in between.
  function next() {
    const start = waiting.shift();
    if (!start) return;
    running++;
    start();
  }

  return {
    /**
     * Spends the address's budget, then (unless the pair is trusted) the process's; throws
     * LoginBudgetError when either is spent. Call before anything else about the login.
     */
    admit(address: string, trusted: boolean): void | Promise<void> {
      const key = addressKey(address);
      const addressWait = addressBudgets.take(key);
      // A shared budget answers after its round trip; this process's at once (and throws at once).
      if (typeof addressWait !== 'number')
        return addressWait.then((wait) => afterAddress(key, wait, trusted));
      afterAddress(key, addressWait, trusted);
    },

    /**
     * Runs a password hash in the lane: at once when it is free, else behind those waiting (in front
     * of the untrusted ones when `trusted`). Throws LoginBudgetError without running it when the queue
     * is full; trusted and admin work (`trusted`) is never refused, its numbers being small already.
     */
    async hash<T>(work: () => Promise<T>, trusted: boolean): Promise<T> {
      if (running > 0 || waiting.length > 0) {
        if (!trusted && waiting.length - trustedWaiting >= options.hashQueue)
          throw new LoginBudgetError('hash_queue_full', (waiting.length + 1) * hashMs);
        await new Promise<void>((start) => {
          if (trusted) {
            waiting.splice(trustedWaiting, 0, () => {
              trustedWaiting--;
              start();
            });
            trustedWaiting++;
          } else waiting.push(start);
        });
      } else running++;
      const started = now();
      try {
        return await work();
      } finally {
        hashMs = hashMs * 0.8 + (now() - started) * 0.2;
        running--;
        next();
      }
    },

    /** For tests and metrics: what the lane holds now. */
    lane: () => ({ running, waiting: waiting.length }),
  };
}

export type LoginGate = ReturnType<typeof createLoginGate>;
