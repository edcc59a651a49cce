// community-ledger workspace: the key page (create, import, show, forget).
import { fund, t } from './api.js';
import { createKey, importKeyFile, current, forget } from './keys.js';
import { showKeyStatus, trusteeName } from './shell.js';

const f = fund();
const present = document.getElementById('key-present');
const absent = document.getElementById('key-absent');
const error = document.getElementById('key-error');
const text = document.getElementById('key-text');

async function show() {
  const k = await current(f);
  present.hidden = !k;
  absent.hidden = !!k;
  if (!k) return;
  document.getElementById('public-hex').textContent = k.publicHex;
  document.getElementById('public-qr').src = '/trustee/key.svg?key=' + k.publicHex;
  const m = document.getElementById('key-membership');
  m.classList.remove('warn', 'ok');
  try {
    const name = await trusteeName(f, k.publicHex);
    m.classList.add(name ? 'ok' : 'warn');
    m.textContent = name
      ? t(`此密钥属于基金 ${f} 的受托人「${name}」。`, `This key belongs to trustee “${name}” of fund ${f}.`)
      : t(`此密钥还不是基金 ${f} 的受托人。请把上面的公钥（或二维码）交给其他受托人，由他们以「受托人变更」记录接纳。`,
        `This key is not (yet) a trustee of fund ${f}. Give the public key above (or its QR code) to the other trustees so that they admit it with a trustees entry.`);
  } catch (e) {
    m.textContent = e.detail;
  }
}

document.getElementById('create-key').addEventListener('click', async () => {
  try {
    await createKey(f);
  } catch (e) {
    error.textContent = t('此浏览器不支持 Ed25519 密钥：', 'This browser cannot make Ed25519 keys: ') + e.message;
    return;
  }
  await show();
  await showKeyStatus();
  document.getElementById('public-hex').focus?.();
});

document.getElementById('key-file').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  if (file) text.value = (await file.text()).trim();
});

document.getElementById('import-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  text.removeAttribute('aria-invalid');
  try {
    await importKeyFile(f, text.value);
  } catch (e) {
    text.setAttribute('aria-invalid', 'true');
    error.textContent = e.code === 'key_file_invalid'
      ? t('密钥文件应为 64 位十六进制数字（ledger keygen 生成的文件）。', 'A key file is 64 hex digits (the file `ledger keygen` writes).')
      : e.message;
    return;
  } finally {
    text.value = '';
  }
  await show();
  await showKeyStatus();
});

document.getElementById('forget-key').addEventListener('click', async () => {
  if (!confirm(t('确定从本浏览器删除此密钥？若没有备份，将无法再用它签名。', 'Remove this key from this browser? Without a copy elsewhere it can never sign again.'))) return;
  await forget(f);
  await show();
  await showKeyStatus();
});

show();
