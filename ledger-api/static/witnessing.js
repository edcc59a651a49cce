// A statement's witnesses: checks, in this browser, the cosignatures on the fund's
// witnessed checkpoint (the page's data-note) against the witness keys the page prints
// (data-policy), and the log's own signature (data-log-key), with window.ledgerVerify.
// window.ledgerWitnessing.run() checks again (after the note was changed, say).
(function () {
  'use strict';
  var box = document.getElementById('witnessing');
  var out = document.getElementById('witness-check');
  if (!box || !out) return;
  var zh = box.getAttribute('data-lang') !== 'en';

  function show(result, code, text) {
    out.setAttribute('data-result', result);
    if (code) out.setAttribute('data-code', code); else out.removeAttribute('data-code');
    out.textContent = text;
  }
  function when(ts) {
    var d = new Date(Number(ts) * 1000);
    return isNaN(d.getTime()) ? '@' + ts : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }
  function failed(code, message) {
    show('fail', code, (zh ? '✘ 见证核验失败：' : '✘ Witnesses not verified: ') + code + ' — ' + message);
  }

  function run() {
    var note = box.getAttribute('data-note');
    var logKey = box.getAttribute('data-log-key');
    var origin = box.getAttribute('data-origin');
    if (!note) {
      show('none', 'no_witnessed_checkpoint', zh ? '尚无见证过的检查点。' : 'No witnessed checkpoint yet.');
      return Promise.resolve();
    }
    var policy;
    try { policy = JSON.parse(box.getAttribute('data-policy')); } catch (e) {
      failed('witness_policy', String(e));
      return Promise.resolve();
    }
    show('pending', null, zh ? '正在核验见证签名……' : 'Checking the cosignatures…');
    var V = window.ledgerVerify;
    return V.verifyNote(note, [logKey]).then(function (signed) {
      if (!signed.ok) return failed('checkpoint_signature', signed.message);
      return V.verifyWitnesses(note, logKey, origin, policy).then(function (w) {
        if (!w.ok) return failed(w.code, w.message);
        show('pass', null, (zh ? '✔ 已在您的浏览器中核验见证签名：' : '✔ Cosignatures verified in your browser: ') +
          w.witnessed.map(function (x) { return x.witness + ' (' + when(x.timestamp) + ')'; }).join(zh ? '、' : ', '));
      });
    }).catch(function (e) { failed('error', String(e)); });
  }

  window.ledgerWitnessing = { run: run };
  run();
})();
