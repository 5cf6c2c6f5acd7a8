// Listening on a configured port, with an error that names the setting when the port is taken, and
// reading the PEM files a TLS listener is configured with.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';

/** Turns EADDRINUSE / EACCES into a message that says which setting to change. */
export function explainListenError(
  error: NodeJS.ErrnoException,
  setting: string,
  port: number,
  host: string,
): Error {
  if (error.code === 'EADDRINUSE') {
    return new Error(
      `${setting}=${port} is already in use on ${host}; set ${setting} to a free port (0 picks any)`,
    );
  }
  if (error.code === 'EACCES')
    return new Error(`${setting}=${port} needs privileges on ${host}; choose a port above 1023`);
  return error;
}

export function listen(server: Server, port: number, host: string, setting: string): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(explainListenError(error, setting, port, host)),
    );
    server.listen(port, host, () => {
      const address = server.address();
      ok(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Reads a PEM file named by a setting; a missing or unreadable file stops start-up naming the setting. */
export function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(
      `${setting}=${path} cannot be read (${(error as NodeJS.ErrnoException).code}); check the path and its permissions`,
    );
  }
}
