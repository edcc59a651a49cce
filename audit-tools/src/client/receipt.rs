//! `ledger receipt verify`: a receipt (FORMAT.md §11) checked with nothing but
//! ledger-core — no request to any server.

use std::path::Path;

use ledger_core::error::Coded;
use ledger_core::receipt::{
    parse_receipt, verify_receipt, verify_receipt_witnessed, ReceiptError, RECEIPT_BYTES_MAX,
};
use ledger_core::witness_check::WitnessCheckError;

use super::Fail;
use crate::witnessed::{load_policy, time_text};

/// Checks the receipt in `file`; with `log_key`, also that the receipt's log key is it;
/// with `policy` (a witness policy file, FORMAT.md §13), also that its checkpoint meets
/// the policy. Returns what was proven, as lines to print.
pub fn verify_file(
    file: &Path,
    log_key: Option<&str>,
    policy: Option<&Path>,
) -> Result<Vec<String>, Fail> {
    let policy = policy
        .map(load_policy)
        .transpose()
        .map_err(|e| Fail::Unusable(format!("{e:#}")))?;
    let meta = std::fs::metadata(file)
        .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", file.display())))?;
    if meta.len() > RECEIPT_BYTES_MAX as u64 {
        return Err(Fail::Unusable(format!(
            "{} is {} bytes; a receipt is at most {RECEIPT_BYTES_MAX}",
            file.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", file.display())))?;
    let invalid = |code: &str, en: String, zh: String| {
        Fail::Refused(format!("receipt INVALID ({code}): {zh} / {en}"))
    };
    let receipt =
        parse_receipt(&bytes).map_err(|e| invalid(e.code(), e.message_en(), e.message_zh()))?;
    let refused = |e: ReceiptError| match e {
        ReceiptError::Witness(WitnessCheckError::QuorumNotMet { .. }) => Fail::Refused(format!(
            "receipt NOT YET WITNESSED ({}): {} / {} — the entry is in the log, but the \
             witnesses have not cosigned this checkpoint yet: ask for a new receipt in a \
             minute (请过一分钟后重新获取收据)",
            e.code(),
            e.message_zh(),
            e.message_en()
        )),
        e => invalid(e.code(), e.message_en(), e.message_zh()),
    };
    let (ok, witnessed) = match &policy {
        None => (verify_receipt(&receipt).map_err(refused)?, None),
        Some(p) => {
            let (ok, check) = verify_receipt_witnessed(&receipt, p).map_err(refused)?;
            (ok, Some(check))
        }
    };
    let key_line = match log_key {
        Some(k) if k.trim() == receipt.log_key => {
            format!("log key:   {} (the key you trust)", receipt.log_key)
        }
        Some(k) => {
            return Err(invalid(
                "log_key_mismatch",
                format!(
                    "the receipt is signed by log key {} but you trust {}",
                    receipt.log_key,
                    k.trim()
                ),
                format!(
                    "收据由日志公钥 {} 签署，而您信任的是 {}",
                    receipt.log_key,
                    k.trim()
                ),
            ))
        }
        None => format!(
            "log key:   {} — NOT compared with a key you trust: pass --log-key (the \
             deployment publishes it at /.well-known/community-ledger)",
            receipt.log_key
        ),
    };
    let mut out = vec![
        "receipt VALID 收据有效".to_owned(),
        format!("fund:      {}", ok.fund),
        format!("entry:     #{} {}", ok.seq, ok.kind.as_str()),
    ];
    if let Some(a) = ok.amount {
        out.push(format!("amount:    {a} CNY"));
    }
    out.push(format!("recorded:  {}", ok.recorded_at));
    out.push(format!(
        "in log:    tree of {} entries, root {} (signed checkpoint of {})",
        ok.tree_size, ok.root, receipt.origin
    ));
    out.push(key_line);
    out.push(match witnessed {
        None => "witnesses: NOT checked: pass --policy (the deployment publishes its witness \
                 policy at /.well-known/community-ledger)"
            .to_owned(),
        Some(check) if check.witnessed.is_empty() => {
            "witnesses: the policy needs none (quorum none)".to_owned()
        }
        Some(check) => format!(
            "witnesses: quorum met; witnessed by {}",
            check
                .witnessed
                .iter()
                .map(|w| format!("{} ({})", w.witness, time_text(w.timestamp)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    for s in &receipt.signers {
        out.push(format!(
            "signed by: {}{}",
            s.key,
            s.name
                .as_deref()
                .map(|n| format!(" ({n}, as the server names them; names are not proven)"))
                .unwrap_or_default()
        ));
    }
    out.push(if ok.donor_confirmed {
        "donor:     the donation's commitment opens to the name and phone in this receipt \
         (捐赠人已确认)"
            .to_owned()
    } else {
        "donor:     not confirmed (no donor part in this receipt)".to_owned()
    });
    out.push(
        "not proven: that the signers were trustees, or that the entry obeys the fund's \
         rules — verify the whole export for that"
            .to_owned(),
    );
    Ok(out)
}
