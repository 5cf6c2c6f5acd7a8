// The operator's session: the token kept for this tab, and the way back to the login form.
import { state } from './state.js';

export function logout() {
  if (state.token)
    fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${state.token}` },
    }).catch(() => {});
  backToLogin();
}

export function backToLogin() {
  sessionStorage.removeItem('ioc.token');
  sessionStorage.removeItem('ioc.role');
  sessionStorage.removeItem('ioc.expiresAt');
  sessionStorage.removeItem('ioc.scope');
  location.reload();
}
