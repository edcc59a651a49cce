// community-ledger workspace: a form for every kind a trustee records.
//
// Each form is built from a small description of its fields. "Review" builds the intent,
// asks the server's dry run (POST …/intents/check: the core's rules on a copy of the fund,
// nothing written) for the figures the rules derive (revenue share due, rental price,
// balance after, paid periods, the week's bookings) or the refusal, and shows the intent
// in plain words and as the exact canonical JSON this browser signs. "Sign" signs it with
// the browser's key (keys.js) and appends it, or proposes it when the fund's policy needs
// more than one signature. A refusal is shown beside the field it concerns.
import { api, append, canonical, fieldOf, fund, intent, propose, t, zh, ApiError } from './api.js';
import { hex } from './keys.js';
import { ready, workspace } from './shell.js';

const F = fund();
const root = document.getElementById('record-root');
const DONOR_PREFIX = 'community-ledger/donor/v1\n';
// The funds' calendar (the genesis' utc_offset; China: +08:00, no daylight saving).
const OFFSET_H = 8;

const KINDS = [
  ['donation', '捐赠', 'Donation'],
  ['revenue_share', '收益分成', 'Revenue share'],
  ['rental', '场地租赁', 'Rental'],
  ['disbursement', '支出', 'Disbursement'],
  ['reversal', '冲正', 'Reversal'],
  ['agreement', '分成协议', 'Agreement'],
  ['space', '共享空间', 'Space'],
  ['trustees', '受托人变更', 'Trustees change'],
  ['statement', '收支公示', 'Statement'],
];

const PARTY = [['enterprise', '企业', 'enterprise'], ['organisation', '社会组织', 'organisation'],
  ['resident', '居民', 'resident'], ['other', '其他', 'other']];

// ---- field descriptions -----------------------------------------------------------------

const money = (name, zhL, enL, extra) => Object.assign({ name, label: [zhL, enL], type: 'money' }, extra || {});
const text = (name, zhL, enL, extra) => Object.assign({ name, label: [zhL, enL], type: 'text' }, extra || {});

