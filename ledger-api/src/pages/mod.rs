//! Residents' pages (DESIGN §9): server-rendered HTML under `/`, beside the JSON API.
//!
//! - `/`: every fund with its balance and last statement;
//! - `/funds/{fund}`: the latest signed statement and its signers, totals by kind, a
//!   balance chart (inline SVG), recent entries (`?from=`), agreements and spaces;
//! - `/funds/{fund}/statements/{seq}`: one statement as a printable A4 page with a QR code
//!   leading to its verification;
//! - `/check`: "check my donation": a receipt verified in the browser (`/static/verify.js`),
//!   with the deployment's witness policy when it has one;
//! - with a witness policy, each statement (fund page and printable page) says who
//!   witnessed the fund's checkpoint and when, prints the witnesses' keys, and
//!   `/static/witnessing.js` checks the cosignatures in the browser against those keys;
//! - `/lang/{en|zh}?back=`: remembers the language in a cookie (`?lang=` on any page too).
//!
//! Templates (minijinja) and static files are embedded in the binary; the pages load no
//! font, script or style from elsewhere. Data comes from the store, the way the JSON API
//! reads it; residents who donated are shown as "居民" / "Resident" (the chain only holds a
//! commitment for them) unless the entry carries their name with their consent.

mod chart;
pub(crate) mod i18n;
mod oversight;
mod reports;
mod rows;
mod view;
mod workspace;
mod workspace_words;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::Environment;
use serde::{Deserialize, Serialize};

pub use i18n::Lang;

use crate::app::AppState;
use crate::store::StoreError;
use crate::views::{CheckPage, ErrorPage, PageChrome, WitnessPolicyInfo};

/// Entries shown per page of a fund's recent entries.
pub const ENTRIES_PER_PAGE: u64 = 20;
/// Longest `back=` path the language switch follows, in bytes.
const BACK_BYTES_MAX: usize = 2_000;

/// The templates, embedded at compile time.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("fund.html", include_str!("../../templates/fund.html")),
    (
        "statement.html",
        include_str!("../../templates/statement.html"),
    ),
    ("check.html", include_str!("../../templates/check.html")),
    (
        "witnessing.html",
        include_str!("../../templates/witnessing.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "oversight.html",
        include_str!("../../templates/oversight.html"),
    ),
    (
        "statutory.html",
        include_str!("../../templates/statutory.html"),
    ),
    (
        "disclosures.html",
        include_str!("../../templates/disclosures.html"),
    ),
    (
        "trustee/layout.html",
        include_str!("../../templates/trustee/layout.html"),
    ),
    (
        "trustee/signin.html",
        include_str!("../../templates/trustee/signin.html"),
    ),
    (
        "trustee/home.html",
        include_str!("../../templates/trustee/home.html"),
    ),
    (
        "trustee/keys.html",
        include_str!("../../templates/trustee/keys.html"),
    ),
    (
        "trustee/inbox.html",
        include_str!("../../templates/trustee/inbox.html"),
    ),
    (
        "trustee/import.html",
        include_str!("../../templates/trustee/import.html"),
    ),
    (
        "trustee/record.html",
        include_str!("../../templates/trustee/record.html"),
    ),
    (
        "trustee/receipt.html",
        include_str!("../../templates/trustee/receipt.html"),
    ),
];

/// The static files, embedded at compile time: (path, content type, bytes).
const STATIC_FILES: &[(&str, &str, &str)] = &[
    (
        "verify.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/verify.js"),
    ),
    (
        "check.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/check.js"),
    ),
    (
        "witnessing.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/witnessing.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
];

#[derive(Clone)]
struct Pages {
    app: AppState,
    env: Arc<Environment<'static>>,
}

/// The version of a static file in its URLs: the first 16 hex digits of the SHA-256 of
/// its bytes (empty for a file that is not served).
fn static_version(file: &str) -> String {
    use sha2::{Digest, Sha256};
    STATIC_FILES
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, _, body)| hex::encode(&Sha256::digest(body.as_bytes())[..8]))
        .unwrap_or_default()
}

