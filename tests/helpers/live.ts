// A console's live socket for a test, and the wait for one of its events.
import { io, type Socket } from 'socket.io-client';

/** Opens `/live` of the app at `baseUrl` with `token`, no reconnection; `opened` collects it for cleanup. */
export function liveConsole(baseUrl: string, token: string, opened: Socket[]): Socket {
  const socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  opened.push(socket);
  return socket;
}

/** The next `event` on `socket` that `accept` takes; fails after `ms`. */
export const nextEvent = <T>(
  socket: Socket,
  event: string,
  accept: (value: T) => boolean = () => true,
  ms = 10_000,
) =>
  new Promise<T>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ${event} within ${ms} ms`)), ms);
    const listener = (value: T) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      ok(value);
    };
    socket.on(event, listener);
  });