function formOf(kind, ws) {
  const agreements = ws.agreements.map((a) => [a.agreement.agreement_id,
    `${a.agreement.agreement_id} · ${a.agreement.enterprise.name}`, `${a.agreement.agreement_id} · ${a.agreement.enterprise.name}`]);
  const spaces = ws.spaces.map((s) => [s.space.space_id, `${s.space.name}（${s.space.hourly_rate} 元/小时）`,
    `${s.space.name} (${s.space.hourly_rate} yuan/hour)`]);
  switch (kind) {
    case 'donation': return [
      money('amount', '金额（元）', 'Amount (yuan)'),
      { name: 'donor_class', label: ['捐赠人类别', 'Donor'], type: 'select', options: [
        ['resident', '居民', 'resident'], ['enterprise', '企业', 'enterprise'],
        ['organisation', '社会组织', 'organisation'], ['anonymous', '匿名', 'anonymous']] },
      text('donor_name', '姓名 / 名称', 'Name', { required: false,
        hint: ['居民的姓名和电话只存入加密的捐赠人库，不上链；链上只有加盐承诺。', 'A resident\'s name and phone go to the sealed donor vault only; the chain holds a salted commitment.'],
        showIf: (v) => v.donor_class !== 'anonymous' }),
      text('donor_phone', '电话（仅居民）', 'Phone (residents only)', { required: false, inputmode: 'tel', showIf: (v) => v.donor_class === 'resident' }),
      { name: 'name_public', label: ['捐赠人同意公开姓名', 'The donor agrees to be named publicly'], type: 'checkbox', showIf: (v) => v.donor_class === 'resident' },
      { name: 'channel', label: ['方式', 'Channel'], type: 'select', options: [
        ['cash', '现金', 'cash'], ['bank_transfer', '银行转账', 'bank transfer'], ['wechat_pay', '微信支付', 'WeChat Pay'],
        ['alipay', '支付宝', 'Alipay'], ['other', '其他', 'other']] },
      text('receipt_no', '收据编号', 'Receipt number'),
      text('purpose', '限定用途（可空）', 'Restricted purpose (optional)', { required: false }),
      text('memo', '备注（可空）', 'Memo (optional)', { required: false }),
    ];
    case 'revenue_share': return [
      { name: 'agreement_id', label: ['分成协议', 'Agreement'], type: 'select', options: agreements },
      { name: 'period_from', field: 'period', label: ['期间起（含）', 'Period from (inclusive)'], type: 'date' },
      { name: 'period_to', field: 'period', label: ['期间止（含）', 'Period to (inclusive)'], type: 'date' },
      money('base', '分成基数（元；亏损填 0）', 'Base (yuan; 0 for a loss)'),
    ];
    case 'rental': return [
      { name: 'space_id', label: ['空间', 'Space'], type: 'select', options: spaces },
      { name: 'start', label: ['开始（北京时间）', 'Start (Beijing time)'], type: 'datetime-local' },
      { name: 'end', label: ['结束（北京时间，不含）', 'End (Beijing time, exclusive)'], type: 'datetime-local' },
      text('renter_name', '租用方', 'Renter'),
      { name: 'renter_class', label: ['租用方类别', 'Renter class'], type: 'select', options: PARTY },
    ];
    case 'disbursement': return [
      money('amount', '金额（元）', 'Amount (yuan)'),
      text('payee_name', '收款方', 'Payee'),
      { name: 'payee_class', label: ['收款方类别', 'Payee class'], type: 'select', options: PARTY },
      text('purpose', '用途', 'Purpose'),
      text('project', '项目', 'Project'),
      text('invoice_no', '发票号', 'Invoice number'),
    ];
    case 'reversal': return [
      { name: 'reverses', label: ['冲正哪一条记录', 'Entry to reverse'], type: 'select', options: ws.monetary || [] },
      { name: 'reason', label: ['原因', 'Reason'], type: 'textarea' },
    ];
    case 'agreement': return [
      text('agreement_id', '协议编号', 'Agreement id', { hint: ['字母、数字、- 和 _', 'letters, digits, - and _'] }),
      text('enterprise_name', '企业名称', 'Enterprise'),
      text('uscc', '统一社会信用代码', 'Unified social credit code', { field: 'uscc' }),
      { name: 'basis', label: ['分成基数', 'Basis'], type: 'select', options: [['revenue', '营业收入', 'revenue'], ['profit', '利润', 'profit']] },
      { name: 'rate', label: ['分成比例（如 0.1000 即 10%）', 'Rate (0.1000 is 10%)'], type: 'text', inputmode: 'decimal' },
      money('fixed_monthly', '每月固定金额（可空）', 'Fixed monthly amount (optional)', { required: false }),
      { name: 'start', label: ['开始日期', 'Start'], type: 'date' },
      { name: 'end', label: ['结束日期（可空）', 'End (optional)'], type: 'date', required: false },
      text('venture', '项目 / 业态', 'Venture'),
    ];
    case 'space': return [
      text('space_id', '空间编号', 'Space id'),
      text('name', '名称', 'Name'),
      { name: 'kind', label: ['类型', 'Kind'], type: 'select', options: [['classroom', '教室', 'classroom'],
        ['theatre', '剧场', 'theatre'], ['meeting_room', '会议室', 'meeting room'], ['activity_room', '活动室', 'activity room'], ['other', '其他', 'other']] },
      money('hourly_rate', '每小时租金（元）', 'Hourly rate (yuan)'),
      { name: 'community_hours', label: ['社区保留时段（每行一个，如 mon 09:00-12:00）', 'Community hours (one a line, e.g. mon 09:00-12:00)'], type: 'textarea', required: false },
    ];
    case 'trustees': return [
      { name: 'add', label: ['新增受托人（每行：公钥 姓名）', 'Add trustees (one a line: public key, name)'], type: 'textarea', required: false },
      { name: 'remove', label: ['移除受托人（勾选）', 'Remove trustees (tick)'], type: 'checkboxes', required: false,
        options: ws.trustees.map((x) => [x.key, `${x.name} ${x.key.slice(0, 16)}…`, `${x.name} ${x.key.slice(0, 16)}…`]) },
    ];
    case 'statement': return [
      text('period', '期间（2026-10、2026-Q3 或 2026）', 'Period (2026-10, 2026-Q3 or 2026)', { pattern: '\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?' }),
    ];
    default: return [];
  }
}

// ---- values to bodies -------------------------------------------------------------------

