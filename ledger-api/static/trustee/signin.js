// community-ledger workspace: the sign-in form (POST /trustee/session with the token).
import { api, t } from './api.js';

const form = document.getElementById('signin-form');
const input = document.getElementById('token');
const error = document.getElementById('token-error');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  input.removeAttribute('aria-invalid');
  try {
    await api('POST', '/trustee/session', { token: input.value.trim() });
    input.value = '';
    location.reload();
  } catch (e) {
    input.setAttribute('aria-invalid', 'true');
    error.textContent = e.code === 'token_invalid'
      ? t('令牌不正确、不存在或已被吊销。', 'The token is wrong, unknown or revoked.') + ' ' + e.detail
      : e.detail;
    input.focus();
  }
});
