// Real servers on loopback standing in for what notifications talk to: an SMTP server (smtp-server)
// that keeps what it receives and checks the account, and HTTP servers (node:http) that keep each
// request and answer from a script (an SMS gateway, Zalo OA, a webhook receiver).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
  /** The text with quoted-printable and encoded-word headers decoded, for reading assertions. */
  text: string;
}

/** Quoted-printable and RFC 2047 encoded words back to UTF-8 text (enough for nodemailer's output). */
function decode(raw: string): string {
  const words = raw.replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, mode: string, body: string) =>
    mode.toUpperCase() === 'B'
      ? Buffer.from(body, 'base64').toString('utf8')
      : body.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => `%${h}`),
  );
  const soft = words.replace(/=\r?\n/g, '');
  return soft.replace(/(?:%[0-9A-F]{2}|=[0-9A-F]{2})+/gi, (seq) =>
    Buffer.from(
      seq
        .split(/[%=]/)
        .filter(Boolean)
        .map((h) => Number.parseInt(h, 16)),
    ).toString('utf8'),
  );
}

export async function startSmtp(account: { username: string; password: string }) {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === account.username && auth.password === account.password)
        callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw,
          text: decode(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** An HTTP server answering from `answers` in turn (the last one repeats), keeping every request. */
export async function startHttp(answers: Array<{ status: number; body: unknown }>) {
  const requests: ReceivedRequest[] = [];
  const script = [...answers];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = script.length > 1 ? script.shift()! : script[0]!;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    /** What it answers from now on. */
    answer(next: Array<{ status: number; body: unknown }>) {
      script.splice(0, script.length, ...next);
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Waits until `check` returns something truthy, or fails after the deadline. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<Exclude<T, undefined | null | false | '' | 0>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false | '' | 0>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}
