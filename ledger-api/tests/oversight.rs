//! Corrections and supervisors over HTTP (issue 17, items 4 and 6), in process: a sample
//! fund with oversight (a supervisor and a host charity in its genesis, the supervisor's
//! opinion on its first statement, a donation reversed with its 更正说明 and recorded
//! again, the corrected statement) appended through the real ledger on SQLite, then the
//! service's router driven with `oneshot`: the fund page shows the note beside the
//! statement it changes, the superseded statement says so, the statement page shows the
//! opinions; a supervisor's token appends an opinion and nothing else; bad inputs write
//! nothing.

#[allow(unused_imports)] // `support` re-exports what other test binaries use.
mod support;

use std::sync::Arc;

use axum::body::Body as HttpBody;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use ledger_api::app::AppState;
use ledger_api::credentials::{Role, Token};
use ledger_api::limits::Limits;
use ledger_api::store::Store;
use ledger_core::body::{Body, Kind, Opinion, Verdict};
use ledger_core::entry::{Entry, Intent};
use ledger_core::ids::{FundId, IdempotencyKey};
use ledger_core::sample::{build, SampleFund, SampleSpec};
use ledger_core::text::LongText;
use serde_json::{json, Value};
use tower::ServiceExt;

use support::{append_sample, open_store, start_ledger, PinnedClock, ORIGIN};

/// The fund under test.
const FUND: &str = "oversight-http";

struct Setup {
    router: Router,
    store: Arc<Store>,
    fund: SampleFund,
    clock: PinnedClock,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let store = Arc::new(open_store(&url).await.expect("store"));
    let fund = build(
        &SampleSpec::example(FUND, 9, 160, 6).with_oversight(),
        ORIGIN,
    )
    .expect("the sample builds");
    let clock = PinnedClock::new(0);
    let ledger = start_ledger(store.clone(), &fund, &clock).await;
    append_sample(&ledger, &fund, &clock).await;
    clock.set(clock.get() + 3_600);
    let router = ledger_api::router::router(AppState::new(ledger, Limits::default()));
    Setup {
        router,
        store,
        fund,
        clock,
        _dir: dir,
    }
}

impl Setup {
    async fn token(&self, role: Role) -> String {
        let token = Token::generate();
        self.store
            .issue_credential(
                &token,
                role,
                Some(FUND),
                "oversight test",
                "2026-01-01T00:00:00Z",
            )
            .await
            .expect("a credential");
        token.reveal().to_owned()
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .uri(path)
            .body(HttpBody::empty())
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("answer");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 8 << 20)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Posts `body` signed by `keys` with `token`; status and JSON answer.
    async fn append(
        &self,
        token: &str,
        body: Body,
        key: &str,
        keys: &[&ed25519_dalek::SigningKey],
    ) -> (StatusCode, Value) {
        let intent = Intent {
            fund: FundId::parse(FUND).expect("fund"),
            body,
            key: IdempotencyKey::parse(key).expect("key"),
            signed_at: self.clock.instant(),
        };
        let mut sigs: Vec<_> = keys.iter().map(|k| intent.sign(k)).collect();
        sigs.sort_by_key(|s| s.key);
        let text = String::from_utf8(intent.canonical_bytes()).expect("utf-8");
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/funds/{FUND}/entries"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(HttpBody::from(
                json!({"intent": text, "sigs": sigs}).to_string(),
            ))
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("answer");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn size(&self) -> u64 {
        self.store
            .fund(FUND)
            .await
            .expect("read")
            .expect("the fund")
            .size
    }

    /// Seqs of the sample's entries whose body `pick` accepts.
    fn seqs(&self, pick: impl Fn(&Body) -> bool) -> Vec<u64> {
        self.fund
            .lines
            .iter()
            .map(|l| Entry::parse(l).expect("parses").entry)
            .filter(|e| pick(&e.intent.body))
            .map(|e| e.seq)
            .collect()
    }
}

fn opinion(statement: u64, verdict: Verdict, reasons: Option<&str>) -> Body {
    Body::Opinion(Opinion {
        statement,
        verdict,
        reasons: reasons.map(|r| LongText::parse(r).expect("text")),
    })
}

