// REST calls with the session's token; a 401 means the session is over. A refusal becomes an
// ApiError carrying the server's code, which the console translates for the person (i18n.js).
import { logout } from './session.js';
import { state } from './state.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${state.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network unreachable');
  }
  if (res.status === 401) return logout();
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok)
    throw new ApiError(
      res.status,
      data?.error?.code ?? 'HTTP',
      data?.error?.message ?? res.statusText,
      data?.error?.details,
    );
  return data;
}
