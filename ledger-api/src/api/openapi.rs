//! The OpenAPI 3.1 document, built from [`super::operations`] (so every served route is
//! documented and every documented route is served) plus the schemas below.

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::{operations, Access, Operation, BODY_BYTES_MAX, PAGE_ROWS_DEFAULT};
use crate::store::PAGE_ROWS_MAX;
use ledger_core::check::CHECK_INTENTS_MAX;

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = match name {
                "seq" => uint(),
                "fund" => json!({"type": "string", "minLength": 1, "maxLength": 48}),
                "month" => json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
                _ => json!({"type": "string"}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

fn query(name: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": description})
}

/// A seq or a tree size: the server reads it as a `u64`.
fn uint() -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": u64::MAX})
}

fn page_params() -> Vec<Value> {
    vec![
        query("from", false, uint(), "First seq (default 0)"),
        query(
            "limit",
            false,
            json!({"type": "integer", "minimum": 1, "maximum": PAGE_ROWS_MAX, "default": PAGE_ROWS_DEFAULT}),
            "Page size",
        ),
    ]
}

fn query_params(id: &str) -> Vec<Value> {
    match id {
        "list_entries" | "vault_list" => page_params(),
        "inclusion_proof" => vec![
            query("seq", true, uint(), "The entry"),
            query("size", false, uint(), "Tree size (default: current)"),
        ],
        "draft_statement" => vec![query(
            "period",
            true,
            json!({"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$"}),
            "A month (2026-10), a quarter (2026-Q3) or a year (2026)",
        )],
        "list_statements" => vec![query("from", false, uint(), "First seq")],
        "statutory_report" => vec![
            query(
                "period",
                true,
                json!({"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$"}),
                "A month (2026-10), a quarter (2026-Q3) or a year (2026)",
            ),
            query(
                "format",
                false,
                json!({"enum": ["json", "csv"], "default": "json"}),
                "json, or csv (the lines as rows)",
            ),
        ],
        "disclosures" => vec![query(
            "today",
            false,
            json!({"type": "string", "format": "date"}),
            "The local day to compute for (default: the fund's today)",
        )],
        "receipt" => vec![query(
            "donor",
            false,
            json!({"type": "boolean", "default": false}),
            "Include the donor's salt and identity (a trustee of the fund or an auditor)",
        )],
        "list_proposals" => vec![
            query(
                "status",
                false,
                json!({"enum": ["open", "appended", "refused", "expired"]}),
                "Only proposals with this status",
            ),
            query(
                "signer",
                false,
                json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
                "A trustee's public key: its inbox (open proposals it may sign and has not; none if it is not a trustee now)",
            ),
        ],
        "workspace" => vec![query(
            "week",
            false,
            json!({"type": "string", "format": "date"}),
            "A day of the week whose bookings are shown (default: today, in the fund's calendar)",
        )],
        "consistency_proof" => vec![
            query("from", true, uint(), "Older tree size"),
            query("to", false, uint(), "Newer tree size (default: current)"),
        ],
        _ => vec![],
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn success(o: &Operation) -> (String, Value) {
    let ok =
        |desc: &str, schema: Value| json!({"description": desc, "content": json_content(schema)});
    let (status, body) = match o.id {
        "health" => (
            "200",
            ok(
                "Up: `ok`, or `degraded` with the quarantined funds named (the other funds are online)",
                schema_ref("Health"),
            ),
        ),
        "metrics" => (
            "200",
            json!({"description": "OpenMetrics text", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}),
        ),
        "openapi" => ("200", ok("OpenAPI 3.1 document", json!({"type": "object"}))),
        "log_info" => ("200", ok("Log identity", schema_ref("LogInfo"))),
        "list_funds" => (
            "200",
            ok(
                "Funds",
                json!({"type": "object", "required": ["funds"], "properties": {"funds": {"type": "array", "items": schema_ref("Fund")}}}),
            ),
        ),
        "get_fund" => ("200", ok("The fund", schema_ref("Fund"))),
        "list_entries" => ("200", ok("A page of entries", schema_ref("EntryPage"))),
        "append" => (
            "201",
            ok(
                "Appended (200 with `idempotent-replay: true` for a replay)",
                schema_ref("EntryView"),
            ),
        ),
        "get_entry" => ("200", ok("The entry", schema_ref("EntryView"))),
        "inclusion_proof" => ("200", ok("Inclusion proof", schema_ref("InclusionProof"))),
        "consistency_proof" => (
            "200",
            ok("Consistency proof", schema_ref("ConsistencyProof")),
        ),
        "checkpoint" | "latest_checkpoint" => (
            "200",
            json!({"description": "C2SP signed note", "content": {"text/plain": {"schema": {"type": "string"}}}}),
        ),
        "export" => (
            "200",
            json!({"description": "Header line, entry lines, checkpoint line (FORMAT.md)", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}),
        ),
        "vault_list" => ("200", ok("Donor identities", schema_ref("VaultPage"))),
        "list_statements" => (
            "200",
            ok(
                "Statements",
                json!({"type": "object", "required": ["statements"], "properties": {"statements": {"type": "array", "items": schema_ref("SignedStatement")}, "next": {"type": ["integer", "null"]}}}),
            ),
        ),
        "get_statement" => ("200", ok("A statement, its signers and the supervisors' opinions on it", schema_ref("StatementRead"))),
        "draft_statement" => (
            "200",
            ok("The drafted statement body", schema_ref("StatementDraft")),
        ),
        "list_proposals" => (
            "200",
            ok(
                "Proposals",
                json!({"type": "object", "required": ["proposals"], "properties": {"proposals": {"type": "array", "items": schema_ref("Proposal")}}}),
            ),
        ),
        "get_proposal" => ("200", ok("A proposal", schema_ref("Proposal"))),
        "list_months" => (
            "200",
            ok(
                "Every month with entries, oldest first",
                json!({"type": "object", "required": ["months"], "properties": {"months": {"type": "array", "items": schema_ref("MonthFigures")}}}),
            ),
        ),
        "get_month" => ("200", ok("The month's figures", schema_ref("MonthFigures"))),
        "check_intents" => (
            "200",
            ok(
                "Each intent checked, in order; nothing written",
                schema_ref("IntentsChecked"),
            ),
        ),
        "check_import" => (
            "200",
            ok(
                "Each row checked, in line order; nothing written",
                schema_ref("ImportChecked"),
            ),
        ),
        "workspace" => (
            "200",
            ok("What the trustees' forms read", schema_ref("Workspace")),
        ),
        "propose" => (
            "202",
            ok(
                "Waiting for co-signatures (201 with `entry` when the quorum was already met)",
                schema_ref("ProposalOutcome"),
            ),
        ),
        "cosign" => (
            "200",
            ok(
                "Signed, still waiting (201 with `entry` when this signature met the quorum)",
                schema_ref("ProposalOutcome"),
            ),
        ),
        "well_known" => ("200", ok("Log identity", schema_ref("LogInfo"))),
        "statutory_report" => (
            "200",
            json!({"description": "The report (JSON), or its lines as CSV with format=csv", "content": {
                "application/json": {"schema": schema_ref("StatutoryReport")},
                "text/csv": {"schema": {"type": "string"}}
            }}),
        ),
        "disclosures" => ("200", ok("The calendar", schema_ref("DisclosureCalendar"))),
        "receipt" => (
            "200",
            ok("The receipt (FORMAT.md §11)", schema_ref("Receipt")),
        ),
        "vault_get" => ("200", ok("A donor identity", schema_ref("VaultRecord"))),
        "vault_erase" => ("204", json!({"description": "Erased"})),
        "list_credentials" => (
            "200",
            ok(
                "Credentials",
                json!({"type": "object", "required": ["credentials"], "properties": {"credentials": {"type": "array", "items": schema_ref("Credential")}}}),
            ),
        ),
        "issue_credential" => (
            "201",
            ok(
                "Issued; `token` is shown only here",
                schema_ref("IssuedCredential"),
            ),
        ),
        "revoke_credential" => ("200", ok("Revoked", schema_ref("Credential"))),
        "sign_in" => (
            "201",
            ok(
                "Signed in: `Set-Cookie: ledger_session=…; Path=/; HttpOnly; SameSite=Strict` (303 to /trustee for a form)",
                schema_ref("Session"),
            ),
        ),
        "session" => ("200", ok("The cookie's live session", schema_ref("Session"))),
        "sign_out" => ("204", json!({"description": "Signed out; the cookie is cleared"})),
        _ => ("200", json!({"description": "OK"})),
    };
    (status.to_owned(), body)
}

/// The caching headers of a route's successful responses (`crate::caching`).
fn cache_headers_doc(class: crate::caching::CacheClass) -> Value {
    use crate::caching::CacheClass;
    let (cc, what) = match class {
        CacheClass::Immutable => (crate::caching::IMMUTABLE, "never changes"),
        CacheClass::FinalOrShort => (
            crate::caching::SHORT,
            "final answers (fixed sizes, a closed month, a versioned file) carry `public, max-age=31536000, immutable`",
        ),
        CacheClass::Short => (crate::caching::SHORT, "changes as the log grows"),
        CacheClass::Private => (crate::caching::PRIVATE, "private: cached by no one"),
    };
    let mut h = json!({
        "Cache-Control": {"description": format!("`{cc}`: {what}; `private, no-store` for a request with credentials"), "schema": {"type": "string"}}
    });
    if class != CacheClass::Private {
        h["ETag"] = json!({"description": "Strong tag: the hex SHA-256 of the body, quoted (not on streamed bodies)", "schema": {"type": "string"}});
    }
    h
}

fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/problem+json": {"schema": schema_ref("Problem")}}})
}

fn operation_doc(o: &Operation) -> Value {
    let mut responses = Map::new();
    let (status, mut body) = success(o);
    let class = crate::caching::class_of(o.path);
    body["headers"] = cache_headers_doc(class);
    if matches!(status.as_str(), "200") && class != crate::caching::CacheClass::Private {
        responses.insert(
            "304".to_owned(),
            json!({"description": "Not modified: the `If-None-Match` tag is the body's `ETag`", "headers": cache_headers_doc(class)}),
        );
    }
    responses.insert(status, body);
    let mut errors: Vec<(&str, &str)> = vec![
        ("400", "Malformed request"),
        (
            "401",
            "Malformed, unknown or revoked token (or one is needed)",
        ),
        ("429", "Rate limited"),
        (
            "503",
            "Timed out, or the database cannot be reached (Retry-After; nothing was written)",
        ),
    ];
    if o.path.contains('{') {
        errors.push(("404", "Not found"));
    }
    if o.path.starts_with("/api/v1/funds/{fund}") && !o.path.contains("/vault") {
        errors.push((
            "503",
            "Timed out, or the database cannot be reached (`database_unavailable`, Retry-After; \
             nothing was written), or the fund is quarantined (`fund_damaged`: its stored rows \
             disagree with its log; the detail says how; nothing was written), or a write while \
             the fund's state is rebuilt from its log (`fund_rebuilding`, Retry-After; nothing \
             was written; reads go on)",
        ));
    }
    if o.access != Access::Public {
        errors.push(("403", "The token's role or fund may not do this"));
    }
    match o.id {
        "append" => errors.extend([
            ("409", "Idempotency key reused with another intent"),
            ("413", "Body too large"),
            ("422", "A rule of the ledger refuses the intent"),
        ]),
        "issue_credential" => errors.extend([
            ("404", "No such fund (for a trustee credential)"),
            ("413", "Body too large"),
            ("422", "Invalid request"),
        ]),
        "revoke_credential" => errors.push(("409", "Already revoked")),
        "propose" | "cosign" => errors.extend([
            ("409", "Closed, lapsed or already signed"),
            ("413", "Body too large"),
            ("422", "A rule of the ledger refuses the intent"),
        ]),
        "draft_statement" => errors.push(("422", "No statement can be drafted for this period")),
        "check_intents" => errors.push(("413", "Body too large")),
        "check_import" => errors.push((
            "413",
            "Body too large, or more rows than a check reads (`import_too_many_rows`)",
        )),
        "sign_in" => errors.extend([
            ("403", "Not a trustee token (`session_role`), or posted from another site (`csrf_refused`)"),
            ("429", "Too many sign-in attempts from this address"),
        ]),
        "sign_out" => errors.push((
            "403",
            "Without the session's X-CSRF-Token, or from another site (`csrf_refused`)",
        )),
        "receipt" => errors.push((
            "403",
            "The donor's copy for a token that is neither the fund's trustee nor an auditor",
        )),
        _ => {}
    }
    for (status, desc) in errors {
        responses.insert(status.to_owned(), problem(desc));
    }
    let mut params = path_params(o.path);
    params.extend(query_params(o.id));
    let mut doc = json!({
        "operationId": o.id,
        "summary": o.summary,
        "parameters": params,
        "responses": responses,
    });
    if o.access != Access::Public {
        doc["security"] = json!([{"bearer": []}]);
        doc["x-role"] = json!(match o.access {
            Access::Writer => "trustee of the fund (operator for a genesis)",
            Access::TrusteeOrAuditor => "trustee of the fund, or auditor",
            Access::Trustee => "trustee of the fund",
            Access::Operator => "operator",
            Access::Auditor => "auditor",
            Access::Public => "public",
        });
    }
    match o.id {
        "append" => {
            doc["requestBody"] =
                json!({"required": true, "content": json_content(schema_ref("AppendRequest"))});
        }
        "propose" => {
            doc["requestBody"] =
                json!({"required": true, "content": json_content(schema_ref("ProposeRequest"))});
        }
        "cosign" => {
            doc["requestBody"] = json!({"required": true, "content": json_content(json!({
                "type": "object", "required": ["sig"], "additionalProperties": false,
                "properties": {"sig": schema_ref("Signature")}
            }))});
        }
        "sign_in" => {
            let body = json!({
                "type": "object", "required": ["token"], "additionalProperties": false,
                "properties": {"token": {"type": "string", "pattern": "^clt_[0-9a-f]{64}$"}}
            });
            doc["requestBody"] = json!({"required": true, "content": {
                "application/json": {"schema": body.clone()},
                "application/x-www-form-urlencoded": {"schema": body}
            }});
        }
        "session" | "sign_out" => {
            doc["security"] = json!([{"session": []}]);
        }
        "issue_credential" => {
            doc["requestBody"] =
                json!({"required": true, "content": json_content(schema_ref("IssueRequest"))});
        }
        "check_intents" => {
            doc["requestBody"] = json!({"required": true, "content": json_content(json!({
                "type": "object", "required": ["intents"], "additionalProperties": false,
                "properties": {"intents": {
                    "type": "array", "minItems": 1, "maxItems": CHECK_INTENTS_MAX,
                    "items": {"type": "object", "description": "An unsigned intent: fund, kind, body, key, signed_at"}
                }}
            }))});
        }
        "check_import" => {
            doc["requestBody"] = json!({"required": true, "content": json_content(json!({
                "type": "object", "required": ["kind", "csv"], "additionalProperties": false,
                "properties": {
                    "kind": {"enum": ["donation", "disbursement", "rental", "revenue_share"]},
                    "csv": {"type": "string", "description": "UTF-8 CSV with the kind's header row (README \"Importing CSV\")"},
                    "signed_at": {"type": "string", "format": "date-time", "description": "The intents' signed_at (default: now)"}
                }
            }))});
        }
        _ => {}
    }
    doc
}

fn schemas() -> Value {
    let hex64 = json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    let money = json!({"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"});
    let mut doc = json!({
        "Session": {
            "type": "object",
            "required": ["credential", "role", "fund", "label", "csrf", "expires_at", "idle_expires_at", "max_seconds", "idle_seconds"],
            "properties": {
                "credential": {"type": "string"}, "role": {"enum": ["trustee"]},
                "fund": {"type": "string"}, "label": {"type": "string"},
                "csrf": {"type": "string", "description": "send back as X-CSRF-Token on every request that changes something"},
                "expires_at": {"type": "integer", "description": "POSIX seconds"},
                "idle_expires_at": {"type": "integer", "description": "POSIX seconds, moved on by each request"},
                "max_seconds": {"type": "integer"}, "idle_seconds": {"type": "integer"}
            }
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "code", "detail", "detail_zh"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "code": {"type": "string"},
                "detail": {"type": "string"}, "detail_zh": {"type": "string"}
            }
        },
        "Health": {
            "type": "object", "required": ["status", "damaged"],
            "properties": {
                "status": {"enum": ["ok", "degraded"]},
                "damaged": {"type": "array", "items": {
                    "type": "object", "required": ["fund", "reason"],
                    "properties": {"fund": {"type": "string"}, "reason": {"type": "string"}}
                }}
            }
        },
        "LogInfo": {
            "type": "object", "required": ["origin", "log_key", "operator_key", "witness_policy"],
            "properties": {
                "origin": {"type": "string"}, "log_key": {"type": "string"}, "operator_key": hex64,
                "witness_policy": {"oneOf": [schema_ref("WitnessPolicy"), {"type": "null"}]}
            }
        },
        "WitnessPolicy": {
            "type": "object", "required": ["witnesses", "groups", "quorum", "policy"],
            "description": "Who cosigns the checkpoints (C2SP tlog-witness) and the quorum a served checkpoint meets (FORMAT.md §13)",
            "properties": {
                "witnesses": {"type": "array", "items": {
                    "type": "object", "required": ["name", "vkey", "url"],
                    "properties": {"name": {"type": "string"}, "vkey": {"type": "string"}, "url": {"type": ["string", "null"]}}
                }},
                "groups": {"type": "array", "items": {
                    "type": "object", "required": ["name", "threshold", "members"],
                    "properties": {"name": {"type": "string"}, "threshold": {"type": "string"}, "members": {"type": "array", "items": {"type": "string"}}}
                }},
                "quorum": {"type": "string"},
                "policy": {"type": "string", "description": "The policy file (C2SP tlog-policy)"}
            }
        },
        "Fund": {
            "type": "object", "required": ["id", "size", "head", "balance", "status"],
            "description": "Size, head and balance come from the fund's log; all three are null for a damaged (quarantined) fund, whose `damage` says why",
            "properties": {
                "id": {"type": "string"}, "name": {"type": ["string", "null"]},
                "name_en": {"type": ["string", "null"]}, "street": {"type": ["string", "null"]},
                "community": {"type": ["string", "null"]},
                "size": {"type": ["integer", "null"], "minimum": 0},
                "head": {"oneOf": [hex64, {"type": "null"}]},
                "balance": {"oneOf": [money, {"type": "null"}]},
                "last_recorded_at": {"type": ["string", "null"]},
                "status": {"enum": ["ok", "damaged"]},
                "damage": {"type": ["string", "null"]}
            }
        },
        "EntryView": {
            "type": "object", "required": ["seq", "hash", "kind", "recorded_at", "delta", "balance", "entry"],
            "properties": {
                "seq": {"type": "integer", "minimum": 0}, "hash": hex64, "kind": {"type": "string"},
                "recorded_at": {"type": "string"}, "delta": money, "balance": money,
                "entry": {"type": "object", "description": "The entry as stored (FORMAT.md)"}
            }
        },
        "EntryPage": {
            "type": "object", "required": ["entries"],
            "properties": {
                "entries": {"type": "array", "items": schema_ref("EntryView")},
                "next": {"type": ["integer", "null"]}
            }
        },
        "InclusionProof": {
            "type": "object", "required": ["seq", "tree_size", "leaf_hash", "root", "proof"],
            "properties": {
                "seq": {"type": "integer"}, "tree_size": {"type": "integer"}, "leaf_hash": hex64,
                "root": hex64, "proof": {"type": "array", "items": hex64}
            }
        },
        "ConsistencyProof": {
            "type": "object", "required": ["from", "to", "root_from", "root_to", "proof"],
            "properties": {
                "from": {"type": "integer"}, "to": {"type": "integer"}, "root_from": hex64,
                "root_to": hex64, "proof": {"type": "array", "items": hex64}
            }
        },
        "Signature": {
            "type": "object", "required": ["key", "sig"], "additionalProperties": false,
            "properties": {
                "key": hex64,
                "sig": {"type": "string", "pattern": "^[0-9a-f]{128}$", "description": "the 64-byte Ed25519 signature in hex"}
            }
        },
        "AppendRequest": {
            "type": "object", "required": ["intent", "sigs"], "additionalProperties": false,
            "properties": {
                "intent": {"type": "string", "description": "The intent's canonical JSON (RFC 8785), exactly the signed bytes"},
                "sigs": {"type": "array", "items": schema_ref("Signature")},
                "donor_identity": {
                    "type": "object", "required": ["salt", "name", "phone"], "additionalProperties": false,
                    "properties": {
                        "salt": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                        "name": {"type": "string", "maxLength": 100},
                        "phone": {"type": "string", "maxLength": 32}
                    }
                }
            }
        },
        "VaultRecord": {
            "type": "object", "required": ["fund", "seq", "salt", "name", "phone"],
            "properties": {
                "fund": {"type": "string"}, "seq": {"type": "integer"}, "salt": {"type": "string"},
                "name": {"type": "string"}, "phone": {"type": "string"}
            }
        },
        "VaultPage": {
            "type": "object", "required": ["donors"],
            "properties": {
                "donors": {"type": "array", "items": schema_ref("VaultRecord")},
                "next": {"type": ["integer", "null"]}
            }
        },
        "Credential": {
            "type": "object", "required": ["id", "role", "label", "created_at"],
            "properties": {
                "id": {"type": "string"}, "role": {"enum": ["operator", "trustee", "auditor"]},
                "fund": {"type": ["string", "null"]}, "label": {"type": "string"},
                "created_at": {"type": "string"}, "revoked_at": {"type": ["string", "null"]}
            }
        },
        "IssuedCredential": {
            "allOf": [schema_ref("Credential"), {"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "pattern": "^clt_[0-9a-f]{64}$"}}}]
        },
        "Receipt": {
            "type": "object",
            "required": ["version", "origin", "log_key", "entry", "seq", "tree_size", "inclusion", "checkpoint", "signers"],
            "additionalProperties": false,
            "properties": {
                "version": {"const": "community-ledger/receipt/v1"},
                "origin": {"type": "string"}, "log_key": {"type": "string"},
                "entry": {"type": "string"}, "seq": {"type": "integer"},
                "tree_size": {"type": "integer"},
                "inclusion": {"type": "array", "items": hex64},
                "checkpoint": {"type": "string"},
                "signers": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": hex64, "name": {"type": "string"}}}},
                "donor": {
                    "type": "object", "required": ["salt", "name", "phone"],
                    "properties": {"salt": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"}}
                }
            }
        },
        "Signer": {
            "type": "object", "required": ["key"],
            "properties": {"key": hex64, "name": {"type": ["string", "null"]}}
        },
        "SignedStatement": {
            "type": "object", "required": ["seq", "hash", "recorded_at", "statement", "signed_by"],
            "properties": {
                "seq": {"type": "integer"}, "hash": hex64, "recorded_at": {"type": "string"},
                "statement": {"type": "object"},
                "signed_by": {"type": "array", "items": schema_ref("Signer")}
            }
        },
        "MonthFigures": {
            "type": "object",
            "required": ["month", "opening", "closing", "count", "first_seq", "last_seq", "kinds", "final"],
            "properties": {
                "month": {"type": "string"}, "opening": {"type": "string"}, "closing": {"type": "string"},
                "count": {"type": "integer"},
                "first_seq": {"type": ["integer", "null"]}, "last_seq": {"type": ["integer", "null"]},
                "kinds": {"type": "array", "items": {
                    "type": "object", "required": ["kind", "count", "amount"],
                    "properties": {"kind": {"type": "string"}, "count": {"type": "integer"}, "amount": {"type": "string"}}
                }},
                "final": {"type": "boolean"}
            }
        },
        "StatementDraft": {
            "type": "object", "required": ["fund", "kind", "body", "required_signatures"],
            "properties": {
                "fund": {"type": "string"}, "kind": {"const": "statement"},
                "body": {"type": "object"}, "required_signatures": {"type": "integer"}
            }
        },
        "ProposalOutcome": {
            "type": "object", "required": ["proposal"],
            "properties": {"proposal": schema_ref("Proposal"), "entry": schema_ref("EntryView")}
        },
        "ProposeRequest": {
            "type": "object", "required": ["intent", "sigs"], "additionalProperties": false,
            "properties": {
                "intent": {"type": "string"},
                "sigs": {"type": "array", "minItems": 1, "items": schema_ref("Signature")}
            }
        },
        "IssueRequest": {
            "type": "object", "required": ["role", "label"], "additionalProperties": false,
            "properties": {
                "role": {"enum": ["operator", "trustee", "auditor"]},
                "fund": {"type": ["string", "null"]}, "label": {"type": "string", "minLength": 1, "maxLength": 200}
            }
        }
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut doc, check_schemas(&money, &hex64)) {
        all.extend(more);
    }
    if let (Value::Object(all), Value::Object(more)) = (&mut doc, opinion_schemas()) {
        all.extend(more);
    }
    doc
}

/// The statement's JSON read with the supervisors' opinions on it (issue 17; apart, like
/// [`check_schemas`], for the macro's recursion limit).
fn opinion_schemas() -> Value {
    json!({
        "StatementRead": {
            "allOf": [
                schema_ref("SignedStatement"),
                {"type": "object", "required": ["opinions"], "properties": {
                    "opinions": {"type": "array", "items": schema_ref("Opinion")}
                }}
            ]
        },
        "Opinion": {
            "type": "object", "required": ["seq", "recorded_at", "verdict", "signed_by"],
            "properties": {
                "seq": {"type": "integer"}, "recorded_at": {"type": "string"},
                "verdict": {"enum": ["agree", "disagree"]},
                "reasons": {"type": "string"},
                "signed_by": {"type": "array", "items": schema_ref("Signer")}
            }
        }
    })
}

/// The schemas of what the trustees' workspace reads: proposals, the dry runs, the
/// workspace read (apart: one `json!` of all the schemas is past the macro's recursion
/// limit).
fn check_schemas(money: &Value, hex64: &Value) -> Value {
    json!({
        "Proposal": {
            "type": "object",
            "required": ["id", "fund", "kind", "key", "status", "intent", "signed_by", "sigs", "created_at", "expires_at"],
            "properties": {
                "id": {"type": "string"}, "fund": {"type": "string"}, "kind": {"type": "string"},
                "key": {"type": "string"},
                "status": {"enum": ["open", "appended", "refused", "expired"]},
                "intent": {"type": "string"}, "body": {},
                "signed_by": {"type": "array", "items": schema_ref("Signer")},
                "sigs": {"type": "array", "items": schema_ref("Signature")},
                "proposed_by": {"type": "string"}, "created_at": {"type": "string"},
                "expires_at": {"type": "string"}, "seq": {"type": ["integer", "null"]},
                "refusal": {"type": ["string", "null"]},
                "summary": {"type": "object", "required": ["zh", "en"],
                    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
                "proposer": {"type": "string"},
                "signatures_needed": {"type": "integer"}, "missing": {"type": "integer"}
            }
        },
        "Refusal": {
            "type": "object", "required": ["code", "detail_en", "detail_zh"],
            "properties": {"code": {"type": "string"}, "detail_en": {"type": "string"}, "detail_zh": {"type": "string"}}
        },
        "Figures": {
            "type": "object", "required": ["kind", "signatures_needed", "balance_before"],
            "properties": {
                "kind": {"type": "string"}, "signatures_needed": {"type": "integer"},
                "balance_before": money, "delta": money, "balance_after": money,
                "seq": {"type": "integer"}, "share_due": money, "rental_price": money,
                "paid_periods": {"type": "array", "items": {"type": "object", "required": ["from", "to", "seq"],
                    "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "seq": {"type": "integer"}}}},
                "week_bookings": {"type": "array", "items": schema_ref("Booking")}
            }
        },
        "Booking": {
            "type": "object", "required": ["start", "end", "seq"],
            "properties": {"start": {"type": "string"}, "end": {"type": "string"}, "seq": {"type": "integer"}}
        },
        "CheckedAt": {
            "type": "object", "required": ["size", "balance"],
            "properties": {"size": {"type": "integer"}, "balance": money}
        },
        "IntentsChecked": {
            "type": "object", "required": ["fund", "at", "results"],
            "properties": {
                "fund": {"type": "string"}, "at": schema_ref("CheckedAt"),
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["index", "ok"],
                    "properties": {
                        "index": {"type": "integer"}, "ok": {"type": "boolean"},
                        "intent": {"type": "string", "description": "Canonical JSON: what the trustees sign"},
                        "figures": schema_ref("Figures"), "refusal": schema_ref("Refusal")
                    }
                }}
            }
        },
        "ImportChecked": {
            "type": "object",
            "required": ["fund", "kind", "at", "total", "ok", "already_recorded", "refused", "rows"],
            "properties": {
                "fund": {"type": "string"}, "kind": {"type": "string"}, "at": schema_ref("CheckedAt"),
                "total": {"type": "integer"}, "ok": {"type": "integer"},
                "already_recorded": {"type": "integer"}, "refused": {"type": "integer"},
                "rows": {"type": "array", "items": {
                    "type": "object", "required": ["line", "status"],
                    "properties": {
                        "line": {"type": "integer"},
                        "status": {"enum": ["ok", "refused", "already_recorded"]},
                        "key": {"type": "string"}, "intent": {"type": "string"},
                        "figures": schema_ref("Figures"), "seq": {"type": "integer"},
                        "donor_identity": {"type": "object", "required": ["salt", "name", "phone"],
                            "properties": {"salt": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"}}},
                        "refusal": schema_ref("Refusal")
                    }
                }}
            }
        },
        "Workspace": {
            "type": "object",
            "required": ["fund", "size", "balance", "trustees", "policy", "week", "agreements", "spaces"],
            "properties": {
                "fund": {"type": "string"}, "size": {"type": "integer"}, "balance": money,
                "trustees": {"type": "array", "items": {"type": "object", "required": ["key", "name"],
                    "properties": {"key": hex64, "name": {"type": "string"}}}},
                "policy": {"type": ["object", "null"]},
                "week": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                "agreements": {"type": "array", "items": {"type": "object", "required": ["agreement", "paid_periods"],
                    "properties": {"agreement": {"type": "object"}, "paid_periods": {"type": "array"}}}},
                "spaces": {"type": "array", "items": {"type": "object", "required": ["space", "week_bookings"],
                    "properties": {"space": {"type": "object"}, "week_bookings": {"type": "array", "items": schema_ref("Booking")}}}}
            }
        }
    })
}

/// `schemas` with those of the statutory report and the disclosure calendar (a second
/// `json!`: one literal of every schema passes the macro's recursion limit).
fn with_report_schemas(mut schemas: Value) -> Value {
    let more = json!({
        "StatutoryReport": {
            "type": "object", "required": ["fund", "period", "activities", "net_assets", "annual"],
            "properties": {
                "fund": {"type": "string"},
                "period": {"type": "object", "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}},
                "activities": {"type": "array", "description": "业务活动表 lines 1, 3, 9, 11, 12, 21, 35, 40, 45", "items": {
                    "type": "object", "required": ["line", "item_zh", "item_en", "unrestricted", "restricted", "total"],
                    "properties": {"line": {"type": "integer"}, "item_zh": {"type": "string"}, "item_en": {"type": "string"},
                        "unrestricted": {"type": "string"}, "restricted": {"type": "string"}, "total": {"type": "string"}}
                }},
                "net_assets": {"type": "array", "description": "资产负债表 lines 101, 105, 110", "items": {
                    "type": "object", "required": ["line", "item_zh", "item_en", "opening", "closing"],
                    "properties": {"line": {"type": "integer"}, "item_zh": {"type": "string"}, "item_en": {"type": "string"},
                        "opening": {"type": "string"}, "closing": {"type": "string"}}
                }},
                "annual": {"type": ["object", "null"], "description": "The annual report's computable items (a calendar year only)"}
            }
        },
        "DisclosureCalendar": {
            "type": "object", "required": ["fund", "today", "overdue", "items"],
            "properties": {
                "fund": {"type": "string"}, "today": {"type": "string", "format": "date"},
                "overdue": {"type": "integer"},
                "items": {"type": "array", "items": {
                    "type": "object", "required": ["duty", "due", "status"],
                    "properties": {
                        "duty": {"enum": ["monthly_statement", "quarterly_project", "annual_report", "remainder"]},
                        "period": {"type": "object"}, "restriction": {"type": "string"}, "ended": {"type": "string", "format": "date"},
                        "due": {"type": "string", "format": "date"},
                        "status": {"enum": ["published", "due", "overdue"]},
                        "seq": {"type": "integer"}, "date": {"type": "string", "format": "date"}, "late": {"type": "boolean"}
                    }
                }}
            }
        }
    });
    if let (Some(all), Value::Object(more)) = (schemas.as_object_mut(), more) {
        all.extend(more);
    }
    schemas
}

/// The OpenAPI 3.1 document of [`operations`].
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for o in operations() {
        let entry = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        entry[o.method.as_str().to_ascii_lowercase()] = operation_doc(&o);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "community-ledger",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Append-only, hash-chained ledger of community funds. Errors are RFC 9457 problem documents with a stable `code` and Chinese and English details. Request bodies are limited to {BODY_BYTES_MAX} bytes."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": with_report_schemas(schemas()),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "clt_ followed by 64 hex digits"},
                "session": {"type": "apiKey", "in": "cookie", "name": "ledger_session", "description": "the trustees' workspace session (POST /trustee/session); a request it authenticates that changes something also needs X-CSRF-Token"}
            }
        }
    })
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn serve() -> impl IntoResponse {
    Json(openapi_document())
}
