//! The trustees' workspace under `/trustee` (issue 18): server-rendered pages around
//! small scripts in `/static/trustee/` that keep the trustee's Ed25519 key in the browser
//! (non-extractable, in IndexedDB) and sign there; the server never sees a private key.
//!
//! - `/trustee`: sign-in (a trustee's token, once: `POST /trustee/session`), then who is
//!   signed in, for which fund, and which key this browser holds;
//! - `/trustee/keys`: create or import the key, its public key in hex and as a QR code
//!   (`/trustee/key.svg?key=`), whether the fund's trustees include it yet;
//! - `/trustee/record`: a form for every kind a trustee records (`?kind=`);
//! - `/trustee/inbox`: the open proposals this browser's key has to sign, signed from the
//!   list (`inbox.js`, on `GET …/proposals?signer=`);
//! - `/trustee/import`: a CSV file checked (`POST …/import/check`), then signed row by row
//!   and recorded (`import.js`);
//! - `/trustee/receipt/{seq}`: a donor's receipt to print (A5, QR code to `/check`).
//!
//! Every workspace page carries the session's CSRF token in `<meta name="csrf-token">`
//! (read by `/static/trustee/api.js`), is never cached, may not be framed, and loads
//! scripts from this site only (`Content-Security-Policy`). A page added by another module
//! registers one line in [`routes`] with [`page`] and its template in `super::TEMPLATES`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use serde::{Deserialize, Serialize};

use super::{base_url, not_found, percent_encode, render, store_failed, PageQuery, Pages, Req};
use crate::sessions::{session_cookie, Session};

/// The workspace's scripts (and the receipt's print style), embedded at compile time:
/// (name, bytes), served as `/static/trustee/{name}`.
const SCRIPTS: &[(&str, &str)] = &[
    ("keys.js", include_str!("../../static/trustee/keys.js")),
    ("api.js", include_str!("../../static/trustee/api.js")),
    ("shell.js", include_str!("../../static/trustee/shell.js")),
    ("signin.js", include_str!("../../static/trustee/signin.js")),
    ("home.js", include_str!("../../static/trustee/home.js")),
    (
        "keys-page.js",
        include_str!("../../static/trustee/keys-page.js"),
    ),
    ("record.js", include_str!("../../static/trustee/record.js")),
    ("inbox.js", include_str!("../../static/trustee/inbox.js")),
    ("import.js", include_str!("../../static/trustee/import.js")),
    (
        "receipt.js",
        include_str!("../../static/trustee/receipt.js"),
    ),
    (
        "receipt.css",
        include_str!("../../static/trustee/receipt.css"),
    ),
];

/// The policy of every workspace page: scripts, styles and requests to this site only,
/// images from here or inline (`data:`, the QR codes), never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// The workspace's routes (merged into the pages' router).
pub(super) fn routes() -> Router<Pages> {
    Router::new()
        .route("/trustee", page("trustee/home.html", "home"))
        .route("/trustee/keys", page("trustee/keys.html", "keys"))
        .route("/trustee/record", page("trustee/record.html", "record"))
        .route("/trustee/inbox", page("trustee/inbox.html", "inbox"))
        .route("/trustee/import", page("trustee/import.html", "import"))
        .route("/trustee/receipt/{seq}", get(receipt))
        .route("/trustee/key.svg", get(key_qr))
        .route("/static/trustee/{file}", get(script))
}

/// What a workspace page knows about its session.
#[derive(Serialize)]
struct SessionView {
    credential: String,
    fund: String,
    label: String,
    csrf: String,
}

/// The context of a workspace page.
#[derive(Serialize)]
struct WorkspacePage {
    /// Which page (`home`, `keys`, `record`, …): the nav marks it.
    section: &'static str,
    /// The signed-in session, or `None`: the page shows the sign-in form.
    session: Option<SessionView>,
}

