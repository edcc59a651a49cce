//! The whole service called in process: [`Application::build`] on a SQLite database in a
//! temporary folder, its `Router` driven with `tower::ServiceExt::oneshot` (no socket is
//! served). Besides a few answers (health, a 401, a 403), it walks every operation of
//! [`operations`] and checks that the router enforces the operation's access column,
//! with the very problems the handlers used to answer: if the column and what is enforced
//! ever drift apart, this fails.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use clap::Parser;
use ledger_api::api::{operations, Access, Problem};
use ledger_api::credentials::{Role, Token};
use ledger_api::server::{Application, Cli};
use serde_json::Value;
use tower::ServiceExt;

/// The fund named in the paths walked.
const FUND: &str = "drift-fund";
/// Another fund, whose trustee must be refused on `FUND`'s fund-scoped routes.
const OTHER_FUND: &str = "other-fund";

/// An application on a fresh SQLite database (the folder lives as long as the guard).
async fn app() -> (Application, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    (app_at(dir.path()).await, dir)
}

/// An application whose data dir (and SQLite database) is `data_dir`.
async fn app_at(data_dir: &std::path::Path) -> Application {
    let cli = Cli::try_parse_from([
        "ledger-server",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().expect("a UTF-8 path"),
        "--database-url",
        &format!("sqlite://{}", data_dir.join("ledger.db").display()),
        "--origin",
        "in-process.test",
        "--rate-limit",
        "0",
    ])
    .expect("flags parse");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    Application::build(cli.config, listener)
        .await
        .expect("the application builds")
}

/// A token of `role` (for `fund`, a trustee's), stored the way `token issue` stores it.
async fn token(app: &Application, role: Role, fund: Option<&str>) -> String {
    let token = Token::generate();
    app.state()
        .ledger
        .store()
        .issue_credential(
            &token,
            role,
            fund,
            "in-process test",
            "2026-01-01T00:00:00Z",
        )
        .await
        .expect("a credential");
    token.reveal().to_owned()
}

/// Status and JSON body (`Null` when the body is not JSON).
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).expect("a request"))
        .await
        .expect("an answer");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("a body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Asserts that an answer is exactly `want`'s problem.
fn assert_problem(got: &(StatusCode, Value), want: &Problem, what: &str) {
    assert_eq!(got.0, want.status, "{what}: {}", got.1);
    assert_eq!(got.1["code"], want.code, "{what}: {}", got.1);
    assert_eq!(got.1["detail"], want.en.as_str(), "{what}");
    assert_eq!(got.1["detail_zh"], want.zh.as_str(), "{what}");
}

/// `path` with its parameters filled in (`{fund}` is [`FUND`]).
fn concrete(path: &str) -> String {
    path.replace("{fund}", FUND)
        .replace("{seq}", "1")
        .replace("{id}", "00000000000000000000000000000000")
}

#[tokio::test]
async fn health_401_and_403_in_process() {
    let (app, _dir) = app().await;
    let router = app.router();
    let (status, body) = call(&router, Method::GET, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let got = call(&router, Method::GET, "/api/v1/credentials", None).await;
    assert_problem(
        &got,
        &Problem::unauthenticated("listing credentials"),
        "no token on an operator route",
    );

    let other = token(&app, Role::Trustee, Some(OTHER_FUND)).await;
    let got = call(
        &router,
        Method::GET,
        &format!("/api/v1/funds/{FUND}/proposals"),
        Some(&other),
    )
    .await;
    assert_problem(
        &got,
        &Problem::forbidden_fund(OTHER_FUND, FUND),
        "a trustee token of another fund",
    );
}

/// The access column itself: changing who may call an operation must be a deliberate
/// change of this list too.
#[test]
fn the_access_column_is_the_one_reviewed() {
    let mut guarded: Vec<(&str, Access, &str)> = operations()
        .into_iter()
        .filter(|o| o.access != Access::Public)
        .map(|o| (o.id, o.access, o.action))
        .collect();
    guarded.sort_by_key(|g| g.0);
    assert_eq!(
        guarded,
        vec![
            ("append", Access::Writer, "appending an entry"),
            ("check_import", Access::Trustee, "checking an import"),
            (
                "check_intents",
                Access::TrusteeOrAuditor,
                "checking intents"
            ),
            ("cosign", Access::Trustee, "co-signing a proposal"),
            (
                "get_proposal",
                Access::TrusteeOrAuditor,
                "reading proposals"
            ),
            ("issue_credential", Access::Operator, "issuing credentials"),
            ("list_credentials", Access::Operator, "listing credentials"),
            (
                "list_proposals",
                Access::TrusteeOrAuditor,
                "reading proposals"
            ),
            ("propose", Access::Trustee, "proposing an entry"),
            (
                "revoke_credential",
                Access::Operator,
                "revoking credentials"
            ),
            ("vault_erase", Access::Operator, "erasing a donor identity"),
            ("vault_get", Access::Auditor, "reading the donor vault"),
            ("vault_list", Access::Auditor, "reading the donor vault"),
            (
                "workspace",
                Access::TrusteeOrAuditor,
                "reading the trustees' workspace",
            ),
        ]
    );
}

#[tokio::test]
async fn every_route_enforces_its_access_column() {
    let (app, _dir) = app().await;
    let router = app.router();
    let operator = token(&app, Role::Operator, None).await;
    let auditor = token(&app, Role::Auditor, None).await;
    let trustee = token(&app, Role::Trustee, Some(FUND)).await;
    let other_trustee = token(&app, Role::Trustee, Some(OTHER_FUND)).await;
    let holders = [
        ("operator", Role::Operator, &operator, None),
        ("auditor", Role::Auditor, &auditor, None),
        ("trustee of the fund", Role::Trustee, &trustee, Some(FUND)),
        (
            "trustee of another fund",
            Role::Trustee,
            &other_trustee,
            Some(OTHER_FUND),
        ),
    ];
    let mut checked = 0;
    for o in operations() {
        if o.access == Access::Public {
            continue;
        }
        assert!(
            !o.access.is_fund_scoped() || o.path.contains("{fund}"),
            "{}: a fund-scoped access on a path without {{fund}}",
            o.id
        );
        let path = concrete(o.path);
        let what = format!("{} {}", o.method, o.path);

        let got = call(&router, o.method.clone(), &path, None).await;
        assert_problem(
            &got,
            &Problem::unauthenticated(o.action),
            &format!("{what} without a token"),
        );

        for (name, role, token, fund) in &holders {
            // What the column says about this holder, spelled out here rather than by
            // `Access::check`, so that the test does not agree with itself.
            let refusal = match (o.access, role, *fund) {
                (Access::Operator, Role::Operator, _) => None,
                (Access::Auditor, Role::Auditor, _) => None,
                (Access::Writer, Role::Operator | Role::Trustee, _) => None,
                (Access::Trustee | Access::TrusteeOrAuditor, Role::Trustee, Some(f)) => {
                    (f != FUND).then(|| Problem::forbidden_fund(f, FUND))
                }
                (Access::TrusteeOrAuditor, Role::Auditor, _) => None,
                (Access::Public, _, _) => None,
                _ => Some(Problem::forbidden_role(*role, o.action)),
            };
            let got = call(&router, o.method.clone(), &path, Some(token)).await;
            match refusal {
                Some(p) => assert_problem(&got, &p, &format!("{what} with a {name} token")),
                None => assert!(
                    !matches!(
                        got.1["code"].as_str(),
                        Some("unauthenticated" | "forbidden_role" | "forbidden_fund")
                    ),
                    "{what} with a {name} token is refused: {}",
                    got.1
                ),
            }
        }
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} guarded operations walked");
}

#[tokio::test]
async fn run_serves_on_the_given_listener_until_stopped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, _dir) = app().await;
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .expect("a connection");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("a request sent");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    stop.send(()).expect("the server is running");
    served
        .await
        .expect("the server task ends")
        .expect("the server stops cleanly");
}

