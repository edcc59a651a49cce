// community-ledger workspace: talking to the API from a signed-in page.
//
// Exports:
//   api(method, path, body)  -> parsed JSON (or null for 204); throws an ApiError
//                               {status, code, detail, detail_en, detail_zh, field} parsed
//                               from the RFC 9457 problem, detail in the page's language.
//                               Sends the session's CSRF token (X-CSRF-Token, from
//                               <meta name="csrf-token">) on every request that changes state.
//   canonical(value)         -> RFC 8785 text (verify.js's one implementation; integers only)
//   intent(fund, kind, body, opts) -> {fund, kind, body, key, signed_at}
//   signIntent(fund, intent) -> {intent: canonical text, sigs: [{key, sig}]} signed with
//                               this browser's key of `fund` (keys.js)
//   append(fund, intent, donorIdentity?) / propose(fund, intent) / cosign(fund, id, intentText)
//   idempotencyKey(prefix), nowSecond(), zh(), t(zh, en), fieldOf(code)

import { sign, current, hex } from './keys.js';

export const INTENT_PREFIX = 'community-ledger/intent/v1\n';

export function zh() {
  return !(document.documentElement.lang || '').startsWith('en');
}

export function t(zhText, enText) {
  return zh() ? zhText : enText;
}

function meta(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute('content') : '';
}

export function fund() {
  return meta('ledger-fund');
}

export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    const detail = (zh() ? p.detail_zh : p.detail) || p.detail || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = p.code || 'http_' + status;
    this.detail = detail;
    this.detail_en = p.detail || '';
    this.detail_zh = p.detail_zh || '';
    this.field = p.field || fieldOf(this.code);
  }
}

// The form field a refusal concerns, by its code (the server's problems name no field).
const FIELDS = {
  overdraft: 'amount',
  balance_overflow: 'amount',
  amount_invalid: 'amount',
  rental_amount_mismatch: 'amount',
  revenue_share_amount_mismatch: 'base',
  rental_overlap: 'start',
  rental_in_community_hours: 'start',
  rental_empty: 'end',
  rental_too_long: 'end',
  period_already_paid: 'period',
  period_not_whole_months: 'period',
  statement_period_invalid: 'period',
  statement_period_open: 'period',
  statement_mismatch: 'period',
  agreement_inactive: 'agreement_id',
  agreement_unknown: 'agreement_id',
  agreement_exists: 'agreement_id',
  agreement_dates: 'start',
  space_unknown: 'space_id',
  space_exists: 'space_id',
  too_many_windows: 'community_hours',
  rate_out_of_policy: 'rate',
  uscc_invalid: 'uscc',
  donor_name_missing: 'donor_name',
  anonymous_donor_named: 'donor_name',
  resident_named_without_consent: 'name_public',
  donor_commitment_missing: 'donor_name',
  quorum_not_met: 'signers',
  quorum_unreachable: 'remove',
  unknown_signer: 'signers',
  trustee_exists: 'add',
  trustee_unknown: 'remove',
  trustee_change_empty: 'add',
  policy_invalid: 'policy',
  already_reversed: 'reverses',
  reversal_of_reversal: 'reverses',
  reversal_target_not_monetary: 'reverses',
  reversal_target_unknown: 'reverses',
  idempotency_key_reused: 'key',
};

export function fieldOf(code) {
  return FIELDS[code] || null;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (!['GET', 'HEAD'].includes(method)) {
    headers['X-CSRF-Token'] = meta('csrf-token');
  }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { code: 'network', detail: 'the server cannot be reached', detail_zh: '无法连接服务器' });
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!resp.ok) throw new ApiError(resp.status, json);
  return json;
}

// RFC 8785, with the ledger's rule that no number is fractional (FORMAT.md §2).
export function canonical(value) {
  (function check(v) {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error('only integers are allowed in an intent');
    if (v && typeof v === 'object') Object.values(v).forEach(check);
  })(value);
  return window.ledgerVerify.jcs(value);
}

// `2026-11-26T09:30:00Z`: now, to the second.
export function nowSecond() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

// A random idempotency key: `prefix` and 24 hex digits.
export function idempotencyKey(prefix) {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return (prefix || 'web-') + hex(b);
}

export function intent(fundId, kind, body, opts) {
  const o = opts || {};
  return {
    fund: fundId,
    kind,
    body,
    key: o.key || idempotencyKey(`web-${kind}-`.replace(/_/g, '-').slice(0, 30)),
    signed_at: o.signed_at || nowSecond(),
  };
}

// Signs the canonical form of `intentValue` (or an already canonical text) with this
// browser's key of `fundId`.
export async function signIntent(fundId, intentValue) {
  const text = typeof intentValue === 'string' ? intentValue : canonical(intentValue);
  const k = await current(fundId);
  if (!k) {
    const e = new ApiError(0, { code: 'no_key', detail: 'this browser holds no key for this fund: create or import one first', detail_zh: '本浏览器中没有此基金的密钥：请先生成或导入' });
    throw e;
  }
  const sig = await sign(fundId, new TextEncoder().encode(INTENT_PREFIX + text));
  return { intent: text, sigs: [{ key: k.publicHex, sig: hex(sig) }] };
}

export async function append(fundId, intentValue, donorIdentity) {
  const signed = await signIntent(fundId, intentValue);
  if (donorIdentity) signed.donor_identity = donorIdentity;
  return api('POST', `/api/v1/funds/${encodeURIComponent(fundId)}/entries`, signed);
}

export async function propose(fundId, intentValue) {
  const signed = await signIntent(fundId, intentValue);
  return api('POST', `/api/v1/funds/${encodeURIComponent(fundId)}/proposals`, signed);
}

export async function cosign(fundId, proposalId, intentText) {
  const signed = await signIntent(fundId, intentText);
  return api('POST', `/api/v1/funds/${encodeURIComponent(fundId)}/proposals/${encodeURIComponent(proposalId)}/signatures`,
    { sig: signed.sigs[0] });
}

export async function signOut() {
  await api('DELETE', '/trustee/session');
}
