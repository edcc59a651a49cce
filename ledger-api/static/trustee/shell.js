// community-ledger workspace: what every signed-in page does: the sign-out button and
// the line saying which key this browser holds for the fund, and whether the fund's
// trustees include it.
import { api, fund, t, signOut } from './api.js';
import { current } from './keys.js';

const status = document.getElementById('ws-key-status');

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await signOut();
  } finally {
    location.assign('/trustee');
  }
});

// What the forms need of the fund (balance, trustees, policy, agreements, spaces), from
// the fund's state (GET …/workspace); `week` (YYYY-MM-DD) picks the spaces' week.
export async function workspace(fundId, week) {
  const q = week ? `?week=${encodeURIComponent(week)}` : '';
  return api('GET', `/api/v1/funds/${encodeURIComponent(fundId)}/workspace${q}`);
}

// The fund's current trustees ({key, name} list).
export async function trustees(fundId) {
  return (await workspace(fundId)).trustees;
}

// Which trustee `publicHex` is (their name), or null.
export async function trusteeName(fundId, publicHex) {
  const list = await trustees(fundId);
  const me = list.find((x) => x.key === publicHex);
  return me ? me.name : null;
}

export async function showKeyStatus() {
  const f = fund();
  const k = await current(f).catch(() => null);
  status.classList.remove('warn', 'ok');
  if (!k) {
    status.classList.add('warn');
    status.innerHTML = '';
    status.append(t('本浏览器中还没有基金「' + f + '」的签名密钥：', 'This browser holds no signing key for fund “' + f + '”: '));
    const a = document.createElement('a');
    a.href = '/trustee/keys';
    a.textContent = t('生成或导入密钥', 'create or import one');
    status.append(a);
    return { key: null, name: null };
  }
  let name = null;
  try {
    name = await trusteeName(f, k.publicHex);
  } catch (e) {
    status.textContent = e.detail;
    return { key: k, name: null };
  }
  status.id = 'ws-key-status';
  if (name) {
    status.classList.add('ok');
    status.textContent = t(`本浏览器持有受托人「${name}」的密钥 ${k.publicHex.slice(0, 16)}…（基金 ${f}）`,
      `This browser holds the key of trustee “${name}”, ${k.publicHex.slice(0, 16)}… (fund ${f})`);
  } else {
    status.classList.add('warn');
    status.textContent = t(`本浏览器的密钥 ${k.publicHex.slice(0, 16)}… 还不是基金 ${f} 的受托人：请其他受托人以「受托人变更」接纳此公钥后再签名。`,
      `This browser's key ${k.publicHex.slice(0, 16)}… is not (yet) a trustee of fund ${f}: the other trustees must admit it with a trustees entry before it can sign.`);
  }
  return { key: k, name };
}

export const ready = showKeyStatus();
