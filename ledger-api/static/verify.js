// community-ledger: an independent receipt verifier for the browser (FORMAT.md §4, §7–§9,
// §11), with witness cosignatures and policies (§13). Plain JavaScript and WebCrypto only (SHA-256, Ed25519); nothing is sent anywhere.
// Everything is exposed on window.ledgerVerify so that tests can run the same functions
// on third-party vectors and compare them with ledger-core.
(function (global) {
  'use strict';

  var enc = new TextEncoder();
  var RECEIPT_VERSION = 'community-ledger/receipt/v1';
  var RECEIPT_BYTES_MAX = 2 << 20;
  var ENTRY_BYTES_MAX = 65536;
  var NOTE_BYTES_MAX = 1 << 20;
  var NOTE_SIGNATURES_MAX = 100;
  var DEPTH_MAX = 32;
  var INTENT_PREFIX = 'community-ledger/intent/v1\n';
  var DONOR_PREFIX = 'community-ledger/donor/v1\n';
  var KINDS = ['genesis', 'trustees', 'donation', 'agreement', 'revenue_share', 'space',
    'rental', 'disbursement', 'reversal', 'statement', 'restriction', 'restriction_revocation',
    'restriction_closing'];
  // Members no body may carry: releases of restricted money are derived (FORMAT.md §5).
  var RELEASE_MEMBERS = ['release', 'releases', 'released'];
  var MONETARY = ['donation', 'revenue_share', 'rental', 'disbursement'];
  // Ed25519 encodings of points of small order (canonical and not), refused as keys.
  var SMALL_ORDER = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    '0100000000000000000000000000000000000000000000000000000000000080',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'
  ];

  // ---- bytes ------------------------------------------------------------------------

  function hexToBytes(h) {
    if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) return null;
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }
  function bytesToHex(b) {
    var s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  function bytesToB64(b) {
    var s = '';
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s);
  }
  // Standard, padded, canonical base64 only (re-encoding gives the same text); else null.
  function b64ToBytes(s) {
    if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
    var bin;
    try { bin = atob(s); } catch (e) { return null; }
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return bytesToB64(out) === s ? out : null;
  }
  function concat() {
    var n = 0, i;
    for (i = 0; i < arguments.length; i++) n += arguments[i].length;
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }
  function equal(a, b) {
    if (!a || !b || a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function sha256(bytes) {
    return crypto.subtle.digest('SHA-256', bytes).then(function (d) { return new Uint8Array(d); });
  }
  function isSmallOrder(pub) { return SMALL_ORDER.indexOf(bytesToHex(pub)) >= 0; }

  // ---- Ed25519 points and the strict rule (FORMAT.md §3) ------------------------------

  var P = (1n << 255n) - 19n;
  var D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
  function powMod(b, e) {
    var r = 1n;
    b %= P;
    for (; e > 0n; e >>= 1n) { if (e & 1n) r = r * b % P; b = b * b % P; }
    return r;
  }
  // The y coordinate of a point encoding (little-endian, sign bit cleared), not reduced.
  function encodedY(b) {
    var y = 0n;
    for (var i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? b[i] & 0x7f : b[i]);
    return y;
  }
  // Whether 32 bytes decode to a curve point as ledger-core decodes keys (ed25519-dalek,
  // ZIP-215): y taken mod p, x² = (y² − 1) / (d·y² + 1) a square (Euler's criterion).
  function isPoint(b) {
    var y = encodedY(b) % P, yy = y * y % P;
    var w = (yy - 1n + P) % P * powMod(D * yy % P + 1n, P - 2n) % P;
    return w === 0n || powMod(w, (P - 1n) / 2n) === 1n;
  }
  // A public key as ledger-core parses one (FORMAT.md §2): a curve point, not of small order.
  function isPublicKey(b) { return b !== null && b.length === 32 && isPoint(b) && !isSmallOrder(b); }
  // The encoding is canonical (y < p) and the point is not of small order: what the strict
  // rule asks of R and of the key (ledger_core::strict::point_is_strict).
  function isStrictPoint(b) { return encodedY(b) < P && !isSmallOrder(b); }

  // Ed25519 by the strict rule of FORMAT.md §3 (ledger_core::strict::signature_is_strict):
  // R and the key canonically encoded and not of small order, checked here; s < ℓ and the
  // cofactorless equation, checked by WebCrypto. Every signature the server records since
  // strict-on-write passes; a ZIP-215-only signature (a crafted R with a small-order
  // component) does not. False for any malformed input.
  function ed25519Verify(pub, sig, msg) {
    if (pub.length !== 32 || sig.length !== 64 || !isPoint(pub) || !isStrictPoint(pub) || !isStrictPoint(sig.subarray(0, 32))) return Promise.resolve(false);
    return crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify'])
      .then(function (key) { return crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg); })
      .catch(function () { return false; });
  }

  // ---- canonical JSON (RFC 8785) -------------------------------------------------------

  function jcs(v) {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (!isFinite(v)) throw new Error('not a finite number');
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
    // Default sort compares UTF-16 code units, as JCS requires.
    return '{' + Object.keys(v).sort().map(function (k) {
      return JSON.stringify(k) + ':' + jcs(v[k]);
    }).join(',') + '}';
  }
  function depth(v) {
    if (v === null || typeof v !== 'object') return 0;
    var d = 0;
    var items = Array.isArray(v) ? v : Object.keys(v).map(function (k) { return v[k]; });
    for (var i = 0; i < items.length; i++) d = Math.max(d, depth(items[i]));
    return d + 1;
  }

  // ---- Merkle (RFC 9162 §2.1.3.2, §2.1.4.2, with transparency-dev's edge cases) -------

  function toBig(n) { return typeof n === 'bigint' ? n : BigInt(n); }
  function nodeHash(l, r) { return sha256(concat(new Uint8Array([1]), l, r)); }

  // leafHash, proof items and root are Uint8Arrays. Resolves to true or false.
  async function merkleInclusion(leafIndex, treeSize, leafHash, proof, root) {
    var fn = toBig(leafIndex), sn = toBig(treeSize) - 1n;
    if (toBig(leafIndex) >= toBig(treeSize)) return false;
    if (!leafHash || leafHash.length !== 32) return false;
    var r = leafHash;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && equal(r, root);
  }

  async function merkleConsistency(size1, size2, proof, root1, root2) {
    var s1 = toBig(size1), s2 = toBig(size2);
    if (s1 > s2) return false;
    if (s1 === 0n) return false; // even 0 → 0 (transparency-dev's policy, FORMAT.md §7)
    if (s1 === s2) return proof.length === 0 && equal(root1, root2);
    var c = proof.slice();
    if ((s1 & (s1 - 1n)) === 0n) c.unshift(root1);
    if (c.length === 0) return false;
    var fn = s1 - 1n, sn = s2 - 1n;
    while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
    var fr = c[0], sr = c[0];
    for (var i = 1; i < c.length; i++) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        fr = await nodeHash(c[i], fr);
        sr = await nodeHash(c[i], sr);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        sr = await nodeHash(sr, c[i]);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && equal(fr, root1) && equal(sr, root2);
  }

  // ---- C2SP signed notes and checkpoints (FORMAT.md §8) --------------------------------

  function isKeyName(name) {
    return typeof name === 'string' && name.length > 0 && !/[\s+\u0000-\u001f\u007f\u0085\u00a0]/.test(name);
  }
  function noteError(code, message) { return { ok: false, code: code, message: message }; }

  async function keyId(name, pub, type) {
    var h = await sha256(concat(enc.encode(name), new Uint8Array([0x0a, type === undefined ? 0x01 : type]), pub));
    return ((h[0] << 24) >>> 0) + (h[1] << 16) + (h[2] << 8) + h[3];
  }

  // `<name>+<8 hex key id>+<base64(type ‖ public key)>`: type 0x01 (a log key, the
  // default) or 0x04 (a witness's cosignature/v1 key, FORMAT.md §13).
  async function parseVkey(vkey, type) {
    if (type === undefined) type = 0x01;
    if (typeof vkey !== 'string') return noteError('malformed_verifier_key', 'not a string');
    var a = vkey.indexOf('+'), b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
    if (a < 0 || b < 0) return noteError('malformed_verifier_key', 'expected name+id+key');
    var name = vkey.slice(0, a), idHex = vkey.slice(a + 1, b), keyB64 = vkey.slice(b + 1);
    if (!isKeyName(name)) return noteError('malformed_verifier_key', 'bad key name');
    if (!/^[0-9a-f]{8}$/.test(idHex)) return noteError('malformed_verifier_key', 'key id is not 8 hex digits');
    var raw = b64ToBytes(keyB64);
    if (!raw || raw.length === 0) return noteError('malformed_verifier_key', 'key is not base64');
    if (raw[0] !== type) return noteError('unsupported_algorithm', 'not a key of type ' + type + ' (type ' + raw[0] + ')');
    if (raw.length !== 33) return noteError('malformed_verifier_key', 'the public key is not 32 bytes');
    var pub = raw.slice(1);
    if (isSmallOrder(pub)) return noteError('malformed_verifier_key', 'public key of small order');
    var id = await keyId(name, pub, type);
    if (id !== parseInt(idHex, 16)) return noteError('malformed_verifier_key', 'key id does not match the key');
    return { ok: true, name: name, keyId: id, pub: pub };
  }

  function parseNote(note) {
    if (typeof note !== 'string') return noteError('malformed_note', 'not a string');
    if (enc.encode(note).length > NOTE_BYTES_MAX) return noteError('malformed_note', 'note too large');
    if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return noteError('malformed_note', 'control character');
    var split = note.lastIndexOf('\n\n');
    if (split < 0) return noteError('malformed_note', 'no blank line before the signatures');
    var text = note.slice(0, split + 1), block = note.slice(split + 2);
    if (block.length === 0 || block[block.length - 1] !== '\n') return noteError('malformed_note', 'signature block must end with a newline');
    var lines = block.slice(0, -1).split('\n');
    if (lines.length > NOTE_SIGNATURES_MAX) return noteError('malformed_note', 'too many signatures');
    var sigs = [];
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      if (line.slice(0, 2) !== '\u2014 ') return noteError('malformed_note', 'signature line ' + (i + 1) + ' does not start with "— "');
      var rest = line.slice(2), sp = rest.indexOf(' ');
      if (sp < 0) return noteError('malformed_note', 'signature line ' + (i + 1) + ' has no signature');
      var name = rest.slice(0, sp), blob = b64ToBytes(rest.slice(sp + 1));
      if (!isKeyName(name)) return noteError('malformed_note', 'bad signer name on line ' + (i + 1));
      if (!blob || blob.length < 5) return noteError('malformed_note', 'bad signature encoding on line ' + (i + 1));
      var id = ((blob[0] << 24) >>> 0) + (blob[1] << 16) + (blob[2] << 8) + blob[3];
      sigs.push({ name: name, keyId: id, sig: blob.slice(4), line: line });
    }
    return { ok: true, text: text, signatures: sigs };
  }

  // Opens a note with the given vkeys, as ledger_core::note::open_note: signatures by
  // unknown keys are ignored; one known key whose signature fails refuses the note; at
  // least one known key must have signed.
  async function verifyNote(note, vkeys) {
    var keys = [];
    for (var i = 0; i < vkeys.length; i++) {
      var k = await parseVkey(vkeys[i]);
      if (!k.ok) return k;
      keys.push(k);
    }
    var parsed = parseNote(note);
    if (!parsed.ok) return parsed;
    var verifiedBy = [], seen = [], unknown = [];
    var message = enc.encode(parsed.text);
    for (i = 0; i < parsed.signatures.length; i++) {
      var s = parsed.signatures[i];
      var candidates = keys.filter(function (k) { return k.name === s.name && k.keyId === s.keyId; });
      if (candidates.length === 0) {
        if (unknown.indexOf(s.line) < 0) unknown.push(s.line);
        continue;
      }
      var good = false;
      for (var j = 0; j < candidates.length && !good; j++) good = await ed25519Verify(candidates[j].pub, s.sig, message);
      if (!good) return noteError('invalid_note_signature', 'the signature by ' + s.name + ' does not verify');
      var tag = s.name + '+' + s.keyId;
      if (seen.indexOf(tag) < 0) {
        seen.push(tag);
        if (verifiedBy.indexOf(s.name) < 0) verifiedBy.push(s.name);
      }
    }
    if (verifiedBy.length === 0) return noteError('unverified_note', 'no signature by a known key');
    return { ok: true, text: parsed.text, verified_by: verifiedBy, unverified: unknown.length };
  }

  // `<origin>\n<size>\n<base64 root>\n[extensions\n]`.
  function parseCheckpoint(text) {
    if (typeof text !== 'string' || text.length === 0 || text[text.length - 1] !== '\n') return null;
    var lines = text.slice(0, -1).split('\n');
    if (lines.length < 3) return null;
    var origin = lines[0], size = lines[1], root = b64ToBytes(lines[2]);
    if (origin.length === 0 || /[\u0000-\u001f\u007f]/.test(origin)) return null;
    if (!/^(0|[1-9][0-9]*)$/.test(size) || BigInt(size) >= (1n << 64n)) return null;
    if (!root || root.length !== 32) return null;
    for (var i = 3; i < lines.length; i++) if (lines[i].length === 0) return null;
    return { origin: origin, tree_size: BigInt(size), root: root };
  }


  // ---- C2SP tlog-cosignature v1.0.1 and witness policies (FORMAT.md §13) ---------------

  var COSIGNATURE_HEADER = 'cosignature/v1\n';
  var TIMESTAMP_MAX = (1n << 63n) - 1n;

  // Checks every signature line of `note` against the witness vkeys (type 0x04), as
  // ledger_core::cosignature::check_lines and open_cosigned: a line whose name and key id
  // match no witness is ignored; a matching line is valid only if it holds exactly 72
  // bytes (u64 big-endian timestamp ‖ Ed25519 signature), the timestamp is at most
  // 2^63 − 1, and the signature verifies over "cosignature/v1\ntime <t>\n" ‖ the note's
  // whole text; otherwise it is invalid. Resolves to {ok, code?, message?, lines:
  // [{name, keyId, outcome, timestamp?}], cosigned: [{name, keyId, timestamp}],
  // open: 'ok' | 'invalid_signature' | 'unverified'}; timestamps are decimal strings.
  async function checkCosignatures(note, witnessVkeys) {
    var keys = [];
    for (var i = 0; i < witnessVkeys.length; i++) {
      var k = await parseVkey(witnessVkeys[i], 0x04);
      if (!k.ok) return k;
      keys.push(k);
    }
    var parsed = parseNote(note);
    if (!parsed.ok) return parsed;
    var lines = [], cosigned = [];
    for (i = 0; i < parsed.signatures.length; i++) {
      var s = parsed.signatures[i];
      var candidates = keys.filter(function (k) { return k.name === s.name && k.keyId === s.keyId; });
      var line = { name: s.name, keyId: s.keyId, outcome: 'ignored' };
      if (candidates.length > 0) {
        line.outcome = 'invalid';
        if (s.sig.length === 72) {
          var t = 0n;
          for (var j = 0; j < 8; j++) t = (t << 8n) | BigInt(s.sig[j]);
          if (t <= TIMESTAMP_MAX) {
            var message = enc.encode(COSIGNATURE_HEADER + 'time ' + t.toString() + '\n' + parsed.text);
            for (j = 0; j < candidates.length && line.outcome !== 'valid'; j++) {
              if (await ed25519Verify(candidates[j].pub, s.sig.slice(8), message)) line.outcome = 'valid';
            }
          }
          line.timestamp = t.toString();
        }
        if (line.outcome === 'valid' && !cosigned.some(function (c) { return c.name === s.name && c.keyId === s.keyId; })) {
          cosigned.push({ name: s.name, keyId: s.keyId, timestamp: line.timestamp });
        }
      }
      lines.push(line);
    }
    var open = lines.some(function (l) { return l.outcome === 'invalid'; }) ? 'invalid_signature'
      : cosigned.length === 0 ? 'unverified' : 'ok';
    return { ok: true, lines: lines, cosigned: cosigned, open: open };
  }

  // Whether the witnesses named in `witnessed` (policy names) meet the policy's quorum.
  // `policy`: {quorum: name | 'none', witnesses: [{name, vkey}], groups: [{name,
  // threshold: 'all' | 'any' | k, members: [name]}]}, groups in file order (each names
  // only earlier witnesses and groups). Returns {met, missing: [text]}: what the quorum
  // lacks, as ledger_core::witness_check reports it.
  function checkQuorum(policy, witnessed) {
    if (policy.quorum === 'none') return { met: true, missing: [] };
    var met = witnessed.slice(), counts = [];
    (policy.groups || []).forEach(function (g) {
      var have = g.members.filter(function (m) { return met.indexOf(m) >= 0; }).length;
      var n = g.members.length;
      var needed = g.threshold === 'all' ? n : g.threshold === 'any' ? 1 : Number(g.threshold);
      if (have >= needed) met.push(g.name);
      counts.push({ have: have, needed: needed });
    });
    if (met.indexOf(policy.quorum) >= 0) return { met: true, missing: [] };
    var reached = [policy.quorum];
    (policy.groups || []).slice().reverse().forEach(function (g) {
      if (reached.indexOf(g.name) >= 0) reached = reached.concat(g.members);
    });
    var missing = policy.witnesses
      .filter(function (w) { return reached.indexOf(w.name) >= 0 && met.indexOf(w.name) < 0; })
      .map(function (w) { return 'witness ' + w.name; });
    (policy.groups || []).forEach(function (g, i) {
      if (reached.indexOf(g.name) >= 0 && met.indexOf(g.name) < 0) {
        missing.push('group ' + g.name + ' needs ' + counts[i].needed + ' of ' + g.members.length + ', has ' + counts[i].have);
      }
    });
    return { met: false, missing: missing };
  }

  // Whether the policy `log` key named `name` corresponds to `origin`: the origin is the
  // name, or `<name>/<fund>` (FORMAT.md §13).
  function originCorresponds(name, origin) {
    if (origin === name) return true;
    if (origin.slice(0, name.length + 1) !== name + '/') return false;
    var fund = origin.slice(name.length + 1);
    return fund.length > 0 && fund.indexOf('/') < 0;
  }

  // Checks a checkpoint note, already verified under `logKey` (vkey), against `policy`
  // ({logs: [vkey], witnesses, groups, quorum}, see checkQuorum), as
  // ledger_core::witness_check::check_checkpoint. Resolves to {ok, code?, message?,
  // witnessed: [{witness, name, timestamp}], missing?}.
  async function verifyWitnesses(note, logKey, origin, policy) {
    var listed = (policy.logs || []).filter(function (k) { return k === logKey; });
    var lk = await parseVkey(logKey);
    if (listed.length === 0 || !lk.ok) return { ok: false, code: 'policy_log_mismatch', message: 'the checkpoint is signed by log key ' + logKey + ', which the witness policy does not list', witnessed: [] };
    if (!originCorresponds(lk.name, origin)) return { ok: false, code: 'policy_log_mismatch', message: 'the policy\'s log key name does not correspond to the checkpoint origin ' + origin, witnessed: [] };
    var vkeys = policy.witnesses.map(function (w) { return w.vkey; });
    var checked = await checkCosignatures(note, vkeys);
    if (!checked.ok) return { ok: false, code: checked.code === 'unsupported_algorithm' || checked.code === 'malformed_verifier_key' ? 'witness_policy_bad_witness_key' : 'checkpoint_malformed', message: checked.message, witnessed: [] };
    var bad = checked.lines.filter(function (l) { return l.outcome === 'invalid'; });
    var witnessed = [];
    for (var i = 0; i < policy.witnesses.length; i++) {
      var k = await parseVkey(policy.witnesses[i].vkey, 0x04);
      var c = checked.cosigned.filter(function (x) { return x.name === k.name && x.keyId === k.keyId; })[0];
      if (c) witnessed.push({ witness: policy.witnesses[i].name, name: c.name, timestamp: c.timestamp, order: checked.cosigned.indexOf(c) });
    }
    witnessed.sort(function (a, b) { return a.order - b.order; });
    witnessed.forEach(function (w) { delete w.order; });
    if (bad.length > 0) return { ok: false, code: 'witness_cosignature_invalid', message: 'the cosignature by witness ' + bad[0].name + ' does not verify', witnessed: witnessed };
    var q = checkQuorum(policy, witnessed.map(function (w) { return w.witness; }));
    if (!q.met) return { ok: false, code: 'witness_quorum_not_met', message: 'the checkpoint does not meet the witness quorum: missing ' + q.missing.join(', '), witnessed: witnessed, missing: q.missing };
    return { ok: true, witnessed: witnessed };
  }

  // ---- receipts (FORMAT.md §11) -----------------------------------------------------------

  var CHECKS = ['receipt_malformed', 'receipt_version', 'receipt_entry', 'receipt_seq',
    'checkpoint_signature', 'checkpoint_malformed', 'checkpoint_origin', 'checkpoint_size',
    'inclusion_proof', 'intent_signature', 'signers_mismatch', 'fund_mismatch',
    'donor_commitment', 'witness_quorum', 'log_key_mismatch'];

  var HEX64 = /^[0-9a-f]{64}$/, HEX128 = /^[0-9a-f]{128}$/;

  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function isUint(v) { return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0; }
  function onlyMembers(o, required, optional) {
    var keys = Object.keys(o);
    for (var i = 0; i < keys.length; i++) {
      if (required.indexOf(keys[i]) < 0 && (optional || []).indexOf(keys[i]) < 0) return 'unknown member "' + keys[i] + '"';
    }
    for (i = 0; i < required.length; i++) if (!(required[i] in o)) return 'missing member "' + required[i] + '"';
    return null;
  }

  function checkDocument(r) {
    if (!isObject(r)) return 'not a JSON object';
    var m = onlyMembers(r, ['version', 'origin', 'log_key', 'entry', 'seq', 'tree_size', 'inclusion', 'checkpoint', 'signers'], ['donor']);
    if (m) return m;
    var strings = ['version', 'origin', 'log_key', 'entry', 'checkpoint'];
    for (var i = 0; i < strings.length; i++) if (typeof r[strings[i]] !== 'string') return strings[i] + ' is not a string';
    if (!isUint(r.seq) || !isUint(r.tree_size)) return 'seq and tree_size must be non-negative integers';
    if (!Array.isArray(r.inclusion) || !r.inclusion.every(function (h) { return typeof h === 'string' && HEX64.test(h); })) return 'inclusion must be a list of hashes';
    if (!Array.isArray(r.signers)) return 'signers must be a list';
    for (i = 0; i < r.signers.length; i++) {
      var s = r.signers[i];
      if (!isObject(s) || onlyMembers(s, ['key'], ['name']) || typeof s.key !== 'string' || !HEX64.test(s.key)) return 'signer ' + i + ' must be {"key","name"?}';
      if ('name' in s && typeof s.name !== 'string') return 'signer ' + i + ' name must be a string';
    }
    if ('donor' in r) {
      var d = r.donor;
      if (!isObject(d) || onlyMembers(d, ['salt', 'name', 'phone']) || typeof d.salt !== 'string' || typeof d.name !== 'string' || typeof d.phone !== 'string') return 'donor must be {"salt","name","phone"}';
    }
    return null;
  }

  // ---- value types (FORMAT.md §2; ledger-core money.rs, text.rs, ids.rs, time.rs) -----
  // Each takes a JSON value and gives null, or the code ledger-core gives for it. A value
  // of the wrong JSON type is `malformed`, as a serde shape error is.

  function str(f) { return function (v) { return typeof v === 'string' ? f(v) : 'malformed'; }; }

  // amount, money, base, rate (money.rs parse_fixed, then sign and bound).
  function decimal(name, places, sign, maxUnits) {
    return str(function (v) {
      var neg = v.charAt(0) === '-', body = neg ? v.slice(1) : v;
      var dot = body.indexOf('.'), int = dot < 0 ? body : body.slice(0, dot), frac = dot < 0 ? null : body.slice(dot + 1);
      if (!/^[0-9]+$/.test(int) || (int.length > 1 && int.charAt(0) === '0')) return name + '_malformed';
      if (frac === null) return name + '_too_few_decimals';
      if (!/^[0-9]+$/.test(frac)) return name + '_malformed';
      if (frac.length < places) return name + '_too_few_decimals';
      if (frac.length > places) return name + '_too_many_decimals';
      var units = BigInt(int + frac);
      if (sign === 'positive' && units === 0n) return name + '_not_positive';
      if (sign !== 'signed' && neg) return name + '_negative';
      if (sign === 'signed' && neg && units === 0n) return name + '_negative_zero';
      if (units > maxUnits) return name === 'rate' ? 'rate_over_one' : name + '_over_limit';
      return null;
    });
  }

  function daysIn(y, m) { return [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]; }
  function realDate(y, m, d) { return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m); }
  var date = str(function (v) {
    var m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
    if (!m) return 'date_malformed';
    if (+m[1] < 1999 || +m[1] > 3000) return 'date_out_of_range';
    return realDate(+m[1], +m[2], +m[3]) ? null : 'date_not_in_calendar';
  });
  var instant = str(function (v) {
    var m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/.exec(v);
    if (!m) {
      var head = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}/.test(v) ? v.charAt(19) : null;
      return head === '' || head === '+' || head === '-' ? 'instant_not_utc' : head === '.' || head === ',' ? 'instant_fraction' : 'instant_malformed';
    }
    if (+m[1] < 2000 || +m[1] > 2999) return 'instant_out_of_range';
    return realDate(+m[1], +m[2], +m[3]) && +m[4] <= 23 && +m[5] <= 59 && +m[6] <= 59 ? null : 'instant_not_in_calendar';
  });
  var utcOffset = str(function (v) {
    var m = /^([+-])([0-9]{2}):([0-9]{2})$/.exec(v);
    if (!m || +m[3] > 59) return 'offset_malformed';
    var minutes = +m[2] * 60 + +m[3];
    if (minutes > 14 * 60) return 'offset_out_of_range';
    return minutes === 0 && m[1] === '-' ? 'offset_negative_zero' : null;
  });
  function minutesOf(v) { var m = /^([0-9]{2}):([0-9]{2})$/.exec(v); return m && +m[2] <= 59 ? +m[1] * 60 + +m[2] : null; }
  var timeOfDay = str(function (v) {
    var n = minutesOf(v);
    if (n === null) return 'time_of_day_malformed';
    return n > 1440 ? 'time_of_day_out_of_range' : null;
  });
  var weekday = str(function (v) { return ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(v) >= 0 ? null : 'weekday_malformed'; });

  // ids.rs check_id: empty, too long (in characters), a character outside the set, an edge.
  function id(name, max, chars, edges) {
    return str(function (v) {
      var cs = Array.from(v);
      if (cs.length === 0) return name + '_empty';
      if (cs.length > max) return name + '_too_long';
      if (!cs.every(function (c) { return chars.test(c); })) return name + '_bad_char';
      return edges && (v.charAt(0) === '-' || v.charAt(v.length - 1) === '-') ? name + '_bad_edge' : null;
    });
  }
  var fundId = id('fund_id', 48, /^[a-z0-9-]$/, true);
  var agreementId = id('agreement_id', 64, /^[A-Za-z0-9_-]$/, false);
  var spaceId = id('space_id', 64, /^[A-Za-z0-9_-]$/, false);
  var restrictionId = id('restriction_id', 64, /^[A-Za-z0-9_-]$/, false);
  var idemKey = id('idempotency_key', 64, /^[A-Za-z0-9_-]$/, false);

  var USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  var uscc = str(function (v) {
    var cs = Array.from(v);
    if (cs.length !== 18) return 'uscc_length';
    if (/[a-z]/.test(v)) return 'uscc_lowercase';
    for (var i = 0; i < 18; i++) {
      if (USCC_CHARS.indexOf(cs[i]) < 0) return 'uscc_bad_char';
      if (i >= 2 && i <= 7 && !/[0-9]/.test(cs[i])) return 'uscc_division_code';
    }
    var sum = 0;
    for (i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(cs[i]) * USCC_WEIGHTS[i];
    return cs[17] === USCC_CHARS.charAt((31 - sum % 31) % 31) ? null : 'uscc_check_digit';
  });

  // text.rs: Rust's char::is_whitespace (Unicode White_Space) and char::is_control (Cc).
  var WHITE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
  var EDGE_WHITE = new RegExp('^' + WHITE + '|' + WHITE + '$'), ALL_WHITE = new RegExp('^' + WHITE + '*$');
  function text(max, newline) {
    var control = newline ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/ : /[\u0000-\u001f\u007f-\u009f]/;
    return str(function (v) {
      if (ALL_WHITE.test(v)) return 'text_empty';
      if (Array.from(v).length > max) return 'text_too_long';
      return EDGE_WHITE.test(v) || control.test(v) ? 'text_bad_character' : null;
    });
  }
  var shortText = text(200, false), longText = text(2000, true);

  var hash = str(function (v) { return HEX64.test(v) ? null : 'hash_hex'; });
  var publicKey = str(function (v) { return !HEX64.test(v) ? 'key_hex' : isPublicKey(hexToBytes(v)) ? null : 'key_point'; });
  var signature = str(function (v) { return HEX128.test(v) ? null : 'signature_hex'; });
  function uint(max) { return function (v) { return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? null : 'malformed'; }; }
  var u64 = uint(18446744073709551615), u32 = uint(4294967295);
  function bool(v) { return typeof v === 'boolean' ? null : 'malformed'; }
  function oneOf() { var names = Array.prototype.slice.call(arguments); return function (v) { return names.indexOf(v) >= 0 ? null : 'malformed'; }; }

  // ---- entry bodies (FORMAT.md §5; ledger-core body.rs), one table ----------------------
  // An object schema maps each member to its check; `opt(x)` marks an optional member (a
  // `null` there is the intent's second spelling: `intent_not_canonical`); `list(x)` is an
  // array of x; `then` checks across members once each member passed (time.rs' Period and
  // WeeklyWindow). Members are checked in canonical (sorted) order, unknown and missing
  // ones are `malformed`, as serde's deny_unknown_fields reports them.

  function opt(check) { return { optional: check }; }
  function list(check) { return function (v, form) { if (!Array.isArray(v)) return 'malformed'; for (var i = 0; i < v.length; i++) { var c = checkValue(check, v[i], form); if (c) return c; } return null; }; }
  function obj(members, then) { return { members: members, then: then }; }
  function checkValue(check, v, form) {
    if (typeof check === 'function') return check(v, form);
    if (!isObject(v)) return 'malformed';
    var names = Object.keys(v).sort();
    for (var i = 0; i < names.length; i++) {
      var spec = check.members[names[i]];
      if (spec === undefined) return 'malformed';
      if (spec.optional) {
        if (v[names[i]] === null) { form.null = true; continue; }
        spec = spec.optional;
      }
      var c = checkValue(spec, v[names[i]], form);
      if (c) return c;
    }
    for (var name in check.members) if (!check.members[name].optional && !(name in v)) return 'malformed';
    return check.then ? check.then(v) : null;
  }

  var trustee = obj({ key: publicKey, name: shortText });
  var policy = obj({ statement_quorum: u32, disbursement_quorum: u32, governance_quorum: u32, share_rate_min: decimal('rate', 4, 'nonneg', 10000n), share_rate_max: decimal('rate', 4, 'nonneg', 10000n) });
  var amount = decimal('amount', 2, 'positive', 100000000000n);
  var money = decimal('money', 2, 'signed', 100000000000000000n);
  var base = decimal('base', 2, 'nonneg', 100000000000000000n);
  var rate = decimal('rate', 4, 'nonneg', 10000n);
  var party = obj({ name: shortText, class: oneOf('enterprise', 'organisation', 'resident', 'other') });
  var period = obj({ from: date, to: date }, function (p) { return p.to < p.from ? 'period_reversed' : null; });
  var window_ = obj({ day: weekday, from: timeOfDay, to: timeOfDay }, function (w) { return minutesOf(w.from) >= minutesOf(w.to) ? 'window_empty' : null; });

  var BODIES = {
    genesis: obj({ name: shortText, name_en: shortText, street: shortText, community: shortText, currency: oneOf('CNY'), utc_offset: utcOffset, trustees: list(trustee), policy: policy }),
    trustees: obj({ add: list(trustee), remove: list(publicKey), policy: opt(policy) }),
    donation: obj({
      amount: amount,
      donor: obj({ class: oneOf('resident', 'enterprise', 'organisation', 'anonymous'), name: opt(shortText), name_consent: opt(bool), commitment: opt(hash) }),
      channel: oneOf('cash', 'bank_transfer', 'wechat_pay', 'alipay', 'other'),
      receipt_no: shortText, purpose: opt(shortText), restriction: opt(restrictionId), memo: opt(longText)
    }),
    agreement: obj({ agreement_id: agreementId, enterprise: obj({ name: shortText, uscc: uscc }), basis: oneOf('revenue', 'profit'), rate: rate, fixed_monthly: opt(amount), start: date, end: opt(date), venture: shortText }),
    revenue_share: obj({ agreement_id: agreementId, period: period, base: base, amount: amount }),
    space: obj({ space_id: spaceId, name: shortText, kind: oneOf('classroom', 'theatre', 'meeting_room', 'activity_room', 'other'), hourly_rate: amount, community_hours: list(window_) }),
    rental: obj({ space_id: spaceId, renter: party, start: instant, end: instant, amount: amount }),
    disbursement: obj({ amount: amount, payee: party, purpose: shortText, project: shortText, invoice_no: shortText, restriction: opt(restrictionId) }),
    reversal: obj({ reverses: u64, reason: longText }),
    statement: obj({
      period: period, through_seq: u64, tree_size: u64, root: hash, opening: money,
      inflows: obj({ donation: money, revenue_share: money, rental: money }), outflows: obj({ disbursement: money }),
      reversals: money, closing: money, count: u64,
      version: opt(function (v) { return v === 2 ? null : 'malformed'; }),
      unrestricted: opt(obj({ opening: money, donation: money, revenue_share: money, rental: money, disbursement: money, reversals: money, releases: money, closing: money })),
      restricted: opt(obj({ opening: money, donation: money, reversals: money, releases: money, closing: money }))
    }),
    restriction: obj({ restriction_id: restrictionId, purpose: shortText, usable_from: opt(date), usable_until: opt(date) }),
    restriction_revocation: obj({ restriction_id: restrictionId, basis: oneOf('donor_consent', 'law'), reason: longText }),
    restriction_closing: obj({ restriction_id: restrictionId, disposal: oneOf('released', 'returned'), note: longText })
  };
  function typedRelease(body) {
    if (!isObject(body)) return null;
    for (var i = 0; i < RELEASE_MEMBERS.length; i++) if (RELEASE_MEMBERS[i] in body) return 'release_not_derived';
    return null;
  }
  var INTENT = obj({ body: function (v) { return isObject(v) ? null : 'malformed'; }, fund: fundId, key: idemKey, kind: oneOf.apply(null, KINDS), signed_at: instant });
  var SIG = obj({ key: publicKey, sig: signature });
  var ENTRY = obj({ fund: fundId, intent: function (v) { return isObject(v) ? null : 'malformed'; }, prev: hash, recorded_at: instant, seq: u64, sigs: list(SIG), v: u64 });

  // The entry line as an export line (FORMAT.md §1, §4, §5), as ledger-core's Entry::parse
  // checks it: size, canonical form, depth, the entry's and the intent's members and types,
  // the body of its kind, the intent's one spelling, the signature list's shape. Gives
  // {entry} or {error, code} with ledger-core's code (`receipt_entry` is reported for all).
  function checkEntry(line) {
    function bad(code, message) { return { error: message + ' (' + code + ')', code: code }; }
    if (enc.encode(line).length > ENTRY_BYTES_MAX) return bad('entry_too_large', 'the entry is over 65,536 bytes');
    var e;
    try { e = JSON.parse(line); } catch (x) { return bad('invalid_json', 'the entry is not JSON'); }
    if (depth(e) > DEPTH_MAX) return bad('too_deep', 'the entry nests too deep');
    var canonical;
    try { canonical = jcs(e); } catch (x) { return bad('not_canonical', 'the entry has a number that is not allowed'); }
    if (canonical !== line) return bad('not_canonical', 'the entry is not in canonical form (RFC 8785)');
    var form = {};
    var c = checkValue(ENTRY, e, form) || checkValue(INTENT, e.intent, form) || typedRelease(e.intent.body) || checkValue(BODIES[e.intent.kind], e.intent.body, form);
    if (c) return bad(c, 'the entry does not have the members and types of its kind');
    if (e.v !== 1) return bad('unsupported_version', 'unsupported entry version');
    if (form.null) return bad('intent_not_canonical', 'the intent has an explicit null: it is not in its one canonical form');
    if (e.sigs.length < 1) return bad('no_signature', 'the entry has no signature');
    if (e.sigs.length > 32) return bad('too_many_signatures', 'an entry has at most 32 signatures');
    for (var i = 1; i < e.sigs.length; i++) {
      if (!(e.sigs[i - 1].key < e.sigs[i].key)) return bad('duplicate_signer', 'signatures are not sorted by key, or a key signs twice');
    }
    return { entry: e };
  }

  // Verifies a receipt (text). `siteLogKey`: the log key this site publishes (optional).
  // `policy` (optional, see verifyWitnesses): the site's witness policy; then check 10
  // (FORMAT.md §11.2), shown as `witness_quorum`, fails with policy_log_mismatch,
  // witness_cosignature_invalid or witness_quorum_not_met.
  // Resolves to {ok, code?, message?, checks: [{code, ok, message}], summary?}.
  async function verifyReceipt(text, siteLogKey, policy) {
    var checks = [];
    function pass(code) { checks.push({ code: code, ok: true }); }
    function fail(code, message) {
      checks.push({ code: code, ok: false, message: message });
      return { ok: false, code: code, message: message, checks: checks };
    }
    if (typeof text !== 'string' || enc.encode(text).length > RECEIPT_BYTES_MAX) return fail('receipt_malformed', 'the receipt is missing or over 2 MiB');
    var r;
    try { r = JSON.parse(text); } catch (x) { return fail('receipt_malformed', 'not JSON: ' + x.message); }
    var bad = checkDocument(r);
    if (bad) return fail('receipt_malformed', bad);
    pass('receipt_malformed');

    if (r.version !== RECEIPT_VERSION) return fail('receipt_version', 'unsupported receipt version "' + r.version + '"');
    pass('receipt_version');

    var checked = checkEntry(r.entry);
    if (checked.error) { var f = fail('receipt_entry', checked.error); f.entry_code = checked.code; return f; }
    var e = checked.entry;
    pass('receipt_entry');

    if (e.seq !== r.seq) return fail('receipt_seq', 'the entry is #' + e.seq + ', the receipt says #' + r.seq);
    if (!(r.seq < r.tree_size)) return fail('receipt_seq', 'seq ' + r.seq + ' is not below tree_size ' + r.tree_size);
    pass('receipt_seq');

    var key = await parseVkey(r.log_key);
    if (!key.ok) return fail('checkpoint_signature', 'log_key: ' + key.message);
    var note = parseNote(r.checkpoint);
    if (!note.ok) return fail('checkpoint_malformed', note.message);
    var mine = note.signatures.filter(function (s) { return s.name === key.name && s.keyId === key.keyId; });
    if (mine.length === 0) return fail('checkpoint_signature', 'the checkpoint has no signature by the log key');
    for (var i = 0; i < mine.length; i++) {
      if (!(await ed25519Verify(key.pub, mine[i].sig, enc.encode(note.text)))) return fail('checkpoint_signature', 'the log key\'s signature of the checkpoint does not verify');
    }
    pass('checkpoint_signature');
    var cp = parseCheckpoint(note.text);
    if (!cp) return fail('checkpoint_malformed', 'the signed text is not a checkpoint');
    pass('checkpoint_malformed');
    if (cp.origin !== r.origin) return fail('checkpoint_origin', 'the checkpoint is for "' + cp.origin + '", the receipt for "' + r.origin + '"');
    pass('checkpoint_origin');
    if (cp.tree_size !== BigInt(r.tree_size)) return fail('checkpoint_size', 'the checkpoint is of ' + cp.tree_size + ' entries, the receipt says ' + r.tree_size);
    pass('checkpoint_size');

    var entryBytes = enc.encode(r.entry);
    var leaf = await sha256(concat(new Uint8Array([0]), entryBytes));
    var proof = r.inclusion.map(hexToBytes);
    if (!(await merkleInclusion(r.seq, r.tree_size, leaf, proof, cp.root))) return fail('inclusion_proof', 'the entry is not in the signed tree: the inclusion proof does not lead to the checkpoint\'s root');
    pass('inclusion_proof');

    var message = concat(enc.encode(INTENT_PREFIX), enc.encode(jcs(e.intent)));
    for (i = 0; i < e.sigs.length; i++) {
      if (!(await ed25519Verify(hexToBytes(e.sigs[i].key), hexToBytes(e.sigs[i].sig), message))) return fail('intent_signature', 'the signature by key ' + e.sigs[i].key.slice(0, 16) + '… does not verify');
    }
    pass('intent_signature');

    var listed = r.signers.map(function (s) { return s.key; });
    var signed = e.sigs.map(function (s) { return s.key; });
    var dup = listed.some(function (k, j) { return listed.indexOf(k) !== j; });
    if (dup || listed.length !== signed.length || !listed.every(function (k) { return signed.indexOf(k) >= 0; })) return fail('signers_mismatch', 'the listed signers are not the keys that signed the entry');
    pass('signers_mismatch');

    var slash = r.origin.lastIndexOf('/');
    var fund = slash < 0 ? null : r.origin.slice(slash + 1);
    if (fund === null || fund !== e.fund || fund !== e.intent.fund) return fail('fund_mismatch', 'the entry is not of the fund the origin names');
    pass('fund_mismatch');

    var body = e.intent.body;
    var donorConfirmed = false;
    if (r.donor) {
      var salt = /^[0-9a-f]{32}$/.test(r.donor.salt) ? hexToBytes(r.donor.salt) : null;
      if (!salt) return fail('donor_commitment', 'the salt is not 32 hex digits');
      if (e.intent.kind !== 'donation' || !isObject(body.donor) || body.donor.class !== 'resident' || typeof body.donor.commitment !== 'string') return fail('donor_commitment', 'the entry is not a resident\'s donation with a commitment');
      var c = await sha256(concat(enc.encode(DONOR_PREFIX), salt, enc.encode(r.donor.name + '\n' + r.donor.phone)));
      if (bytesToHex(c) !== body.donor.commitment) return fail('donor_commitment', 'the name, phone and salt do not open the donation\'s commitment');
      donorConfirmed = true;
      pass('donor_commitment');
    }

    var witnessed = null;
    if (policy) {
      var w = await verifyWitnesses(r.checkpoint, r.log_key, r.origin, policy);
      if (!w.ok) {
        checks.push({ code: 'witness_quorum', ok: false, message: w.code + ': ' + w.message });
        return { ok: false, code: w.code, message: w.message, checks: checks, witnessed: w.witnessed };
      }
      witnessed = w.witnessed;
      pass('witness_quorum');
    }

    if (siteLogKey && r.log_key !== siteLogKey) return fail('log_key_mismatch', 'the receipt is signed by a log key this site does not publish: ' + r.log_key);
    if (siteLogKey) pass('log_key_mismatch');

    return {
      ok: true,
      checks: checks,
      summary: {
        fund: e.fund,
        seq: e.seq,
        kind: e.intent.kind,
        amount: MONETARY.indexOf(e.intent.kind) >= 0 ? body.amount : null,
        recorded_at: e.recorded_at,
        tree_size: r.tree_size,
        root: bytesToHex(cp.root),
        donor_confirmed: donorConfirmed,
        signers: r.signers.map(function (s) { return s.name || s.key; }),
        log_key_known: !!siteLogKey && r.log_key === siteLogKey,
        witnessed: witnessed
      }
    };
  }

  global.ledgerVerify = {
    hexToBytes: hexToBytes,
    bytesToHex: bytesToHex,
    b64ToBytes: b64ToBytes,
    sha256: sha256,
    jcs: jcs,
    ed25519Verify: ed25519Verify,
    isPublicKey: isPublicKey,
    checkEntry: checkEntry,
    merkleInclusion: merkleInclusion,
    merkleConsistency: merkleConsistency,
    parseVkey: parseVkey,
    parseNote: parseNote,
    verifyNote: verifyNote,
    parseCheckpoint: parseCheckpoint,
    verifyReceipt: verifyReceipt,
    checkCosignatures: checkCosignatures,
    checkQuorum: checkQuorum,
    originCorresponds: originCorresponds,
    verifyWitnesses: verifyWitnesses,
    CHECKS: CHECKS
  };
})(window);
