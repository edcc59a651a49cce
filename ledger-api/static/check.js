// The "check my donation" page: reads a pasted or uploaded receipt, runs
// window.ledgerVerify.verifyReceipt on it in this browser, and shows each check.
(function () {
  'use strict';
  var form = document.getElementById('check-form');
  if (!form) return;
  var zh = form.getAttribute('data-lang') !== 'en';
  var siteKey = form.getAttribute('data-log-key');
  var policy = null;
  try { policy = form.getAttribute('data-policy') ? JSON.parse(form.getAttribute('data-policy')) : null; } catch (e) { policy = null; }
  var area = document.getElementById('receipt');
  var file = document.getElementById('receipt-file');
  var result = document.getElementById('result');
  var list = document.getElementById('checks');

  var LABELS = {
    receipt_malformed: ['回执格式', 'Receipt format'],
    receipt_version: ['回执版本', 'Receipt version'],
    receipt_entry: ['记录格式（规范 JSON）', 'Entry format (canonical JSON)'],
    receipt_seq: ['记录序号', 'Entry number'],
    checkpoint_signature: ['日志检查点签名（Ed25519）', 'Log checkpoint signature (Ed25519)'],
    checkpoint_malformed: ['检查点格式', 'Checkpoint format'],
    checkpoint_origin: ['检查点所属日志', 'Checkpoint origin'],
    checkpoint_size: ['检查点大小', 'Checkpoint size'],
    inclusion_proof: ['默克尔包含证明（SHA-256）', 'Merkle inclusion proof (SHA-256)'],
    intent_signature: ['基金管理人签名（Ed25519）', "Trustees' signatures (Ed25519)"],
    signers_mismatch: ['签署人名单', 'List of signers'],
    fund_mismatch: ['所属基金', 'Fund'],
    donor_commitment: ['捐赠人身份承诺', "Donor's commitment"],
    witness_quorum: ['见证方副署（本站的见证策略）', "Witnesses' cosignatures (this site's witness policy)"],
    policy_log_mismatch: ['见证方副署（本站的见证策略）', "Witnesses' cosignatures (this site's witness policy)"],
    witness_cosignature_invalid: ['见证方副署（本站的见证策略）', "Witnesses' cosignatures (this site's witness policy)"],
    witness_quorum_not_met: ['见证方副署（本站的见证策略）', "Witnesses' cosignatures (this site's witness policy)"],
    log_key_mismatch: ['日志公钥为本站公布的公钥', "Log key is this site's published key"]
  };
  var KINDS = {
    donation: ['捐赠', 'donation'], revenue_share: ['社会企业收益分成', 'revenue share'],
    rental: ['场地租赁收入', 'rental'], disbursement: ['支出', 'disbursement'],
    statement: ['收支公示', 'statement'], reversal: ['冲正', 'reversal'],
    agreement: ['分成协议', 'agreement'], space: ['共享空间', 'space'],
    trustees: ['管理人变更', 'trustee change'], genesis: ['设立', 'genesis']
  };
  // What a failed check means, in plain words (the verifier's own detail follows).
  var REASONS = {
    receipt_malformed: ['这不是一份完整的回执 JSON。', 'This is not a complete receipt JSON.'],
    receipt_version: ['回执版本不受支持。', 'The receipt version is not supported.'],
    receipt_entry: ['回执中的记录格式不正确或已被改动。', 'The entry in the receipt is malformed or was changed.'],
    receipt_seq: ['回执中的记录序号不一致。', 'The entry number in the receipt does not match.'],
    checkpoint_signature: ['日志检查点的签名无效：它不是由日志公钥签署的。', 'The log checkpoint is not validly signed by the log key.'],
    checkpoint_malformed: ['日志检查点格式不正确。', 'The log checkpoint is malformed.'],
    checkpoint_origin: ['检查点属于另一个日志。', 'The checkpoint is of another log.'],
    checkpoint_size: ['检查点大小与回执不符。', 'The checkpoint size does not match the receipt.'],
    inclusion_proof: ['这条记录不在已签署的日志中：记录或证明被改动过。', 'The entry is not in the signed log: the entry or the proof was changed.'],
    intent_signature: ['基金管理人的签名无效。', "A trustee's signature does not verify."],
    signers_mismatch: ['签署人名单与记录上的签名不符。', "The listed signers are not the entry's signers."],
    fund_mismatch: ['记录不属于回执所说的基金。', 'The entry is not of the fund the receipt names.'],
    donor_commitment: ['姓名、电话与盐值不能打开这笔捐赠的承诺值：这不是您的捐赠，或信息有误。', "The name, phone and salt do not open this donation's commitment: it is not yours, or they are wrong."],
    policy_log_mismatch: ['检查点不是由本站见证策略中的日志公钥签署的。', "The checkpoint is not signed by a log key of this site's witness policy."],
    witness_cosignature_invalid: ['见证方的副署签名无效：检查点或签名被改动过。', "A witness's cosignature does not verify: the checkpoint or the cosignature was changed."],
    witness_quorum_not_met: ['检查点尚未得到足够的见证方副署：请过一分钟后重新获取回执。', 'The checkpoint is not yet cosigned by enough witnesses: ask for a new receipt in a minute.'],
    log_key_mismatch: ['回执由本站未公布的日志公钥签署。', "The receipt is signed by a log key this site does not publish."]
  };
  function say(pair) { return pair ? pair[zh ? 0 : 1] : ''; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(out) {
    result.textContent = '';
    list.textContent = '';
    var v;
    if (out.ok) {
      var s = out.summary;
      v = el('p', 'verdict ok', (zh ? '✔ 核验通过：' : '✔ Verified: ') +
        s.fund + ' #' + s.seq + ' · ' + say(KINDS[s.kind]) +
        (s.amount ? ' · ¥' + s.amount : '') + ' · ' + s.recorded_at);
      v.id = 'verdict';
      v.setAttribute('data-result', 'pass');
      result.appendChild(v);
      var d = el('p', '', (zh ? '检查点树大小 ' : 'Signed tree size ') + s.tree_size +
        (s.donor_confirmed ? (zh ? ' · 已确认是您的捐赠' : ' · confirmed as your donation') : '') +
        ' · ' + (zh ? '签署人（服务器提供的姓名）：' : 'Signers (names as the server gives them): ') + s.signers.join(zh ? '、' : ', '));
      result.appendChild(d);
      if (s.witnessed) {
        // Who witnessed the receipt's checkpoint, and when the last of them cosigned.
        var names = s.witnessed.map(function (w) { return w.witness; });
        var last = s.witnessed.reduce(function (m, w) { return Math.max(m, Number(w.timestamp)); }, 0);
        var at = new Date(last * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
        var wp = el('p', 'witnessed', names.length === 0 ? (zh ? '本站的见证策略不要求见证。' : "This site's witness policy needs no witness.")
          : (zh ? '由 ' + names.join('、') + ' 见证, ' + at + '（已在您的浏览器中核验副署签名）'
            : 'Witnessed by ' + names.join(', ') + ', ' + at + ' (cosignatures verified in your browser)'));
        wp.id = 'witnessed-by';
        result.appendChild(wp);
      }
    } else {
      v = el('p', 'verdict bad', (zh ? '✘ 核验失败：' : '✘ Not verified: ') +
        say(LABELS[out.code]) + ' (' + out.code + ') — ' + say(REASONS[out.code]));
      v.appendChild(el('small', '', ' ' + out.message));
      v.id = 'verdict';
      v.setAttribute('data-result', 'fail');
      v.setAttribute('data-code', out.code);
      result.appendChild(v);
    }
    out.checks.forEach(function (c) {
      var li = el('li', c.ok ? 'pass' : 'fail',
        (c.ok ? '✔ ' : '✘ ') + say(LABELS[c.code]) + (c.ok ? '' : ' — ' + c.message));
      li.setAttribute('data-code', c.code);
      list.appendChild(li);
    });
  }

  function run(text) {
    result.textContent = zh ? '正在核验……' : 'Checking…';
    return window.ledgerVerify.verifyReceipt(text, siteKey, policy).then(show, function (e) {
      show({ ok: false, code: 'receipt_malformed', message: String(e), checks: [] });
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    run(area.value.trim());
  });
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    if (!f) return;
    f.text().then(function (t) { area.value = t; return run(t.trim()); });
  });

  // Opened from a statement's QR code: ?fund=&seq= fetches that entry's public receipt.
  var q = new URLSearchParams(location.search);
  var fund = q.get('fund'), seq = q.get('seq');
  if (fund && /^[a-z0-9-]{1,48}$/.test(fund) && seq && /^[0-9]{1,16}$/.test(seq)) {
    fetch('/api/v1/funds/' + fund + '/entries/' + seq + '/receipt')
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (t) { area.value = t; return run(t); })
      .catch(function (e) {
        result.textContent = (zh ? '无法取得回执：' : 'Could not fetch the receipt: ') + e.message;
      });
  }
})();
