// Hashing of everything secret we store: user passwords, device secrets, API keys. scrypt is
// memory-hard and ships with Node (no native add-on to build). The parameters travel inside the hash
// string, so they can be raised later without invalidating what is stored.
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export interface HashCost {
  N: number;
  r: number;
  p: number;
}

/** People choose guessable passwords: make every guess expensive (64 MiB per attempt). */
export const passwordCost: HashCost = { N: 2 ** 16, r: 8, p: 1 };
/**
 * Device secrets and API keys are 256 random bits, so guessing is hopeless whatever the hash: the work
 * factor buys nothing and costs every registration and every reconnect. A light cost (256 KiB, under
 * a millisecond) lets a province's fleet of 10,000 be imported in one request and a reconnect storm
 * pass without saturating the CPU; scrypt stays for one stored format. Hashes stored with the earlier
 * 4 MiB cost carry it in their string and still verify.
 */
export const generatedSecretCost: HashCost = { N: 2 ** 8, r: 8, p: 1 };

const keyLength = 32;

function derive(secret: string, salt: Buffer, cost: HashCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
  return new Promise((ok, fail) =>
    scrypt(secret, salt, keyLength, options, (error, key) => (error ? fail(error) : ok(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashSecret(secret: string, cost: HashCost): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(secret, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A fresh random secret for a device or an API key, safe to put in a URL or a config file. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