/// A workspace page rendered from `template`: the sign-in form without a live session.
pub(super) fn page(template: &'static str, section: &'static str) -> MethodRouter<Pages> {
    get(
        move |State(p): State<Pages>, headers: HeaderMap, uri: Uri, Query(q): Query<PageQuery>| async move {
            let req = Req::new(&headers, &uri, &q);
            let session = match live_session(&p, &headers).await {
                Ok(s) => s,
                Err(e) => return store_failed(&p, &req, &e),
            };
            let ctx = WorkspacePage {
                section,
                session: session.map(|s| SessionView {
                    credential: s.credential.id,
                    fund: s.credential.fund.unwrap_or_default(),
                    label: s.credential.label,
                    csrf: s.csrf,
                }),
            };
            let template = if ctx.session.is_some() {
                template
            } else {
                "trustee/signin.html"
            };
            harden(render(&p, &req, StatusCode::OK, template, &ctx))
        },
    )
}

/// The live session of the request's cookie (the authentication layer already checked
/// it; reading it again here gives the page its CSRF token).
async fn live_session(
    p: &Pages,
    headers: &HeaderMap,
) -> Result<Option<Session>, crate::store::StoreError> {
    let Some(id) = session_cookie(headers) else {
        return Ok(None);
    };
    p.app
        .ledger
        .store()
        .live_session(&id, p.app.limits.session_life(), crate::sessions::now_s())
        .await
}

/// The headers of every workspace response: not cached, not framed, scripts from here.
fn harden(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// `/trustee/receipt/{seq}`: the donor's receipt of donation `seq` of the session's fund,
/// as a printable A5 page with a QR code to `/check` (the sign-in form without a session).
async fn receipt(
    State(p): State<Pages>,
    Path(seq): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    let session = match live_session(&p, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let ctx = WorkspacePage {
                section: "receipt",
                session: None,
            };
            return harden(render(
                &p,
                &req,
                StatusCode::OK,
                "trustee/signin.html",
                &ctx,
            ));
        }
        Err(e) => return store_failed(&p, &req, &e),
    };
    let fund = session.credential.fund.unwrap_or_default();
    let Ok(seq) = seq.parse::<u64>() else {
        return harden(not_found(&p, &req));
    };
    let base = base_url(&headers).unwrap_or_default();
    let verify_url = format!("{base}/check?fund={}&seq={seq}", percent_encode(&fund));
    match super::view::receipt_page(&p.app, req.lang, &fund, seq, &verify_url).await {
        Ok(Some(ctx)) => harden(render(
            &p,
            &req,
            StatusCode::OK,
            "trustee/receipt.html",
            &ctx,
        )),
        Ok(None) => harden(not_found(&p, &req)),
        Err(e) => store_failed(&p, &req, &e),
    }
}

#[derive(Deserialize)]
struct KeyQuery {
    key: String,
}

/// `/trustee/key.svg?key=<64 hex>`: a public key as a QR code (SVG), so that the other
/// trustees can scan it into their `trustees` entry. Only public keys: anything but 64
/// lowercase hex digits is refused.
async fn key_qr(Query(q): Query<KeyQuery>) -> Response {
    let ok = q.key.len() == 64
        && q.key
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !ok {
        return (StatusCode::BAD_REQUEST, "key: 64 lowercase hex digits").into_response();
    }
    let svg = super::view::qr_svg(&q.key, "public key");
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        svg,
    )
        .into_response()
}