function fail(field, zhText, enText) {
  return new ApiError(400, { code: 'form_invalid', detail: enText, detail_zh: zhText, field });
}

function yuan(v, field, optional) {
  const s = String(v || '').trim();
  if (!s && optional) return undefined;
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw fail(field, '金额应为数字，最多两位小数（如 100 或 99.50）', 'An amount is a number with at most two decimals (100 or 99.50)');
  return `${BigInt(m[1]).toString()}.${(m[2] || '').padEnd(2, '0')}`;
}

function rate(v) {
  const m = /^0?\.(\d{1,4})$|^(0|1)(?:\.(\d{1,4}))?$/.exec(String(v || '').trim());
  if (!m) throw fail('rate', '比例应为 0 到 1 之间的小数，最多四位（如 0.1000）', 'A rate is a decimal from 0 to 1 with up to four places (0.1000)');
  const int = m[2] || '0';
  const frac = (m[1] || m[3] || '').padEnd(4, '0');
  return `${int}.${frac}`;
}

function req(v, field) {
  const s = String(v || '').trim();
  if (!s) throw fail(field, '此项必填', 'This is required');
  return s;
}

// `YYYY-MM-DDTHH:MM` in the fund's calendar → RFC 3339 UTC to the second.
function instant(v, field) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(String(v || ''));
  if (!m) throw fail(field, '请填写日期和时间', 'Give a date and a time');
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - OFFSET_H, +m[5]);
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function windows(v) {
  const lines = String(v || '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.map((l) => {
    const m = /^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})$/.exec(l);
    if (!m) throw fail('community_hours', `无法理解「${l}」：格式如 mon 09:00-12:00`, `Cannot read “${l}”: write it as mon 09:00-12:00`);
    return { day: m[1], from: m[2], to: m[3] };
  });
}

// Salt, commitment and vault record of a resident donor (FORMAT.md §9).
async function commitment(name, phone) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const enc = new TextEncoder();
  const ident = enc.encode(`${name}\n${phone}`);
  const prefix = enc.encode(DONOR_PREFIX);
  const msg = new Uint8Array(prefix.length + salt.length + ident.length);
  msg.set(prefix, 0); msg.set(salt, prefix.length); msg.set(ident, prefix.length + salt.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', msg));
  return { commitment: hex(digest), identity: { salt: hex(salt), name, phone } };
}

// The body of `kind` from the form's values: {body, identity?}.
async function bodyOf(kind, v, ws) {
  switch (kind) {
    case 'donation': {
      const donor = { class: v.donor_class };
      let identity = null;
      if (v.donor_class === 'resident') {
        const name = req(v.donor_name, 'donor_name');
        const phone = req(v.donor_phone, 'donor_phone');
        if (!/^[0-9+\- ]{1,32}$/.test(phone)) throw fail('donor_phone', '电话只能包含数字、+、- 和空格', 'A phone has digits, +, - and spaces only');
        const c = await commitment(name, phone);
        donor.commitment = c.commitment;
        identity = c.identity;
        if (v.name_public) { donor.name = name; donor.name_consent = true; }
      } else if (v.donor_class !== 'anonymous') {
        donor.name = req(v.donor_name, 'donor_name');
      }
      const body = { amount: yuan(v.amount, 'amount'), donor, channel: v.channel, receipt_no: req(v.receipt_no, 'receipt_no') };
      if (String(v.purpose || '').trim()) body.purpose = v.purpose.trim();
      if (String(v.memo || '').trim()) body.memo = v.memo.trim();
      return { body, identity };
    }
    case 'revenue_share':
      return { body: { agreement_id: req(v.agreement_id, 'agreement_id'),
        period: { from: req(v.period_from, 'period'), to: req(v.period_to, 'period') },
        base: yuan(v.base, 'base'), amount: '0.01' } };
    case 'rental':
      return { body: { space_id: req(v.space_id, 'space_id'),
        renter: { name: req(v.renter_name, 'renter_name'), class: v.renter_class },
        start: instant(v.start, 'start'), end: instant(v.end, 'end'), amount: '0.01' } };
    case 'disbursement':
      return { body: { amount: yuan(v.amount, 'amount'), payee: { name: req(v.payee_name, 'payee_name'), class: v.payee_class },
        purpose: req(v.purpose, 'purpose'), project: req(v.project, 'project'), invoice_no: req(v.invoice_no, 'invoice_no') } };
    case 'reversal':
      return { body: { reverses: Number(req(v.reverses, 'reverses')), reason: req(v.reason, 'reason') } };
    case 'agreement': {
      const body = { agreement_id: req(v.agreement_id, 'agreement_id'),
        enterprise: { name: req(v.enterprise_name, 'enterprise_name'), uscc: req(v.uscc, 'uscc') },
        basis: v.basis, rate: rate(v.rate), start: req(v.start, 'start'), venture: req(v.venture, 'venture') };
      const fixed = yuan(v.fixed_monthly, 'fixed_monthly', true);
      if (fixed) body.fixed_monthly = fixed;
      if (v.end) body.end = v.end;
      return { body };
    }
    case 'space':
      return { body: { space_id: req(v.space_id, 'space_id'), name: req(v.name, 'name'), kind: v.kind,
        hourly_rate: yuan(v.hourly_rate, 'hourly_rate'), community_hours: windows(v.community_hours) } };
    case 'trustees': {
      const add = String(v.add || '').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const m = /^([0-9a-f]{64})\s+(.+)$/.exec(l);
        if (!m) throw fail('add', `无法理解「${l}」：每行为 64 位十六进制公钥、空格、姓名`, `Cannot read “${l}”: each line is a 64-hex-digit public key, a space, a name`);
        return { key: m[1], name: m[2].trim() };
      });
      return { body: { add, remove: v.remove || [] } };
    }
    case 'statement': {
      const period = req(v.period, 'period');
      const draft = await api('GET', `/api/v1/funds/${encodeURIComponent(F)}/statements/draft?period=${encodeURIComponent(period)}`)
        .catch((e) => { e.field = 'period'; throw e; });
      return { body: draft.body, draft };
    }
    default: throw fail(null, '未知类别', 'Unknown kind');
  }
}

