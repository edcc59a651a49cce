// community-ledger workspace: the co-signing inbox (/trustee/inbox).
//
// Lists the open proposals of the fund that this browser's key may sign and has not
// (GET …/proposals?signer=<key>: newest first, with the server's plain summary, the
// proposer and the signatures still missing), each with the exact canonical JSON that is
// signed. "Sign" signs that text with the key in this browser (keys.js; the private key
// never leaves it) and posts the signature (…/proposals/{id}/signatures); when it meets
// the quorum the entry is appended at once. Below, the open proposals this key has
// signed, waiting for others. Both lists refresh every few seconds, so the proposer
// sees a proposal move.
import { api, cosign, fund, t, zh } from './api.js';
import { current } from './keys.js';
import { ready } from './shell.js';

const F = fund();
const REFRESH_MS = 3000;
const listEl = document.getElementById('inbox-list');
const waitingEl = document.getElementById('waiting-list');
const statusEl = document.getElementById('inbox-status');
const doneEl = document.getElementById('inbox-done');

document.getElementById('inbox-intro').textContent = t(
  '其他受托人发起、需要您签名的提案。签名在本浏览器中完成；签够法定人数后即记入账本。',
  'Proposals by other trustees that need your signature. You sign in this browser; once the quorum is met the entry is recorded.');
document.getElementById('h-to-sign').textContent = t('待我签名', 'Waiting for my signature');
document.getElementById('h-waiting').textContent = t('我已签名、等待他人', 'Signed by me, waiting for others');

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

const base = `/api/v1/funds/${encodeURIComponent(F)}/proposals`;

function when(rfc3339) {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : d.toLocaleString(zh() ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' });
}

function signers(p) {
  const names = (p.signed_by || []).map((s) => s.name || s.key.slice(0, 12) + '…');
  return names.join(zh() ? '、' : ', ');
}

function missingText(p) {
  if (p.missing == null) return '';
  return t(`需要 ${p.signatures_needed} 个签名，还差 ${p.missing} 个`,
    `needs ${p.signatures_needed} signatures, ${p.missing} missing`);
}

function item(p, canSign) {
  const li = el('li', { class: 'inbox-item', 'data-id': p.id, 'data-kind': p.kind });
  li.append(
    el('p', { class: 'summary' }, el('strong', { text: zh() ? p.summary.zh : p.summary.en })),
    el('p', { class: 'meta', text: t(
      `发起：${p.proposer || p.proposed_by} · ${when(p.created_at)} · 已签：${signers(p)} · ${missingText(p)} · ${when(p.expires_at)} 过期`,
      `Proposed by ${p.proposer || p.proposed_by} · ${when(p.created_at)} · signed by ${signers(p)} · ${missingText(p)} · lapses ${when(p.expires_at)}`) }),
  );
  const details = el('details', { class: 'sign-preview' },
    el('summary', { text: t('您将签名的内容（规范 JSON）', 'What you sign (canonical JSON)') }),
    el('pre', { class: 'canonical', text: p.intent }));
  li.append(details);
  if (canSign) {
    const err = el('p', { class: 'field-error', role: 'alert' });
    const button = el('button', { type: 'button', class: 'sign', text: t('签名', 'Sign') });
    button.addEventListener('click', () => signOne(p, button, err));
    li.append(el('p', {}, button), err);
  }
  return li;
}

async function signOne(p, button, err) {
  button.disabled = true;
  err.textContent = '';
  try {
    const r = await cosign(F, p.id, p.intent);
    doneEl.hidden = false;
    doneEl.innerHTML = '';
    if (r.entry) {
      const a = el('a', { href: `/funds/${encodeURIComponent(F)}`, text: t('在公开页面查看', 'see it on the public page') });
      doneEl.append(t(`已签名，法定人数已满足：记为第 ${r.entry.seq} 条。`, `Signed; the quorum is met: recorded as entry ${r.entry.seq}. `), a);
    } else {
      doneEl.append(t(`已签名。${missingText(r.proposal)}。`, `Signed. ${missingText(r.proposal)}.`));
    }
  } catch (e) {
    err.textContent = `${e.detail} (${e.code})`;
    button.disabled = false;
    return;
  }
  await refresh();
}

let busy = false;
let lastSeen = '';

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const k = await current(F).catch(() => null);
    if (!k) {
      statusEl.textContent = t('本浏览器中没有此基金的密钥：请先在「我的密钥」生成或导入。',
        'This browser holds no key for this fund: create or import one under “My key” first.');
      listEl.replaceChildren();
      waitingEl.replaceChildren();
      return;
    }
    const [mine, open] = await Promise.all([
      api('GET', `${base}?signer=${k.publicHex}`),
      api('GET', `${base}?status=open`),
    ]);
    const toSign = mine.proposals;
    const waiting = open.proposals.filter((p) => p.sigs.some((s) => s.key === k.publicHex));
    statusEl.textContent = toSign.length
      ? t(`${toSign.length} 个提案等待您签名（最新的在前）。`, `${toSign.length} proposal(s) wait for your signature (newest first).`)
      : t('没有等待您签名的提案。', 'Nothing waits for your signature.');
    // Re-render only when something changed, so that focus (keyboard users) and an open
    // "what you sign" stay where they are.
    const seen = JSON.stringify([toSign, waiting].map((l) => l.map((p) => [p.id, p.sigs.length, p.status])));
    if (seen === lastSeen) return;
    lastSeen = seen;
    // Keep an open "what you sign" open across refreshes.
    const opened = new Set([...document.querySelectorAll('.inbox-item details[open]')].map((d) => d.closest('li').dataset.id));
    listEl.replaceChildren(...toSign.map((p) => item(p, true)));
    waitingEl.replaceChildren(...waiting.map((p) => item(p, false)));
    document.querySelectorAll('.inbox-item').forEach((li) => {
      if (opened.has(li.dataset.id)) li.querySelector('details').open = true;
    });
    if (!waiting.length) waitingEl.append(el('li', { class: 'empty', text: t('无', 'None') }));
  } catch (e) {
    statusEl.textContent = `${e.detail} (${e.code})`;
  } finally {
    busy = false;
  }
}

ready.finally(() => {
  refresh();
  setInterval(refresh, REFRESH_MS);
});