/// `/static/{file}?v={version}`: the URL the templates give a static file
/// (`{{ static_url("style.css") }}`); served immutable, since another version of the
/// file has another URL.
fn static_url(file: &str) -> String {
    format!("/static/{file}?v={}", static_version(file))
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // Safe as it is: a fixed path and hex digits (auto-escaping would turn its `/` into
    // entities).
    env.add_function("static_url", |file: String| {
        minijinja::Value::from_safe_string(static_url(&file))
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// The pages' routes, merged beside the API's by `crate::router` (so the same middleware
/// applies).
pub fn routes<S: Clone + Send + Sync + 'static>(state: AppState) -> Router<S> {
    // The templates are compiled into the binary and parsed by the unit tests below, so
    // this cannot fail at run time.
    let env = environment().expect("embedded templates parse");
    let pages = Pages {
        app: state,
        env: Arc::new(env),
    };
    Router::new()
        .route("/", get(index))
        .route("/funds/{fund}", get(fund))
        .route("/funds/{fund}/statements/{seq}", get(statement))
        .route("/funds/{fund}/reports/statutory", get(statutory))
        .route("/check", get(check))
        .route("/lang/{lang}", get(switch_lang))
        .route("/static/{file}", get(static_file))
        .merge(workspace::routes())
        .with_state(pages)
}

#[derive(Deserialize, Default)]
struct PageQuery {
    lang: Option<String>,
    from: Option<String>,
    back: Option<String>,
    period: Option<String>,
}

/// Most duties the fund page lists (open ones first).
const DUTIES_SHOWN: usize = 12;

/// A fund page with its disclosure calendar.
#[derive(Serialize)]
struct WithCalendar<'a, T: Serialize> {
    #[serde(flatten)]
    page: &'a T,
    calendar: Option<reports::CalendarBox>,
}

/// What every page needs to know about its request.
struct Req {
    lang: Lang,
    remember: bool,
    here: String,
}

impl Req {
    fn new(headers: &HeaderMap, uri: &Uri, q: &PageQuery) -> Req {
        let (lang, remember) = Lang::of_request(headers, q.lang.as_deref());
        let query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let mut here = uri.path().to_owned();
        if !query.is_empty() {
            here.push('?');
            here.push_str(&query.join("&"));
        }
        Req {
            lang,
            remember,
            here,
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn render<T: Serialize>(
    p: &Pages,
    req: &Req,
    status: StatusCode,
    name: &str,
    page: &T,
) -> Response {
    let ctx = PageChrome {
        page,
        t: req.lang.words(),
        lang: req.lang.code(),
        html_lang: req.lang.html(),
        switch_href: format!(
            "/lang/{}?back={}",
            req.lang.other().code(),
            percent_encode(&req.here)
        ),
        demo: p.app.demo,
    };
    let html = p.env.get_template(name).and_then(|t| t.render(&ctx));
    let mut resp = match html {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template = name, "page template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    };
    if req.remember {
        if let Ok(v) = HeaderValue::from_str(&req.lang.cookie()) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    resp
}

fn not_found(p: &Pages, req: &Req) -> Response {
    render(
        p,
        req,
        StatusCode::NOT_FOUND,
        "error.html",
        &ErrorPage {
            title_key: "not_found",
            text_key: "not_found_text",
        },
    )
}

/// The page of a store failure: 503 with `Retry-After` when the database cannot be
/// reached (as the API answers), 500 otherwise.
fn store_failed(p: &Pages, req: &Req, e: &StoreError) -> Response {
    if !e.is_unavailable() {
        return internal(p, req, e);
    }
    tracing::warn!(error = %e, "page: the database cannot be reached");
    let mut resp = render(
        p,
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "error.html",
        &ErrorPage {
            title_key: "unavailable",
            text_key: "unavailable_text",
        },
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// 503: the fund is quarantined (its rows disagree with its log).
fn damaged(p: &Pages, req: &Req) -> Response {
    render(
        p,
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "error.html",
        &ErrorPage {
            title_key: "damaged",
            text_key: "damaged_text",
        },
    )
}

fn internal(p: &Pages, req: &Req, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    render(
        p,
        req,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error.html",
        &ErrorPage {
            title_key: "internal",
            text_key: "internal_text",
        },
    )
}

async fn index(
    State(p): State<Pages>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    match view::overview(&p.app, req.lang).await {
        Ok(ctx) => render(&p, &req, StatusCode::OK, "index.html", &ctx),
        Err(e) => store_failed(&p, &req, &e),
    }
}

async fn fund(
    State(p): State<Pages>,
    Path(fund): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    let from = q.from.as_deref().and_then(|f| f.parse::<u64>().ok());
    if p.app.ledger.damage(&fund).is_some() {
        return damaged(&p, &req);
    }
    match view::fund_page(&p.app, req.lang, &fund, from).await {
        Ok(Some(ctx)) => {
            let calendar = match crate::reports::read(p.app.ledger.store(), &fund).await {
                Ok(Some(b)) => {
                    let today = b.today(p.app.ledger.now());
                    Some(reports::calendar_box(&b, today, req.lang, DUTIES_SHOWN))
                }
                Ok(None) => None,
                Err(e) => return internal(&p, &req, &e),
            };
            let page = WithCalendar {
                page: &ctx,
                calendar,
            };
            render(&p, &req, StatusCode::OK, "fund.html", &page)
        }
        Ok(None) => not_found(&p, &req),
        Err(_) if p.app.ledger.damage(&fund).is_some() => damaged(&p, &req),
        Err(e) => store_failed(&p, &req, &e),
    }
}

/// `/funds/{fund}/reports/statutory?period=2026|2026-Q1|2026-03` (default: this year):
/// the printable statutory report; a bad period is a 400 page.
async fn statutory(
    State(p): State<Pages>,
    Path(fund): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    if p.app.ledger.damage(&fund).is_some() {
        return damaged(&p, &req);
    }
    let books = match crate::reports::read(p.app.ledger.store(), &fund).await {
        Ok(Some(b)) => b,
        Ok(None) => return not_found(&p, &req),
        Err(crate::reports::BooksError::Store(e)) => return store_failed(&p, &req, &e),
        Err(e) => return internal(&p, &req, &e),
    };
    let label = q
        .period
        .clone()
        .unwrap_or_else(|| books.today(p.app.ledger.now()).year().to_string());
    let report = crate::api::parse_period(&label).map(|period| books.books.report(&period));
    match report {
        Some(Ok(r)) => {
            let page = reports::StatutoryPage::new(&fund, &books, &label, r);
            render(&p, &req, StatusCode::OK, "statutory.html", &page)
        }
        _ => render(
            &p,
            &req,
            StatusCode::BAD_REQUEST,
            "error.html",
            &ErrorPage {
                title_key: "bad_period",
                text_key: "bad_period_text",
            },
        ),
    }
}

/// `scheme://host` of the request, from its Host header (`X-Forwarded-Proto: https`
/// behind a proxy). A Host that is not a plain host name or address is not used.
fn base_url(headers: &HeaderMap) -> Option<String> {
    crate::sessions::request_origin(headers)
}

async fn statement(
    State(p): State<Pages>,
    Path((fund, seq)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    let Ok(seq) = seq.parse::<u64>() else {
        return not_found(&p, &req);
    };
    let base = base_url(&headers).unwrap_or_default();
    let verify_url = format!("{base}/check?fund={}&seq={seq}", percent_encode(&fund));
    if p.app.ledger.damage(&fund).is_some() {
        return damaged(&p, &req);
    }
    match view::statement_page(&p.app, req.lang, &fund, seq, &verify_url).await {
        Ok(Some(ctx)) => render(&p, &req, StatusCode::OK, "statement.html", &ctx),
        Ok(None) => not_found(&p, &req),
        Err(e) => store_failed(&p, &req, &e),
    }
}

async fn check(
    State(p): State<Pages>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let req = Req::new(&headers, &uri, &q);
    let ctx = CheckPage {
        log_key: p.app.ledger.log_key().verifier().to_vkey(),
        origin: p.app.ledger.origin().to_owned(),
        policy_json: p.app.witnesses.as_deref().map(WitnessPolicyInfo::js_policy),
        witnesses: p
            .app
            .witnesses
            .as_deref()
            .map(|s| WitnessPolicyInfo::of(s).witnesses)
            .unwrap_or_default(),
    };
    render(&p, &req, StatusCode::OK, "check.html", &ctx)
}

/// Only a path on this site: `/…`, not `//host` or `/\host`, no control characters.
fn safe_back(back: Option<&str>) -> &str {
    match back {
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.starts_with("/\\")
                && b.len() <= BACK_BYTES_MAX
                && !b.bytes().any(|c| c.is_ascii_control()) =>
        {
            b
        }
        _ => "/",
    }
}

async fn switch_lang(Path(lang): Path<String>, Query(q): Query<PageQuery>) -> Response {
    let back = safe_back(q.back.as_deref());
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(back) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(l) = Lang::parse(&lang) {
        if let Ok(v) = HeaderValue::from_str(&l.cookie()) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    resp
}

/// `?v=` of a static file's URL.
#[derive(Deserialize)]
struct StaticQuery {
    v: Option<String>,
}

/// A static file; final (cached for a year, `crate::caching`) when asked for by its
/// current version ([`static_url`]).
async fn static_file(Path(file): Path<String>, Query(q): Query<StaticQuery>) -> Response {
    match STATIC_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            let mut resp = ([(header::CONTENT_TYPE, *content_type)], *body).into_response();
            if q.v.is_some_and(|v| v == static_version(&file)) {
                resp.extensions_mut().insert(crate::caching::Final);
            }
            resp
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_parse() {
        let env = environment().expect("templates");
        for (name, _) in TEMPLATES {
            env.get_template(name).expect(name);
        }
    }

    #[test]
    fn back_is_only_a_local_path() {
        assert_eq!(safe_back(Some("/funds/a?from=3")), "/funds/a?from=3");
        for bad in ["//evil.example", "/\\evil", "http://x", "", "/a\nb"] {
            assert_eq!(safe_back(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_back(None), "/");
    }

    #[test]
    fn base_url_refuses_odd_hosts() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(base_url(&h).as_deref(), Some("http://127.0.0.1:8080"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&h).as_deref(), Some("https://127.0.0.1:8080"));
        h.insert(header::HOST, HeaderValue::from_static("a\"><script>"));
        assert_eq!(base_url(&h), None);
    }

    #[test]
    fn percent_encoding_keeps_paths() {
        assert_eq!(
            percent_encode("/funds/a?from=3&x"),
            "/funds/a%3Ffrom%3D3%26x"
        );
    }
}
