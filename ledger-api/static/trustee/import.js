// community-ledger workspace: CSV import in the browser (/trustee/import).
//
// The layouts are the CLI's (README "Importing CSV"; ledger_core::import reads both). A
// dry run comes first: the file is sent to POST …/import/check, which reads it, applies
// every row in order to a copy of the fund's state with the core's rules and writes
// nothing; every refused row is listed with its line and the reason in the page's
// language, rows already in the log (same content-derived idempotency key) are counted as
// such. Only a file with no refused row is imported: each row's intent, exactly the
// canonical JSON the check returned, is signed with the key in this browser and appended
// (or proposed, when the fund's policy needs more signatures than one), with progress
// shown. A re-run records nothing new: its rows are already recorded.
import { api, append, fund, propose, t, zh } from './api.js';
import { ready } from './shell.js';

const F = fund();
const LAYOUTS = [
  ['donation', '捐赠', 'donations', 'date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo'],
  ['disbursement', '支出', 'disbursements', 'date,amount,payee_name,payee_class,purpose,project,invoice_no'],
  ['rental', '场地租赁', 'rentals', 'space_id,renter_name,renter_class,start,end,amount'],
  ['revenue_share', '收益分成', 'revenue shares', 'agreement_id,from,to,base,amount'],
];
// Most tries of one row answered 429 or 503 (the server asks to retry later).
const TRIES_MAX = 8;

const $ = (id) => document.getElementById(id);
const form = $('import-form');
const kindEl = $('import-kind');
const fileEl = $('import-file');
const errEl = $('import-error');
const runEl = $('import-run');
const logEl = $('import-log');

$('import-intro').textContent = t(
  '按命令行工具的格式（UTF-8 CSV，首行为表头）导入历史记录，每行一条。先检查：列出每一条会被拒绝的行及原因，不写入任何内容；全部通过后，再在本浏览器中逐行签名并记入。',
  'Import historical records in the command line tool\'s layouts (UTF-8 CSV with a header row), one entry per row. First a check lists every row that would be refused and why, writing nothing; once every row passes, each is signed in this browser and recorded.');
$('import-kind-label').textContent = t('格式', 'Layout');
$('import-file-label').textContent = t('CSV 文件', 'CSV file');
$('import-check').textContent = t('检查（不写入）', 'Dry run (writes nothing)');
$('h-result').textContent = t('检查结果', 'Dry run');
$('th-line').textContent = t('行号', 'Row');
$('th-code').textContent = t('代码', 'Code');
$('th-reason').textContent = t('原因', 'Reason');
$('import-progress-label').textContent = t('进度', 'Progress');
for (const [value, z, e] of LAYOUTS) {
  kindEl.append(Object.assign(document.createElement('option'), { value, textContent: zh() ? z : e }));
}
function showColumns() {
  const l = LAYOUTS.find((x) => x[0] === kindEl.value);
  $('import-columns').textContent = t('表头：', 'Header: ') + l[3];
}
kindEl.addEventListener('change', showColumns);
showColumns();

let checked = null;

function detail(r) {
  return zh() ? r.detail_zh : r.detail_en;
}

async function dryRun(ev) {
  ev.preventDefault();
  errEl.textContent = '';
  fileEl.removeAttribute('aria-invalid');
  runEl.hidden = true;
  checked = null;
  const file = fileEl.files[0];
  if (!file) {
    fileEl.setAttribute('aria-invalid', 'true');
    errEl.textContent = t('请选择一个 CSV 文件', 'Choose a CSV file');
    fileEl.focus();
    return;
  }
  let result;
  try {
    const csv = await file.text();
    result = await api('POST', `/api/v1/funds/${encodeURIComponent(F)}/import/check`, { kind: kindEl.value, csv });
  } catch (e) {
    fileEl.setAttribute('aria-invalid', 'true');
    errEl.textContent = `${e.detail} (${e.code})`;
    return;
  }
  show(result);
}

