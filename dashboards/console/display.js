// The wall display (/?display=1, or the header's button): read-only, large type, the areas shown in
// turn every `rotate` seconds (default 60), and a session that renews itself before its token runs
// out, so the screen never falls back to the login form on its own. A session ended on the server
// (logout, password or role change, account disabled) still ends it, as anywhere else.
import { api } from './api.js';
import { state } from './state.js';
import { fitArea } from './view.js';

const params = new URLSearchParams(location.search);
export const displayMode = params.get('display') === '1';
const rotateSeconds = Math.max(10, Number(params.get('rotate')) || 60);

export function enterDisplay() {
  document.body.classList.add('display');
  if (state.areas.length < 2) return;
  let next = 0;
  setInterval(() => {
    next = (next + 1) % state.areas.length;
    fitArea(state.areas[next].id);
  }, rotateSeconds * 1000);
}

export function displayUrl() {
  return `${location.pathname}?display=1`;
}

let renewal;
/** Renews the token at half its remaining life (at least a minute before it ends), again and again. */
export function keepSession() {
  clearTimeout(renewal);
  const expiresAt = Date.parse(sessionStorage.getItem('ioc.expiresAt') ?? '');
  if (!Number.isFinite(expiresAt)) return;
  const left = expiresAt - Date.now();
  const wait = Math.max(5_000, Math.min(left / 2, left - 60_000));
  renewal = setTimeout(renew, wait);
}

async function renew() {
  try {
    const session = await api('POST', '/api/v1/auth/renew');
    if (!session) return; // 401: api() has gone back to the login form
    state.token = session.token;
    sessionStorage.setItem('ioc.token', session.token);
    sessionStorage.setItem('ioc.expiresAt', session.expiresAt);
    // The live link's next reconnect presents the new token.
    if (state.socket) state.socket.auth.token = session.token;
    keepSession();
  } catch {
    // The server is away for a moment: try again soon, well before the token ends.
    renewal = setTimeout(renew, 15_000);
  }
}
