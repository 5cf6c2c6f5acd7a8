// Requests the IOC makes to URLs a person typed in (webhooks today). Such a URL must not become a way
// into the city's own network: an admin account, or whoever steals one, could otherwise make the
// server call its database, the cloud's metadata service or another host's admin port, and read the
// answer's status in the delivery log. So the host is resolved here, every address it resolves to is
// checked, and the connection goes to the checked address itself (a second DNS answer cannot switch
// it: DNS rebinding). Redirects are never followed. A city whose receiver sits on its own network
// names it in the allow-list (WEBHOOK_ALLOWED_HOSTS).
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Ranges no user-given URL may reach unless the allow-list names them. */
const forbidden = new BlockList();
for (const [network, bits] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches the host itself
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT, also some clouds' metadata (100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const)
  forbidden.addSubnet(network, bits, 'ipv4');
for (const [network, bits] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated): nothing public lives there
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: the IPv4 inside is obfuscated, so it cannot be checked
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local, also fd00:ec2::254 (a cloud's metadata over IPv6)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  forbidden.addSubnet(network, bits, 'ipv6');

/** The IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4), which is what gets reached. */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!); // ::ffff:a.b.c.d
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** True when an address is loopback, private, link-local, metadata, unspecified, multicast or reserved. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(address);
  if (inner !== undefined) return forbidden.check(inner, 'ipv4');
  return forbidden.check(address.split('%')[0]!, 'ipv6');
}

/** Host names that are loopback by definition (RFC 6761), known without asking DNS. */
const isLoopbackName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

export interface OutboundPolicy {
  /** The reason a URL is refused before any DNS lookup (scheme, literal address, localhost), or undefined. */
  refusal(url: string): string | undefined;
  /** Whether a connection to `address` for host name `host` is allowed. */
  allows(host: string, address: string): boolean;
}

/**
 * The policy from the allow-list: host names (exact, any case) and IP addresses or CIDR ranges that
 * may be reached although they are internal.
 */
export function createOutboundPolicy(allowList: readonly string[] = []): OutboundPolicy {
  const names = new Set<string>();
  const ranges = new BlockList();
  for (const entry of allowList) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) names.add(entry.toLowerCase().replace(/\.$/, ''));
    else if (bits === undefined) ranges.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
    else ranges.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  const allowedAddress = (address: string) => {
    const family = isIP(address);
    if (family === 0) return false;
    const inner = family === 6 ? embeddedIpv4(address) : undefined;
    return inner !== undefined
      ? ranges.check(inner, 'ipv4')
      : ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  const allows = (host: string, address: string) =>
    names.has(host.toLowerCase().replace(/\.$/, '')) ||
    allowedAddress(address) ||
    !isForbiddenAddress(address);
  return {
    allows,
    refusal(text) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return 'is not a URL';
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
      const host = bareHost(url);
      // The URL parser has already turned 0x7f000001, 2130706433, 127.1 and 0177.0.0.1 into 127.0.0.1.
      if (isIP(host) !== 0 && !allows(host, host))
        return `${host} is a loopback, private, link-local or reserved address; the server does not send there unless WEBHOOK_ALLOWED_HOSTS names it`;
      // localhost is loopback whatever DNS says (RFC 6761): known now, so refused now.
      if (isLoopbackName(host) && !allows(host, '127.0.0.1'))
        return `${host} is this server itself; the server does not send there unless WEBHOOK_ALLOWED_HOSTS names it`;
      return undefined;
    },
  };
}

/** Whether an allow-list entry is a host name, an IP address or a CIDR range (for the setting's check). */
export function isAllowListEntry(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0)
    return bits === undefined && /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?)+$/i.test(entry);
  if (rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Why a request did not get an answer, in words that say nothing about the network behind. */
export class OutboundError extends Error {
  override name = 'OutboundError';
  constructor(
    readonly reason: 'refused by policy' | 'unreachable',
    /** The underlying error, for the server's own log only. */
    readonly detail?: string,
  ) {
    super(reason);
  }
}

export interface OutboundAnswer {
  status: number;
  /** The answer's first `answerBytes` bytes as text, when they were asked for. */
  body?: string;
}

/**
 * POSTs `body` to a user-given URL under the policy: resolves the host, refuses when any of its
 * addresses is forbidden (one bad answer is enough: the client might pick it), connects to the checked
 * addresses only, follows no redirect, and reads nothing of the answer but its status, unless
 * `answerBytes` asks for its beginning (a gateway that says "refused" in a 200's body).
 */
export async function postOutbound(
  policy: OutboundPolicy,
  target: string,
  options: { headers: Record<string, string>; body: string; timeoutMs: number; answerBytes?: number },
): Promise<OutboundAnswer> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new OutboundError('refused by policy', 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundError('refused by policy', `scheme ${url.protocol}`);
  const host = bareHost(url);
  // Whatever a resolver would answer (some fail on `localhost.`), it means this server.
  if (isLoopbackName(host) && !policy.allows(host, '127.0.0.1'))
    throw new OutboundError('refused by policy', `${host} is loopback`);
  const signal = AbortSignal.timeout(options.timeoutMs);
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await Promise.race([
        dnsLookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, fail) => signal.addEventListener('abort', () => fail(signal.reason))),
      ]);
    } catch (error) {
      throw new OutboundError('unreachable', `DNS: ${(error as Error).message}`);
    }
  }
  const bad = addresses.find((a) => !policy.allows(host, a.address));
  if (bad || addresses.length === 0)
    throw new OutboundError('refused by policy', `${host} resolves to ${bad?.address ?? 'nothing'}`);
  // The connection asks this, not DNS, so it reaches exactly the addresses checked above.
  const pinned: LookupFunction = (_name, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) (callback as (...a: unknown[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<OutboundAnswer>((ok, fail) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        lookup: pinned,
        agent: false,
        signal,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const limit = options.answerBytes ?? 0;
        if (limit <= 0) {
          // The body is not read: the status is all the log keeps, and a large answer must not be buffered.
          res.destroy();
          ok({ status });
          return;
        }
        // At most `limit` bytes are kept, whatever the answer's size.
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          res.destroy();
          ok({ status, body: Buffer.concat(chunks).toString('utf8') });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk.subarray(0, limit - kept));
          kept += Math.min(chunk.length, limit - kept);
          if (kept >= limit) done();
        });
        res.on('end', done);
        res.on('error', (error) => fail(new OutboundError('unreachable', error.message)));
      },
    );
    req.on('error', (error) => fail(new OutboundError('unreachable', error.message)));
    req.end(options.body);
  });
}