async fn script(Path(file): Path<String>) -> Response {
    match SCRIPTS.iter().find(|(name, _)| *name == file) {
        Some((name, body)) => (
            [
                (
                    header::CONTENT_TYPE,
                    if name.ends_with(".css") {
                        "text/css; charset=utf-8"
                    } else {
                        "text/javascript; charset=utf-8"
                    },
                ),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The workspace's words: `(key, 中文, English)`.
pub(super) const WORDS: &[(&str, &str, &str)] = &[
    ("ws_title", "受托人工作台", "Trustees' workspace"),
    ("ws_nav_home", "概览", "Overview"),
    ("ws_nav_keys", "我的密钥", "My key"),
    ("ws_nav_record", "记账", "Record"),
    ("ws_nav_inbox", "待签", "To sign"),
    ("ws_nav_import", "导入", "Import"),
    ("ws_sign_out", "退出登录", "Sign out"),
    ("ws_signin_title", "受托人登录", "Trustee sign-in"),
    (
        "ws_signin_intro",
        "请输入运营方发给您的访问令牌（以 clt_ 开头）。令牌只用于登录；记账时由本浏览器中的您自己的密钥签名，私钥从不离开本设备。",
        "Enter the access token the operator gave you (it starts with clt_). The token only signs you in; entries are signed by your own key in this browser, and the private key never leaves this device.",
    ),
    ("ws_token", "访问令牌", "Access token"),
    ("ws_sign_in", "登录", "Sign in"),
    ("ws_signed_in_as", "已登录", "Signed in as"),
    ("ws_fund", "基金", "Fund"),
    ("ws_credential", "凭证编号", "Credential"),
    ("ws_key_here", "本浏览器中的密钥", "The key in this browser"),
    ("ws_loading", "正在读取…", "Loading…"),
    ("ws_needs_js", "工作台需要启用 JavaScript（签名在浏览器中完成）。", "The workspace needs JavaScript (signing happens in the browser)."),
    ("ws_keys_title", "我的签名密钥", "My signing key"),
    (
        "ws_keys_intro",
        "密钥在本浏览器中生成或导入，保存为不可导出的密钥：网页、服务器和任何脚本都读不到私钥，只能用它签名。请把公钥交给其他受托人，由他们以「受托人变更」记录接纳。",
        "The key is created in or imported into this browser and kept non-extractable: no page, server or script can read the private key, only sign with it. Give the public key to the other trustees so that they admit it with a trustees entry.",
    ),
    ("ws_create_key", "在本浏览器中生成新密钥", "Create a new key in this browser"),
    ("ws_import_key", "导入密钥文件", "Import a key file"),
    ("ws_import_hint", "命令行工具 ledger keygen 生成的文件（64 位十六进制）", "The file `ledger keygen` writes (64 hex digits)"),
    ("ws_import_button", "导入", "Import"),
    ("ws_forget_key", "从本浏览器删除此密钥", "Remove this key from this browser"),
    ("ws_public_key", "公钥", "Public key"),
    ("ws_record_title", "记账", "Record an entry"),
    ("ws_what_you_sign", "您将签名的内容（规范 JSON）", "What you sign (canonical JSON)"),
    ("ws_in_words", "用文字说", "In plain words"),
    ("ws_review", "核对", "Review"),
    ("ws_sign_submit", "签名并提交", "Sign and submit"),
    ("ws_sign_propose", "签名并发起提案（需其他受托人联署）", "Sign and propose (other trustees co-sign)"),
    ("ws_edit", "返回修改", "Edit"),
    ("ws_nav_receipt", "捐赠回执", "Donation receipt"),
    ("ws_receipt_title", "捐赠回执", "Donation receipt"),
    ("ws_receipt_thanks", "感谢您的捐赠。", "Thank you for your gift."),
    (
        "ws_receipt_check",
        "扫描二维码或打开下面的链接，即可在您自己的浏览器中核验这笔捐赠已记入公开账本。",
        "Scan the QR code or open the link below to check, in your own browser, that this gift is in the public ledger.",
    ),
    ("ws_receipt_no", "收据编号", "Receipt number"),
    ("ws_donor", "捐赠人", "Donor"),
    ("ws_channel", "方式", "Channel"),
    ("ws_purpose", "限定用途", "Restricted purpose"),
    ("ws_recorded", "记录时间（北京时间）", "Recorded (Beijing time)"),
    ("ws_entry", "记录序号", "Entry"),
    ("ws_entry_hash", "记录哈希", "Entry hash"),
    ("ws_print", "打印", "Print"),
    ("channel_cash", "现金", "cash"),
    ("channel_bank_transfer", "银行转账", "bank transfer"),
    ("channel_wechat_pay", "微信支付", "WeChat Pay"),
    ("channel_alipay", "支付宝", "Alipay"),
    ("channel_other", "其他", "other"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_is_served_and_names_are_unique() {
        let mut names: Vec<_> = SCRIPTS.iter().map(|s| s.0).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
        for (_, body) in SCRIPTS {
            assert!(!body.is_empty());
        }
    }
}