/// The data at rest is the service user's alone: the data dir is 0700 and the SQLite
/// database with its `-wal` and `-shm` files 0600 (they hold the donor vault, sealed) and
/// the vault key 0600, from the first start on, and an existing database made readable by others is closed again.
#[tokio::test]
async fn the_data_dir_and_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let data = tmp.path().join("data");
    let app = app_at(&data).await;
    assert_eq!(mode(&data), 0o700, "a new data dir");
    for file in ["ledger.db", "ledger.db-wal", "ledger.db-shm", "vault.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    app.state().ledger.store().close().await;
    drop(app);
    // Started again after someone widened them: owner-only again.
    let db = data.join("ledger.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app = app_at(&data).await;
    assert_eq!(mode(&data), 0o700, "an existing data dir");
    assert_eq!(mode(&db), 0o600, "an existing database");
    app.state().ledger.store().close().await;
}

/// A database that cannot be reached is a passing fault, not a 500: reads answer 503
/// `database_unavailable` with `Retry-After` (nothing was written), and the health check
/// 503 `unavailable`.
#[tokio::test]
async fn a_lost_database_answers_503_with_retry_after() {
    let (app, _dir) = app().await;
    let router = app.router();
    assert_eq!(
        call(&router, Method::GET, "/api/v1/funds", None).await.0,
        StatusCode::OK
    );
    // Every connection of the store closed under the server, as when the database goes.
    app.state().ledger.store().close().await;
    assert_eq!(
        call(&router, Method::GET, "/healthz", None).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The API answers a problem; the residents' pages say the same to a browser with a
    // page that asks to reload, not "internal error".
    for (path, says) in [
        ("/api/v1/funds", "\"database_unavailable\""),
        ("/api/v1/funds/drift-fund", "\"database_unavailable\""),
        ("/", "暂时无法访问"),
        ("/funds/drift-fund", "暂时无法访问"),
    ] {
        let resp = router
            .clone()
            .oneshot(
                Request::builder()
                    .uri(path)
                    .body(Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("an answer");
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1"),
            "{path}"
        );
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a body");
        let body = String::from_utf8_lossy(&bytes);
        assert!(body.contains(says), "{path}: {body}");
    }
}
