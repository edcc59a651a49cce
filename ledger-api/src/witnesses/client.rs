//! The witness client: a background task that, once per interval, sends each fund's
//! newest checkpoint to every witness of the policy (C2SP tlog-witness v1.0.0
//! `POST <url>/add-checkpoint`), stores the cosignatures it gets back once verified, and
//! records the newest checkpoint that meets the quorum. It never runs on the append path:
//! it reads the checkpoints the fund writers committed, so an append never waits for a
//! witness, and a witness that is down only delays its own requests (backoff).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use futures_util::{stream, StreamExt};
use ledger_core::cosignature::{check_lines, LineOutcome};
use ledger_core::witness_policy::PolicyWitness;

use super::WitnessSetup;
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::store::{CosignatureRow, RoundWrite};

/// How long one `add-checkpoint` request may take, connection included.
pub const WITNESS_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to a witness may take.
pub const WITNESS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest wait before a failing witness is asked again.
pub const WITNESS_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The largest response body read from a witness.
pub const WITNESS_RESPONSE_BYTES_MAX: usize = 16 * 1024;
/// Funds whose rounds run at once.
pub const WITNESS_FUNDS_IN_FLIGHT_MAX: usize = 8;
/// The tlog-witness media type of a 409's body.
const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Starts the witness client for `setup` on `ledger`, one round every `interval`.
/// Abort the returned handle to stop it.
pub fn spawn(
    ledger: Arc<Ledger>,
    setup: Arc<WitnessSetup>,
    metrics: Arc<Metrics>,
    interval: Duration,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let http = reqwest::Client::builder()
        .timeout(WITNESS_REQUEST_TIMEOUT)
        .connect_timeout(WITNESS_CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let client = Arc::new(WitnessClient {
        ledger,
        setup,
        metrics,
        http,
        interval,
        started: SystemTime::now(),
        backoff: Mutex::new(HashMap::new()),
    });
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            client.round().await;
        }
    }))
}

/// A failing witness's backoff.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    until: Instant,
}

struct WitnessClient {
    ledger: Arc<Ledger>,
    setup: Arc<WitnessSetup>,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    interval: Duration,
    started: SystemTime,
    /// By witness vkey.
    backoff: Mutex<HashMap<String, Backoff>>,
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("status {status}: {body}")]
    Status { status: u16, body: String },
    #[error("409 without a `{SIZE_CONTENT_TYPE}` size: {0:?}")]
    BadConflict(String),
    #[error("it says it cosigned size {theirs} of this log, larger than ours ({ours}): a split view or a lost log")]
    AheadOfLog { theirs: u64, ours: u64 },
    #[error("409 again after the retry from size {0}")]
    ConflictAgain(u64),
    #[error("no valid cosignature by its key in the response")]
    NoCosignature,
    #[error("an invalid cosignature by its key in the response")]
    InvalidCosignature,
    #[error("response larger than {WITNESS_RESPONSE_BYTES_MAX} bytes")]
    TooLarge,
    #[error("consistency proof: {0}")]
    Proof(String),
}

/// What one `add-checkpoint` returned.
enum Reply {
    Cosigned(String),
    /// 409: the witness's stored size.
    Conflict(u64),
}

