// Files the API serves to admins only (a backup, the audit log as CSV): a plain link cannot carry the
// session's bearer token, so the page fetches the file and hands it to the browser as a download.
import { ApiError } from '../api.js';
import { logout } from '../session.js';
import { state } from '../state.js';
import { download } from './table.js';

/** Fetches `path` with the session's token and saves it as `name`; a refusal throws an ApiError. */
export async function downloadWithToken(path, name) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network unreachable');
  }
  if (res.status === 401) return logout();
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error?.code ?? 'HTTP', data?.error?.message ?? res.statusText);
  }
  download(name, await res.blob());
  return true;
}