function show(r) {
  $('import-result').hidden = false;
  logEl.replaceChildren();
  $('import-progress-line').hidden = true;
  $('import-summary').textContent = t(
    `共 ${r.total} 行：${r.ok} 行可记入，${r.already_recorded} 行已记入，${r.refused} 行会被拒绝。未写入任何内容。`,
    `${r.total} rows: ${r.ok} to record, ${r.already_recorded} already recorded, ${r.refused} refused. Nothing was written.`);
  const table = $('import-refused');
  const body = table.querySelector('tbody');
  body.replaceChildren();
  for (const row of r.rows.filter((x) => x.status === 'refused')) {
    const tr = document.createElement('tr');
    tr.dataset.line = row.line;
    for (const v of [String(row.line), row.refusal.code, detail(row.refusal)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
  table.hidden = r.refused === 0;
  if (r.refused > 0) {
    $('import-summary').textContent += t(' 请修改或删除被拒绝的行后重新检查。', ' Fix or remove the refused rows and check again.');
    return;
  }
  checked = r;
  runEl.hidden = false;
  runEl.disabled = r.ok === 0;
  runEl.textContent = t(`签名并记入 ${r.ok} 行`, `Sign and record ${r.ok} rows`);
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Sends one row, retried while the server asks to come back later (429/503) with the same
// signed bytes: it records a row at most once.
async function sendRow(row) {
  const intentText = row.intent;
  const needs = row.figures ? row.figures.signatures_needed : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      if (needs > 1) return { proposed: await propose(F, intentText) };
      return { appended: await append(F, intentText, row.donor_identity) };
    } catch (e) {
      if ((e.status === 429 || e.status === 503) && attempt < TRIES_MAX) {
        await sleep(Math.min(1000 * attempt, 5000));
        continue;
      }
      throw e;
    }
  }
}

async function run() {
  if (!checked) return;
  const rows = checked.rows.filter((x) => x.status === 'ok');
  runEl.disabled = true;
  $('import-progress-line').hidden = false;
  const bar = $('import-progress');
  const text = $('import-progress-text');
  bar.max = rows.length;
  bar.value = 0;
  let recorded = 0; let proposed = 0; let again = 0; let refused = 0;
  for (const [i, row] of rows.entries()) {
    const li = document.createElement('li');
    li.dataset.line = row.line;
    try {
      const r = await sendRow(row);
      if (r.proposed) {
        proposed++;
        li.textContent = t(`第 ${row.line} 行：已发起提案，等待其他受托人联署`, `row ${row.line}: proposed, waiting for the other trustees`);
      } else if (r.appended && r.appended.seq != null) {
        recorded++;
        li.textContent = t(`第 ${row.line} 行：已记为第 ${r.appended.seq} 条`, `row ${row.line}: recorded as entry ${r.appended.seq}`);
      }
    } catch (e) {
      if (e.code === 'idempotency_conflict') {
        again++;
        li.textContent = t(`第 ${row.line} 行：已记入过`, `row ${row.line}: already recorded`);
      } else {
        refused++;
        li.className = 'bad';
        li.textContent = t(`第 ${row.line} 行：被拒绝：${e.detail}（${e.code}）`, `row ${row.line}: refused: ${e.detail} (${e.code})`);
      }
    }
    logEl.append(li);
    bar.value = i + 1;
    text.textContent = `${i + 1} / ${rows.length}`;
  }
  $('import-summary').textContent = t(
    `完成：${recorded} 行已记入，${proposed} 行已发起提案，${checked.already_recorded + again} 行此前已记入，${refused} 行被拒绝。`,
    `Done: ${recorded} recorded, ${proposed} proposed, ${checked.already_recorded + again} already recorded, ${refused} refused.`);
  $('import-summary').dataset.done = 'true';
  checked = null;
  runEl.hidden = true;
}

ready.finally(() => {
  form.addEventListener('submit', dryRun);
  runEl.addEventListener('click', run);
});
