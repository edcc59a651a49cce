// community-ledger workspace: the overview page.
import { api, fund } from './api.js';
import { ready } from './shell.js';

(async () => {
  const f = fund();
  try {
    const info = await api('GET', `/api/v1/funds/${encodeURIComponent(f)}`);
    if (info.name) document.getElementById('fund-name').textContent = info.name;
    if (info.balance) document.getElementById('fund-balance').textContent = info.balance;
  } catch (e) { /* the status line says what is wrong */ }
  const { key } = await ready;
  document.getElementById('home-key').textContent = key ? key.publicHex : '—';
})();