#[tokio::test]
async fn the_correction_note_is_shown_beside_the_statement_it_changes() {
    let s = setup().await;
    let corrected = s.seqs(|b| matches!(b, Body::Statement(st) if st.supersedes.is_some()));
    let [corrected] = corrected[..] else {
        panic!("one corrected statement: {corrected:?}")
    };
    let parsed = Entry::parse(&s.fund.lines[corrected as usize]).expect("parses");
    let Body::Statement(st) = parsed.entry.intent.body else {
        unreachable!()
    };
    let first = st.supersedes.expect("supersedes");
    let note_seq = s.seqs(|b| matches!(b, Body::Reversal(r) if r.correction.is_some()))[0];

    let (status, page) = s.get(&format!("/funds/{FUND}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("更正说明"),
        "the fund page names the correction"
    );
    assert!(
        page.contains(&format!("id=\"correction-{note_seq}\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("/funds/{FUND}/statements/{first}\"")),
        "the note links the statement it changes"
    );
    assert!(page.contains("示例监督员"), "the supervisor is named");
    assert!(page.contains("示例慈善会"), "the host charity is named");

    // The superseded statement says so and shows the note; the corrected one names it.
    let (_, old) = s.get(&format!("/funds/{FUND}/statements/{first}")).await;
    assert!(old.contains("id=\"superseded\""), "marked as superseded");
    assert!(old.contains(&format!("/funds/{FUND}/statements/{corrected}\"")));
    assert!(old.contains(&format!("id=\"statement-correction-{note_seq}\"")));
    assert!(
        old.contains("已冲正原条目并按收据金额重新登记"),
        "the note's text"
    );
    let (_, new) = s
        .get(&format!("/funds/{FUND}/statements/{corrected}"))
        .await;
    assert!(!new.contains("id=\"superseded\""));
    assert!(new.contains("更正报表，取代"));
    assert!(new.contains(&format!("id=\"statement-correction-{note_seq}\"")));
    // In English too.
    let (_, en) = s
        .get(&format!("/funds/{FUND}/statements/{first}?lang=en"))
        .await;
    assert!(en.contains("superseded by the corrected statement"), "{en}");
}

#[tokio::test]
async fn a_supervisor_appends_an_opinion_and_the_statement_page_shows_it() {
    let s = setup().await;
    let statements = s.seqs(|b| b.kind() == Kind::Statement);
    let on = *statements.last().expect("a statement");
    let supervisor_token = s.token(Role::Supervisor).await;
    let sup = s.fund.keys.supervisor.clone();
    let before = s.size().await;

    let (status, body) = s
        .append(
            &supervisor_token,
            opinion(on, Verdict::Disagree, Some("第三笔支出缺少发票，请补正。")),
            "opinion-http-1",
            &[&sup],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(s.size().await, before + 1);

    let (_, page) = s.get(&format!("/funds/{FUND}/statements/{on}")).await;
    assert!(page.contains(&format!("id=\"opinion-{before}\"")), "{page}");
    assert!(page.contains("不同意"));
    assert!(page.contains("第三笔支出缺少发票，请补正。"));
    assert!(page.contains("示例监督员"));
    // The first statement carries the sample's agreeing opinion.
    let (_, first) = s
        .get(&format!("/funds/{FUND}/statements/{}", statements[0]))
        .await;
    assert!(first.contains("class=\"opinion agree\""), "{first}");

    // The statement's JSON read carries the same opinions (issue 17, OpenAPI
    // `StatementRead`): the new one on the last statement, named and with its reasons.
    let sup_key = ledger_core::keys::PublicKey::from_verifying_key(sup.verifying_key());
    let (status, json) = s
        .get(&format!("/api/v1/funds/{FUND}/statements/{on}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let read: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(read["seq"], on, "{read}");
    assert_eq!(
        read["opinions"],
        json!([{
            "seq": before,
            "recorded_at": read["opinions"][0]["recorded_at"],
            "verdict": "disagree",
            "reasons": "第三笔支出缺少发票，请补正。",
            "signed_by": [{"key": sup_key.to_hex(), "name": "示例监督员"}],
        }]),
        "{read}"
    );
    assert!(read["opinions"][0]["recorded_at"].is_string(), "{read}");
    let (_, json) = s
        .get(&format!(
            "/api/v1/funds/{FUND}/statements/{}",
            statements[0]
        ))
        .await;
    let read: Value = serde_json::from_str(&json).expect("JSON");
    let opinions = read["opinions"].as_array().expect("opinions");
    assert_eq!(opinions.len(), 1, "{read}");
    assert_eq!(opinions[0]["verdict"], "agree");
    // A statement without opinions says so with an empty list.
    if let Some(other) = statements.get(1).filter(|q| **q != on) {
        let (_, json) = s
            .get(&format!("/api/v1/funds/{FUND}/statements/{other}"))
            .await;
        let read: Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(read["opinions"], json!([]), "{read}");
    }
    // The OpenAPI document describes it.
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    let doc: Value = serde_json::from_str(&doc).expect("JSON");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["StatementRead"].is_object(), "StatementRead");
    assert_eq!(
        schemas["Opinion"]["properties"]["verdict"]["enum"],
        json!(["agree", "disagree"])
    );
}

#[tokio::test]
async fn a_supervisor_token_records_no_money_and_bad_opinions_write_nothing() {
    let s = setup().await;
    let on = *s
        .seqs(|b| b.kind() == Kind::Statement)
        .last()
        .expect("a statement");
    let supervisor_token = s.token(Role::Supervisor).await;
    let trustee_token = s.token(Role::Trustee).await;
    let sup = s.fund.keys.supervisor.clone();
    let trustee = support::current_trustee(&s.fund).clone();
    let before = s.size().await;

    // Least privilege: a supervisor's token cannot record money, even signed by a trustee.
    let donation = community_ledger::donation_intent(FUND, "sup-money", 10_000, s.clock.instant());
    let (status, body) = s
        .append(&supervisor_token, donation.body, "sup-money", &[&trustee])
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("supervisor_opinions_only")),
        "{body}"
    );
    assert!(body["detail_zh"]
        .as_str()
        .is_some_and(|d| d.contains("监督员")));

    // An opinion signed by a trustee (through a trustee's token) is not a supervisor's.
    let (status, body) = s
        .append(
            &trustee_token,
            opinion(on, Verdict::Agree, None),
            "op-by-trustee",
            &[&trustee],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("opinion_signer_not_supervisor")
        ),
        "{body}"
    );
    // Disagreeing without reasons; an opinion on a donation.
    let (status, body) = s
        .append(
            &supervisor_token,
            opinion(on, Verdict::Disagree, None),
            "op-no-reasons",
            &[&sup],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("opinion_reasons_missing")
        ),
        "{body}"
    );
    let donation_seq = s.seqs(|b| b.kind() == Kind::Donation)[0];
    let (status, body) = s
        .append(
            &supervisor_token,
            opinion(donation_seq, Verdict::Agree, None),
            "op-on-donation",
            &[&sup],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("opinion_target_not_statement")
        ),
        "{body}"
    );
    assert_eq!(s.size().await, before, "nothing was written");
}