// ---- plain words ------------------------------------------------------------------------

function words(kind, b, figures) {
  const f = figures || {};
  const after = f.balance_after ? t(`；记录后余额 ${f.balance_after} 元`, `; the balance after it: ${f.balance_after} yuan`) : '';
  switch (kind) {
    case 'donation': {
      const who = b.donor.class === 'resident' ? (b.donor.name ? t(`居民 ${b.donor.name}（同意公开姓名）`, `resident ${b.donor.name} (consented to be named)`) : t('一位居民（姓名只存入捐赠人库）', 'a resident (name in the donor vault only)'))
        : b.donor.class === 'anonymous' ? t('匿名捐赠人', 'an anonymous donor') : b.donor.name;
      return t(`收到 ${who} 捐赠 ${b.amount} 元（${b.channel}，收据 ${b.receipt_no}）${b.purpose ? '，限定用于「' + b.purpose + '」' : ''}${after}。`,
        `${b.amount} yuan given by ${who} (${b.channel}, receipt ${b.receipt_no})${b.purpose ? ', restricted to “' + b.purpose + '”' : ''}${after}.`);
    }
    case 'revenue_share':
      return t(`协议 ${b.agreement_id} 在 ${b.period.from} 至 ${b.period.to} 的收益分成：基数 ${b.base} 元，按协议应付 ${b.amount} 元${after}。`,
        `Revenue share under ${b.agreement_id} for ${b.period.from} to ${b.period.to}: base ${b.base} yuan, due under the agreement ${b.amount} yuan${after}.`);
    case 'rental':
      return t(`${b.renter.name} 租用空间 ${b.space_id}，${b.start} 至 ${b.end}（UTC），租金 ${b.amount} 元${after}。`,
        `${b.renter.name} rents space ${b.space_id} from ${b.start} to ${b.end} (UTC) for ${b.amount} yuan${after}.`);
    case 'disbursement':
      return t(`向 ${b.payee.name} 支付 ${b.amount} 元，用于「${b.purpose}」（项目 ${b.project}，发票 ${b.invoice_no}）${after}。`,
        `Pay ${b.amount} yuan to ${b.payee.name} for “${b.purpose}” (project ${b.project}, invoice ${b.invoice_no})${after}.`);
    case 'reversal':
      return t(`冲正第 ${b.reverses} 条记录，原因：${b.reason}${after}。`, `Reverse entry ${b.reverses} because: ${b.reason}${after}.`);
    case 'agreement':
      return t(`与 ${b.enterprise.name}（${b.enterprise.uscc}）签订分成协议 ${b.agreement_id}：按${b.basis === 'revenue' ? '营业收入' : '利润'}的 ${b.rate}${b.fixed_monthly ? '，另每月 ' + b.fixed_monthly + ' 元' : ''}，自 ${b.start}${b.end ? ' 至 ' + b.end : ''}。`,
        `Agreement ${b.agreement_id} with ${b.enterprise.name} (${b.enterprise.uscc}): ${b.rate} of ${b.basis}${b.fixed_monthly ? ' plus ' + b.fixed_monthly + ' yuan a month' : ''}, from ${b.start}${b.end ? ' to ' + b.end : ''}.`);
    case 'space':
      return t(`新增共享空间 ${b.name}（${b.space_id}），每小时 ${b.hourly_rate} 元，社区保留 ${b.community_hours.length} 个时段。`,
        `New space ${b.name} (${b.space_id}) at ${b.hourly_rate} yuan an hour, with ${b.community_hours.length} community window(s).`);
    case 'trustees':
      return t(`新增受托人 ${b.add.map((x) => x.name).join('、') || '无'}；移除 ${b.remove.length} 位。`,
        `Add trustees ${b.add.map((x) => x.name).join(', ') || 'none'}; remove ${b.remove.length}.`);
    case 'statement':
      return t(`${b.period.from} 至 ${b.period.to} 收支公示：期初 ${b.opening}，捐赠 ${b.inflows.donation}，分成 ${b.inflows.revenue_share}，租金 ${b.inflows.rental}，支出 ${b.outflows.disbursement}，冲正 ${b.reversals}，期末 ${b.closing}，共 ${b.count} 条。`,
        `Statement ${b.period.from} to ${b.period.to}: opening ${b.opening}, donations ${b.inflows.donation}, revenue shares ${b.inflows.revenue_share}, rentals ${b.inflows.rental}, disbursements ${b.outflows.disbursement}, reversals ${b.reversals}, closing ${b.closing}, ${b.count} entries.`);
    default: return '';
  }
}