/// A 409's size `theirs` when it is not beyond our `size`; beyond it, the alarm.
fn ahead_or(theirs: u64, size: u64) -> Result<u64, Failure> {
    if theirs > size {
        Err(Failure::AheadOfLog { theirs, ours: size })
    } else {
        Ok(theirs)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl WitnessClient {
    /// One round: every fund, a few at a time; then what they found is recorded in one
    /// transaction ([`Store::record_witness_round`](crate::store::Store::record_witness_round): on SQLite the appends share the
    /// write lock, so one short write a round instead of three per fund) and each fund's
    /// witnessed-checkpoint age is published.
    async fn round(&self) {
        let funds = self.ledger.fund_ids().await;
        let found: Vec<(RoundWrite, Option<(u64, u64)>)> = stream::iter(funds)
            .map(|fund| async move {
                if self.ledger.damage(&fund).is_some() {
                    return None;
                }
                match self.fund_round(&fund).await {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::warn!(%fund, error = %e, "witness round failed");
                        None
                    }
                }
            })
            .buffer_unordered(WITNESS_FUNDS_IN_FLIGHT_MAX)
            .filter_map(std::future::ready)
            .collect()
            .await;
        let (writes, before): (Vec<RoundWrite>, Vec<Option<(u64, u64)>>) =
            found.into_iter().unzip();
        let anything = writes
            .iter()
            .any(|w| !w.cosignatures.is_empty() || w.witnessed.is_some());
        let advanced = if anything {
            match self
                .ledger
                .store()
                .record_witness_round(&self.setup.id, &writes)
                .await
            {
                Ok(advanced) => advanced,
                Err(e) => {
                    tracing::warn!(error = %e, "could not record the witness round");
                    vec![false; writes.len()]
                }
            }
        } else {
            vec![false; writes.len()]
        };
        for ((w, before), advanced) in writes.iter().zip(before).zip(advanced) {
            let witnessed_at = match (&w.witnessed, advanced) {
                (Some((_, at)), true) => {
                    tracing::debug!(fund = %w.fund, size = w.tree_size, "checkpoint witnessed");
                    Some((w.tree_size, *at))
                }
                _ => before,
            };
            let age = match witnessed_at {
                Some((s, _)) if s == w.tree_size => 0,
                Some((_, at)) => now_secs().saturating_sub(at),
                None => self.started.elapsed().map_or(0, |d| d.as_secs()),
            };
            self.metrics.set_witnessed_age(&w.fund, age);
        }
    }

    /// Sends `fund`'s newest checkpoint to every witness that has not cosigned it, and
    /// returns what to record: the cosignatures it got, the checkpoint with them if they
    /// now meet the quorum, and the stored witnessed checkpoint's (size, time) before.
    /// `None` for a fund without a checkpoint.
    async fn fund_round(
        &self,
        fund: &str,
    ) -> anyhow::Result<Option<(RoundWrite, Option<(u64, u64)>)>> {
        let store = self.ledger.store();
        let Some((size, note)) = store.latest_checkpoint(fund).await? else {
            return Ok(None);
        };
        let mut rows: HashMap<String, CosignatureRow> = store
            .cosignatures(fund)
            .await?
            .into_iter()
            .map(|r| (r.witness_key.clone(), r))
            .collect();
        let witnessed = store.witnessed_checkpoint(fund, &self.setup.id).await?;
        let pending: Vec<&PolicyWitness> = self
            .setup
            .witnesses()
            .iter()
            .filter(|w| {
                rows.get(&w.key.to_vkey())
                    .is_none_or(|r| r.tree_size != size)
            })
            .filter(|w| self.ready(w))
            .collect();
        let results = futures_util::future::join_all(pending.iter().map(|w| {
            let old = rows.get(&w.key.to_vkey()).map_or(0, |r| r.tree_size);
            self.ask(fund, w, old, size, &note)
        }))
        .await;
        let mut cosignatures = Vec::new();
        for (w, result) in pending.iter().zip(results) {
            let vkey = w.key.to_vkey();
            match result {
                Ok(line) => {
                    cosignatures.push((vkey.clone(), line.clone()));
                    rows.insert(
                        vkey.clone(),
                        CosignatureRow {
                            witness_key: vkey,
                            tree_size: size,
                            line,
                        },
                    );
                }
                Err(Failure::AheadOfLog { theirs, ours }) => {
                    self.metrics.witness_alarm(&w.name);
                    tracing::error!(
                        %fund, witness = %w.name, theirs, ours,
                        "ALARM: the witness cosigned a larger checkpoint of this fund than the log has: \
                         another server signed with this log key, or the database lost entries"
                    );
                }
                Err(e) => {
                    tracing::warn!(%fund, witness = %w.name, error = %e, "witness did not cosign");
                }
            }
        }
        let before = witnessed.as_ref().map(|w| (w.tree_size, w.witnessed_at));
        let mut full_witnessed = None;
        if (!cosignatures.is_empty() || witnessed.is_none())
            && witnessed.as_ref().is_none_or(|w| w.tree_size < size)
        {
            let mut full = note.clone();
            for w in self.setup.witnesses() {
                if let Some(r) = rows.get(&w.key.to_vkey()).filter(|r| r.tree_size == size) {
                    full.push_str(&r.line);
                    full.push('\n');
                }
            }
            if self.setup.policy.check_note(&full)?.met {
                full_witnessed = Some((full, now_secs()));
            }
        }
        Ok(Some((
            RoundWrite {
                fund: fund.to_owned(),
                tree_size: size,
                cosignatures,
                witnessed: full_witnessed,
            },
            before,
        )))
    }

    /// Whether `w` is out of its backoff.
    fn ready(&self, w: &PolicyWitness) -> bool {
        let backoff = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        backoff
            .get(&w.key.to_vkey())
            .is_none_or(|b| b.until <= Instant::now())
    }

    /// Records the outcome of a request to `w` for its backoff.
    fn settle(&self, w: &PolicyWitness, ok: bool) {
        let mut backoff = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let vkey = w.key.to_vkey();
        if ok {
            backoff.remove(&vkey);
            return;
        }
        let failures = backoff.get(&vkey).map_or(0, |b| b.failures) + 1;
        let wait = self
            .interval
            .saturating_mul(1u32 << failures.min(16))
            .min(WITNESS_BACKOFF_MAX);
        backoff.insert(
            vkey,
            Backoff {
                failures,
                until: Instant::now() + wait,
            },
        );
    }

    /// Asks `w` to cosign `fund`'s checkpoint `note` of `size`, from the size `old` it
    /// last cosigned as far as we know; on a 409 once more from the size it names.
    /// Returns its verified cosignature line.
    async fn ask(
        &self,
        fund: &str,
        w: &PolicyWitness,
        old: u64,
        size: u64,
        note: &str,
    ) -> Result<String, Failure> {
        let result = async {
            let first = self.add_checkpoint(fund, w, old, size, note).await?;
            let theirs = match first {
                Reply::Cosigned(line) => return Ok(line),
                Reply::Conflict(theirs) => ahead_or(theirs, size)?,
            };
            match self.add_checkpoint(fund, w, theirs, size, note).await? {
                Reply::Cosigned(line) => Ok(line),
                Reply::Conflict(again) => {
                    ahead_or(again, size)?;
                    Err(Failure::ConflictAgain(theirs))
                }
            }
        }
        .await;
        self.settle(w, result.is_ok());
        result
    }

    /// One `add-checkpoint` request, timed and counted.
    async fn add_checkpoint(
        &self,
        fund: &str,
        w: &PolicyWitness,
        old: u64,
        size: u64,
        note: &str,
    ) -> Result<Reply, Failure> {
        let started = Instant::now();
        let result = self.post(fund, w, old, size, note).await;
        self.metrics
            .witness_request(&w.name, started.elapsed(), result.is_ok());
        result
    }

    async fn post(
        &self,
        fund: &str,
        w: &PolicyWitness,
        old: u64,
        size: u64,
        note: &str,
    ) -> Result<Reply, Failure> {
        let proof = if old == 0 || old == size {
            Vec::new()
        } else {
            self.ledger
                .store()
                .consistency_proof(fund, old, size)
                .await
                .map_err(|e| Failure::Proof(e.to_string()))?
        };
        let mut body = format!("old {old}\n");
        for h in &proof {
            body.push_str(&base64::engine::general_purpose::STANDARD.encode(h.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(note);
        // The policy was checked at start: every witness has a URL.
        let base = w.url.as_deref().unwrap_or_default().trim_end_matches('/');
        let mut resp = self
            .http
            .post(format!("{base}/add-checkpoint"))
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if bytes.len() + chunk.len() > WITNESS_RESPONSE_BYTES_MAX {
                return Err(Failure::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match status.as_u16() {
            200 => self.verify(w, note, &text).map(Reply::Cosigned),
            409 => {
                let size = content_type
                    .split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(SIZE_CONTENT_TYPE))
                    .then(|| text.strip_suffix('\n'))
                    .flatten()
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok());
                size.map(Reply::Conflict)
                    .ok_or_else(|| Failure::BadConflict(text.chars().take(200).collect()))
            }
            code => Err(Failure::Status {
                status: code,
                body: text.chars().take(200).collect(),
            }),
        }
    }

    /// The line of `w`'s valid cosignature on `note` among the response's lines; lines
    /// of other keys are ignored (tlog-witness), an invalid one by `w`'s key refuses the
    /// response.
    fn verify(&self, w: &PolicyWitness, note: &str, response: &str) -> Result<String, Failure> {
        let keys = [w.key.clone()];
        let mut found = None;
        for line in response.lines().filter(|l| l.starts_with("— ")) {
            let one = format!("{note}{line}\n");
            let Ok(checks) = check_lines(&one, &keys) else {
                continue;
            };
            match checks.last().map(|c| &c.outcome) {
                Some(LineOutcome::Valid { .. }) => found = found.or(Some(line.to_owned())),
                Some(LineOutcome::Invalid(_)) => return Err(Failure::InvalidCosignature),
                _ => {}
            }
        }
        found.ok_or(Failure::NoCosignature)
    }
}
