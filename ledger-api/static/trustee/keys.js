// community-ledger workspace: the trustee's Ed25519 key, kept in this browser only.
//
// One key per fund in this browser (a trustee credential writes one fund; a person who is
// trustee of two funds holds two keys), in IndexedDB database `community-ledger-trustee`,
// object store `keys`, keyed by the fund id. The private key is a WebCrypto CryptoKey
// created or imported with extractable = false: no script, this one included, can read
// its bytes back (exportKey fails); it can only sign. IndexedDB stores the CryptoKey
// object itself (structured clone), never its bytes.
//
// Exports:
//   createKey(fund)            -> {fund, publicHex, source: 'created', createdAt}
//   importKeyFile(fund, text)  -> the same, source 'imported' (the CLI's key file: 64 hex
//                                 digits of the Ed25519 seed, as `ledger keygen` writes)
//   current(fund)              -> {fund, publicHex, source, createdAt, privateKey} | null
//   sign(fund, bytes)          -> Promise<Uint8Array> (64-byte Ed25519 signature)
//   forget(fund)               -> removes the key from this browser
//   hex(bytes)                 -> lowercase hex

const DB_NAME = 'community-ledger-trustee';
const STORE = 'keys';
// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410): this prefix, then the seed.
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
  0x70, 0x04, 0x22, 0x04, 0x20];

export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'fund' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error('aborted'));
    });
  } finally {
    db.close();
  }
}

function publicView(rec) {
  return rec && { fund: rec.fund, publicHex: rec.publicHex, source: rec.source, createdAt: rec.createdAt };
}

async function keep(fund, privateKey, publicHex, source) {
  if (privateKey.extractable) throw new Error('refusing to keep an extractable private key');
  const rec = { fund, privateKey, publicHex, source, createdAt: new Date().toISOString() };
  await tx('readwrite', (s) => s.put(rec));
  return publicView(rec);
}

export async function createKey(fund) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
  return keep(fund, pair.privateKey, hex(raw), 'created');
}

// The key file's text: 64 hex digits of the seed (surrounding white space allowed).
export async function importKeyFile(fund, text) {
  const seedHex = String(text || '').trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(seedHex)) {
    const e = new Error('key_file_invalid');
    e.code = 'key_file_invalid';
    throw e;
  }
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_PREFIX, 0);
  pkcs8.set(fromHex(seedHex), 16);
  // The public key is derived once from a short-lived extractable copy (WebCrypto gives
  // no other way to learn it from a seed); the copy is dropped at once and only the
  // non-extractable key is kept.
  const temp = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', temp);
  const pub = jwk.x.replace(/-/g, '+').replace(/_/g, '/');
  const publicBytes = Uint8Array.from(atob(pub + '='.repeat((4 - (pub.length % 4)) % 4)), (c) => c.charCodeAt(0));
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  pkcs8.fill(0);
  return keep(fund, privateKey, hex(publicBytes), 'imported');
}

export async function current(fund) {
  const rec = await tx('readonly', (s) => s.get(fund));
  if (!rec) return null;
  return Object.assign(publicView(rec), { privateKey: rec.privateKey });
}

export async function sign(fund, bytes) {
  const rec = await tx('readonly', (s) => s.get(fund));
  if (!rec) {
    const e = new Error('no_key');
    e.code = 'no_key';
    throw e;
  }
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, rec.privateKey, bytes));
}

export async function forget(fund) {
  await tx('readwrite', (s) => s.delete(fund));
}