// ---- the page ---------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function label(pair) { return zh() ? pair[0] : pair[1]; }

function kindNav(current) {
  const ul = el('ul', { class: 'kinds', id: 'kinds' });
  for (const [k, z, e] of KINDS) {
    ul.append(el('li', {}, el('a', { href: `/trustee/record?kind=${k}`, 'aria-current': k === current ? 'page' : null, id: `kind-${k}`, text: zh() ? z : e })));
  }
  return ul;
}

function fieldControl(f) {
  const id = `f-${f.name}`;
  const errId = `err-${f.field || f.name}`;
  const wrap = el('div', { class: 'field', 'data-name': f.name });
  if (f.type === 'checkbox') {
    wrap.append(el('p', {}, el('input', { type: 'checkbox', id, name: f.name }), ' ', el('label', { for: id, text: label(f.label) })));
    return wrap;
  }
  if (f.type === 'checkboxes') {
    const fs = el('fieldset', { id }, el('legend', { text: label(f.label) }));
    f.options.forEach(([value, z, e], i) => fs.append(el('p', {},
      el('input', { type: 'checkbox', id: `${id}-${i}`, name: f.name, value }), ' ', el('label', { for: `${id}-${i}`, text: zh() ? z : e }))));
    wrap.append(fs, el('p', { class: 'field-error', id: errId, role: 'alert' }));
    return wrap;
  }
  const common = { id, name: f.name, 'aria-describedby': `${errId}${f.hint ? ' ' + id + '-hint' : ''}`, required: f.required !== false,
    inputmode: f.type === 'money' ? 'decimal' : f.inputmode, pattern: f.pattern, autocomplete: 'off' };
  let control;
  if (f.type === 'select') {
    control = el('select', common);
    for (const [value, z, e] of f.options) control.append(el('option', { value, text: zh() ? z : e }));
  } else if (f.type === 'textarea') {
    control = el('textarea', Object.assign({ rows: 3 }, common));
  } else {
    control = el('input', Object.assign({ type: f.type === 'money' ? 'text' : f.type }, common));
  }
  wrap.append(el('p', {}, el('label', { for: id, text: label(f.label) }), control));
  if (f.hint) wrap.append(el('p', { class: 'hint', id: `${id}-hint`, text: label(f.hint) }));
  if (!document.getElementById(errId)) wrap.append(el('p', { class: 'field-error', id: errId, role: 'alert' }));
  return wrap;
}

function values(form, fields) {
  const v = {};
  for (const f of fields) {
    if (f.type === 'checkbox') v[f.name] = form.elements[f.name].checked;
    else if (f.type === 'checkboxes') v[f.name] = [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map((x) => x.value);
    else v[f.name] = form.elements[f.name] ? form.elements[f.name].value : '';
  }
  return v;
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

// Shows a refusal beside its field (or at the top of the form), in the page's language.
function showRefusal(form, err) {
  const code = err.code;
  const field = err.field || fieldOf(code);
  const detail = err.detail || (zh() ? err.detail_zh : err.detail_en);
  let box = field && form.querySelector(`#err-${field}`);
  if (!box) box = form.querySelector('#err-form');
  box.textContent = detail;
  box.setAttribute('data-code', code || '');
  const input = field && (form.querySelector(`[name="${field}"]`) || form.querySelector(`[data-name] [aria-describedby~="err-${field}"]`));
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); } else box.focus?.();
}

// Refusals of the dry run arrive as {code, detail_en, detail_zh}.
function refusalError(r) {
  return new ApiError(422, { code: r.code, detail: r.detail_en, detail_zh: r.detail_zh });
}

async function check(intentValue) {
  const r = await api('POST', `/api/v1/funds/${encodeURIComponent(F)}/intents/check`, { intents: [intentValue] });
  return r.results[0];
}

function figuresBlock(kind, fig, ws, values) {
  const box = el('div', { class: 'derived', id: 'derived' });
  const line = (z, e) => box.append(el('p', { text: t(z, e) }));
  if (fig.balance_after) line(`当前余额 ${fig.balance_before} 元 → 记录后 ${fig.balance_after} 元`, `Balance now ${fig.balance_before} yuan → after ${fig.balance_after} yuan`);
  if (fig.share_due) line(`按协议计算的分成金额：${fig.share_due} 元`, `Revenue share due under the agreement: ${fig.share_due} yuan`);
  if (fig.paid_periods) line(`已付期间：${fig.paid_periods.map((p) => `${p.from}–${p.to}（#${p.seq}）`).join('，') || '无'}`,
    `Periods already paid: ${fig.paid_periods.map((p) => `${p.from}–${p.to} (#${p.seq})`).join(', ') || 'none'}`);
  if (fig.rental_price) line(`按每小时租金计算的租金：${fig.rental_price} 元`, `Rent at the space's hourly rate: ${fig.rental_price} yuan`);
  if (fig.week_bookings) line(`该周已订时段：${fig.week_bookings.map((b) => `${b.start}–${b.end}`).join('，') || '无'}`,
    `Booked slots that week: ${fig.week_bookings.map((b) => `${b.start}–${b.end}`).join(', ') || 'none'}`);
  line(`需要 ${fig.signatures_needed} 位受托人签名`, `Needs ${fig.signatures_needed} trustee signature(s)`);
  return box;
}

// A space's week: community hours and booked slots (from the fund's state), Monday first.
function weekView(space, week) {
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const names = zh() ? ['一', '二', '三', '四', '五', '六', '日'] : ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const start = Date.parse(week[0]);
  const table = el('table', { class: 'week', id: 'week-view' }, el('caption', { text: t(`${space.space.name}：本周（北京时间）社区保留时段与已订时段`, `${space.space.name}: this week (Beijing time), community hours and booked slots`) }));
  const head = el('tr', {}, el('th', { scope: 'col', text: t('时', 'Hour') }));
  days.forEach((d, i) => {
    const date = new Date(start + i * 86400000 + OFFSET_H * 3600000).toISOString().slice(5, 10);
    head.append(el('th', { scope: 'col', text: `${names[i]} ${date}` }));
  });
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (let h = 7; h < 22; h++) {
    const tr = el('tr', {}, el('th', { scope: 'row', text: `${String(h).padStart(2, '0')}:00` }));
    days.forEach((d, i) => {
      const slotStart = start + i * 86400000 + h * 3600000;
      const slotEnd = slotStart + 3600000;
      const hh = `${String(h).padStart(2, '0')}:00`;
      const community = space.space.community_hours.some((w) => w.day === d && w.from <= hh && hh < w.to);
      const booked = space.week_bookings.some((b) => Date.parse(b.start) < slotEnd && slotStart < Date.parse(b.end));
      tr.append(el('td', { class: booked ? 'booked' : community ? 'community' : '', text: booked ? t('已订', 'booked') : community ? t('社区', 'community') : '' }));
    });
    body.append(tr);
  }
  table.append(body);
  return table;
}

async function monetaryEntries() {
  const info = await api('GET', `/api/v1/funds/${encodeURIComponent(F)}`);
  const from = Math.max(0, (info.size || 0) - 100);
  const page = await api('GET', `/api/v1/funds/${encodeURIComponent(F)}/entries?from=${from}&limit=100`);
  return page.entries
    .filter((e) => ['donation', 'revenue_share', 'rental', 'disbursement'].includes(e.kind))
    .reverse()
    .map((e) => {
      const what = `#${e.seq} ${e.kind} ${e.delta} ${e.recorded_at.slice(0, 10)}`;
      return [String(e.seq), what, what];
    });
}

async function main() {
  const params = new URLSearchParams(location.search);
  const kind = KINDS.some((k) => k[0] === params.get('kind')) ? params.get('kind') : 'donation';
  root.append(kindNav(kind));
  const ws = await workspace(F, params.get('week') || undefined);
  if (kind === 'reversal') ws.monetary = await monetaryEntries();
  const fields = formOf(kind, ws);
  const form = el('form', { class: 'ws-form', id: 'record-form', novalidate: true });
  const title = KINDS.find((k) => k[0] === kind);
  form.append(el('h2', { id: 'form-title', text: zh() ? title[1] : title[2] }));
  form.append(el('p', { class: 'field-error', id: 'err-form', role: 'alert', tabindex: '-1' }));
  form.append(el('p', { class: 'hint', text: t(`当前余额 ${ws.balance} 元`, `Balance now: ${ws.balance} yuan`), id: 'balance-now' }));
  for (const f of fields) form.append(fieldControl(f));
  if (kind === 'rental') {
    const holder = el('div', { id: 'week-holder', class: 'scroll' });
    form.append(holder);
    const showWeek = () => {
      holder.innerHTML = '';
      const sp = ws.spaces.find((s) => s.space.space_id === form.elements.space_id.value);
      if (sp) holder.append(weekView(sp, ws.week));
    };
    form.elements.space_id && form.elements.space_id.addEventListener('change', showWeek);
    showWeek();
  }
  if (kind === 'revenue_share') {
    const paid = el('p', { class: 'hint', id: 'paid-periods', 'aria-live': 'polite' });
    form.append(paid);
    const showPaid = () => {
      const a = ws.agreements.find((x) => x.agreement.agreement_id === form.elements.agreement_id.value);
      paid.textContent = a ? t(`已付期间：${a.paid_periods.map((p) => `${p.from}–${p.to}`).join('，') || '无'}`,
        `Periods already paid: ${a.paid_periods.map((p) => `${p.from}–${p.to}`).join(', ') || 'none'}`) : '';
    };
    form.elements.agreement_id && form.elements.agreement_id.addEventListener('change', showPaid);
    showPaid();
  }
  form.append(el('p', {}, el('button', { type: 'submit', id: 'review', text: t('核对', 'Review') })));
  const review = el('section', { id: 'review-box', class: 'sign-preview', hidden: true, 'aria-labelledby': 'review-title' });
  const done = el('div', { id: 'done', role: 'status', 'aria-live': 'polite' });
  root.append(form, review, done);

  // Shows or hides fields that depend on others (a resident's phone, …).
  const refresh = () => {
    const v = values(form, fields);
    for (const f of fields) {
      if (!f.showIf) continue;
      const w = form.querySelector(`[data-name="${f.name}"]`);
      w.hidden = !f.showIf(v);
    }
  };
  form.addEventListener('change', refresh);
  refresh();

  let pending = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    review.hidden = true;
    done.textContent = '';
    pending = null;
    try {
      const v = values(form, fields);
      const { body, identity } = await bodyOf(kind, v, ws);
      let value = intent(F, kind, body);
      let result = await check(value);
      // The amount the rules derive (revenue share, rental), then checked again.
      const derived = result.figures && (kind === 'revenue_share' ? result.figures.share_due : kind === 'rental' ? result.figures.rental_price : null);
      if (derived) {
        value = intent(F, kind, Object.assign({}, body, { amount: derived }), { key: value.key, signed_at: value.signed_at });
        result = await check(value);
      }
      if (!result.ok) throw refusalError(result.refusal);
      const text = canonical(value);
      if (result.intent && result.intent !== text) {
        throw new ApiError(0, { code: 'canonical_mismatch', detail: 'the server\'s canonical form differs from this browser\'s: not signing', detail_zh: '服务器给出的规范形式与本浏览器计算的不同：不签名' });
      }
      pending = { value, identity, needed: result.figures.signatures_needed };
      review.innerHTML = '';
      review.append(
        el('h2', { id: 'review-title', tabindex: '-1', text: t('核对后签名', 'Review, then sign') }),
        el('h3', { text: t('用文字说', 'In plain words') }),
        el('p', { id: 'plain-words', text: words(kind, value.body, result.figures) }),
        figuresBlock(kind, result.figures, ws, v),
        el('h3', { text: t('您将签名的内容（规范 JSON）', 'What you sign (canonical JSON)') }),
        el('pre', { id: 'what-you-sign', tabindex: '0', text: text }),
        el('p', {},
          el('button', { type: 'button', id: 'sign', text: pending.needed > 1 ? t(`签名并发起提案（还需 ${pending.needed - 1} 位受托人联署）`, `Sign and propose (${pending.needed - 1} more trustee signature(s) needed)`) : t('签名并提交', 'Sign and submit') }),
          ' ',
          el('button', { type: 'button', id: 'edit', class: 'secondary', text: t('返回修改', 'Edit') })));
      review.hidden = false;
      review.querySelector('#review-title').focus();
      review.querySelector('#edit').addEventListener('click', () => { review.hidden = true; form.elements[0] && form.querySelector('input,select,textarea').focus(); });
      review.querySelector('#sign').addEventListener('click', () => sign(form, review, done));
    } catch (e) {
      showRefusal(form, e instanceof ApiError ? e : new ApiError(0, { code: 'error', detail: String(e.message || e) }));
    }
  });

  async function sign() {
    if (!pending) return;
    const button = review.querySelector('#sign');
    button.disabled = true;
    try {
      if (pending.needed > 1) {
        const answer = await propose(F, pending.value);
        const p = answer.proposal || answer;
        done.innerHTML = '';
        done.append(el('div', { class: 'done', id: 'done-box' },
          el('p', { text: t(`提案已发起（${p.id}）：还需 ${pending.needed - 1} 位受托人在「待签」中联署。`, `Proposed (${p.id}): ${pending.needed - 1} more trustee(s) must co-sign it under “To sign”.`) }),
          el('p', {}, el('a', { href: '/trustee/inbox', text: t('打开待签', 'Open “To sign”') }))));
      } else {
        const r = await append(F, pending.value, pending.identity || undefined);
        done.innerHTML = '';
        const box = el('div', { class: 'done', id: 'done-box', 'data-seq': String(r.seq) },
          el('p', { text: t(`已记录为第 ${r.seq} 条。`, `Recorded as entry ${r.seq}.`) }),
          el('p', {}, el('a', { href: `/funds/${encodeURIComponent(F)}`, text: t('在公示页查看', 'See it on the public page') })));
        if (kind === 'donation') {
          box.append(el('p', {}, el('a', { class: 'button', id: 'receipt-link', href: `/trustee/receipt/${r.seq}`, target: '_blank', text: t('打印捐赠回执（A5）', 'Print the donor\'s receipt (A5)') })));
        }
        done.append(box);
      }
      review.hidden = true;
      form.reset();
      pending = null;
      done.querySelector('.done').setAttribute('tabindex', '-1');
      done.querySelector('.done').focus();
    } catch (e) {
      review.hidden = true;
      showRefusal(form, e);
    } finally {
      button.disabled = false;
    }
  }
}

ready.then(() => main()).catch((e) => {
  root.append(el('p', { class: 'bad', text: e.detail || String(e) }));
});
