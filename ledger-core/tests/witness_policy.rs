//! Witness policies (C2SP tlog-policy): property tests of the parse/print round trip and
//! of the quorum decision, and the policy applied to the cosignature vectors' notes
//! (`shared/vectors/cosignature/cosignature_v1.json`).

mod common;

use ed25519_dalek::SigningKey;
use ledger_core::cosignature::CosignerKey;
use ledger_core::error::Coded;
use ledger_core::note::{NoteError, NoteSigner};
use ledger_core::witness_policy::{Quorum, Threshold, WitnessPolicy, WitnessPolicyError};
use proptest::prelude::*;
use serde_json::Value;

fn witness_vkey(i: usize) -> String {
    let seed = [u8::try_from(i).unwrap().wrapping_add(1); 32];
    CosignerKey::from_seed(&format!("witness.example/w{i}"), &seed)
        .unwrap()
        .verifier()
        .to_vkey()
}

fn log_vkey(i: usize) -> String {
    let seed = [u8::try_from(i).unwrap().wrapping_add(101); 32];
    NoteSigner::new(&format!("log.example/l{i}"), SigningKey::from_bytes(&seed))
        .unwrap()
        .verifier()
        .to_vkey()
}

/// A policy described by choices, written as a policy file with noise (comments, blank
/// lines, tabs, leading and trailing whitespace).
#[derive(Debug, Clone)]
struct Spec {
    logs: usize,
    witnesses: usize,
    /// Per group: a member mask over the names defined before it, and a threshold choice.
    groups: Vec<(Vec<bool>, u8)>,
    quorum: u8,
    noise: Vec<u8>,
}

/// A group as the spec defines it, for the reference evaluator.
#[derive(Debug, Clone)]
struct RefGroup {
    members: Vec<usize>,
    k: usize,
}

impl Spec {
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.witnesses).map(|i| format!("W{i}")).collect();
        names.extend((0..self.groups.len()).map(|g| format!("G{g}")));
        names
    }

    /// The groups with resolved members (indices into `names()`) and thresholds.
    fn ref_groups(&self) -> Vec<(RefGroup, Threshold)> {
        let mut out = Vec::new();
        for (g, (mask, sel)) in self.groups.iter().enumerate() {
            let defined = self.witnesses + g;
            let mut members: Vec<usize> = (0..defined)
                .filter(|i| mask.get(*i).copied().unwrap_or(false))
                .collect();
            if members.is_empty() {
                members.push(usize::from(*sel) % defined);
            }
            let n = members.len();
            let threshold = match sel % 3 {
                0 => Threshold::All,
                1 => Threshold::Any,
                _ => Threshold::AtLeast(1 + usize::from(sel / 3) % n),
            };
            out.push((
                RefGroup {
                    members,
                    k: threshold.needed(n),
                },
                threshold,
            ));
        }
        out
    }

    fn quorum_index(&self) -> Option<usize> {
        let n = self.witnesses + self.groups.len();
        match usize::from(self.quorum) % (n + 1) {
            0 => None,
            q => Some(q - 1),
        }
    }

    fn noise(&self, i: usize) -> u8 {
        self.noise
            .get(i % self.noise.len().max(1))
            .copied()
            .unwrap_or(0)
    }

    fn sep(&self, i: usize) -> &'static str {
        [" ", "\t", "  ", " \t "][usize::from(self.noise(i)) % 4]
    }

    fn text(&self) -> String {
        let names = self.names();
        let mut lines: Vec<String> = Vec::new();
        let mut n = 0;
        let push = |lines: &mut Vec<String>, fields: Vec<String>, n: &mut usize| {
            let noise = self.noise(*n);
            if noise.is_multiple_of(5) {
                lines.push(format!("# comment {n} 注释"));
            }
            if noise.is_multiple_of(7) {
                lines.push(" \t".into());
            }
            let lead = if noise.is_multiple_of(3) { "\t " } else { "" };
            let trail = if noise.is_multiple_of(4) { " " } else { "" };
            lines.push(format!("{lead}{}{trail}", fields.join(self.sep(*n))));
            *n += 1;
        };
        for i in 0..self.logs {
            let mut f = vec!["log".into(), log_vkey(i)];
            if self.noise(i).is_multiple_of(2) {
                f.push(format!("https://log{i}.example/"));
            }
            push(&mut lines, f, &mut n);
        }
        for (i, name) in names.iter().enumerate().take(self.witnesses) {
            let mut f = vec!["witness".into(), name.clone(), witness_vkey(i)];
            if self.noise(i + 1).is_multiple_of(2) {
                f.push(format!("https://w{i}.example/"));
            }
            push(&mut lines, f, &mut n);
        }
        for (g, (group, threshold)) in self.ref_groups().iter().enumerate() {
            let mut f = vec![
                "group".into(),
                names[self.witnesses + g].clone(),
                threshold.to_string(),
            ];
            f.extend(group.members.iter().map(|m| names[*m].clone()));
            push(&mut lines, f, &mut n);
        }
        let q = match self.quorum_index() {
            None => "none".to_string(),
            Some(i) => names[i].clone(),
        };
        push(&mut lines, vec!["quorum".into(), q], &mut n);
        lines.join("\n") + "\n"
    }

    /// The spec's rule, evaluated recursively on the described structure.
    fn reference_met(&self, cosigned: &[bool]) -> bool {
        let groups = self.ref_groups();
        fn witnessed(
            i: usize,
            witnesses: usize,
            groups: &[(RefGroup, Threshold)],
            cosigned: &[bool],
        ) -> bool {
            if i < witnesses {
                return cosigned[i];
            }
            let (g, _) = &groups[i - witnesses];
            let count = g
                .members
                .iter()
                .filter(|m| witnessed(**m, witnesses, groups, cosigned))
                .count();
            count >= g.k
        }
        match self.quorum_index() {
            None => true,
            Some(q) => witnessed(q, self.witnesses, &groups, cosigned),
        }
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0usize..3,
        1usize..7,
        prop::collection::vec(
            (prop::collection::vec(any::<bool>(), 12), any::<u8>()),
            0..5,
        ),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 1..8),
    )
        .prop_map(|(logs, witnesses, groups, quorum, noise)| Spec {
            logs,
            witnesses,
            groups,
            quorum,
            noise,
        })
}

fn met(policy: &WitnessPolicy, cosigned: &[bool]) -> bool {
    policy.quorum_met_by(|w| {
        let i: usize = w.name[1..].parse().unwrap();
        cosigned[i]
    })
}

/// A policy with one group of `n` witnesses and the given threshold as its quorum.
fn one_group(n: usize, threshold: &str) -> WitnessPolicy {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("witness W{i} {}\n", witness_vkey(i)));
    }
    text.push_str(&format!("group g {threshold}"));
    for i in 0..n {
        text.push_str(&format!(" W{i}"));
    }
    text.push_str("\nquorum g\n");
    WitnessPolicy::parse(&text).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn parse_print_round_trip(spec in spec()) {
        let text = spec.text();
        let policy = WitnessPolicy::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(policy.logs().len(), spec.logs);
        prop_assert_eq!(policy.witnesses().len(), spec.witnesses);
        prop_assert_eq!(policy.groups().len(), spec.groups.len());
        let printed = policy.to_string();
        let again = WitnessPolicy::parse(&printed).unwrap();
        prop_assert_eq!(&again, &policy);
        prop_assert_eq!(again.to_string(), printed);
    }

    #[test]
    fn quorum_matches_the_spec_rule(spec in spec(), mask in prop::collection::vec(any::<bool>(), 6)) {
        let policy = WitnessPolicy::parse(&spec.text()).unwrap();
        let cosigned = &mask[..spec.witnesses];
        prop_assert_eq!(met(&policy, cosigned), spec.reference_met(cosigned));
        if *policy.quorum() == Quorum::None {
            prop_assert!(met(&policy, cosigned));
        }
    }

    #[test]
    fn another_cosigner_never_unmeets_a_quorum(
        spec in spec(),
        mask in prop::collection::vec(any::<bool>(), 6),
        extra in 0usize..6,
    ) {
        let policy = WitnessPolicy::parse(&spec.text()).unwrap();
        let before = mask[..spec.witnesses].to_vec();
        let mut after = before.clone();
        after[extra % spec.witnesses] = true;
        if met(&policy, &before) {
            prop_assert!(met(&policy, &after));
        }
    }

    #[test]
    fn thresholds_need_exactly_their_count(n in 1usize..8, k_seed in any::<usize>(), mask in prop::collection::vec(any::<bool>(), 8)) {
        let cosigned = &mask[..n];
        let count = cosigned.iter().filter(|c| **c).count();
        prop_assert_eq!(met(&one_group(n, "all"), cosigned), count == n);
        prop_assert_eq!(met(&one_group(n, "any"), cosigned), count >= 1);
        let k = 1 + k_seed % n;
        let k_of_n = one_group(n, &k.to_string());
        prop_assert_eq!(met(&k_of_n, cosigned), count >= k);
        // Exactly k: the first k witnesses meet it, the first k - 1 do not.
        let first = |m: usize| (0..n).map(|i| i < m).collect::<Vec<bool>>();
        prop_assert!(met(&k_of_n, &first(k)));
        prop_assert!(!met(&k_of_n, &first(k - 1)));
    }
}

#[test]
fn malformed_policies_name_their_line() {
    let w0 = witness_vkey(0);
    let text = format!("# two witnesses\nwitness a {w0}\n\ngroup g 3 a\nquorum g\n");
    let err = WitnessPolicy::parse(&text).unwrap_err();
    assert!(
        matches!(err, WitnessPolicyError::Line { line: 4, .. }),
        "{err}"
    );
    assert_eq!(err.code(), "witness_policy_threshold_out_of_range");
    assert_eq!(
        err.message_en(),
        "witness policy line 4: threshold 3 is not between 1 and the 1 members"
    );
    assert_eq!(
        err.message_zh(),
        "见证策略第 4 行：门限 3 不在 1 到成员数 1 之间"
    );
}

fn load() -> Option<Value> {
    let dir = common::vectors_dir()?;
    let text = std::fs::read_to_string(dir.join("cosignature/cosignature_v1.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

/// The vectors' notes under policies built from their keys: the two-cosigner note meets
/// "all of both", a note whose known cosignature fails is refused, and one with no
/// known cosignature meets only `quorum none`.
#[test]
fn policies_over_the_cosignature_vectors() {
    let Some(doc) = load() else { return };
    let keys = doc["keys"].as_array().unwrap();
    let vkey = |name: &str| {
        keys.iter().find(|k| k["name"] == name).unwrap()["vkey"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let log = keys
        .iter()
        .find(|k| k["name"] == "log.example/community-fund")
        .unwrap();
    let policy_text = format!(
        "log {}\nwitness bureau {}\nwitness committee {}\nwitness 居委会 {}\n\
         group both all bureau 居委会\ngroup one-of-three any bureau committee 居委会\nquorum both\n",
        log["vkey_log"].as_str().unwrap(),
        vkey("witness.example/civil-affairs-bureau"),
        vkey("witness.example/residents-committee"),
        vkey("witness.example/居民委员会"),
    );
    let policy = WitnessPolicy::parse(&policy_text).unwrap();
    let negative = |id: &str| {
        doc["negative_cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["note"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let both = policy
        .check_note(&negative("two-cosigners-one-unknown-line"))
        .unwrap();
    assert!(both.met);
    let names: Vec<&str> = both.witnessed.iter().map(|w| w.witness.as_str()).collect();
    assert_eq!(names, ["bureau", "居委会"]);
    assert!(both.witnessed.iter().all(|w| w.timestamp == 1_767_225_600));

    // One cosigner of the two: "both" is not met, "any" would be.
    let known_answer = doc["cosignatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "fund-size8-with-log-signature")
        .unwrap();
    let one = policy
        .check_note(known_answer["note"].as_str().unwrap())
        .unwrap();
    assert_eq!(one.witnessed.len(), 1);
    assert!(!one.met);
    let any =
        WitnessPolicy::parse(&policy_text.replace("quorum both", "quorum one-of-three")).unwrap();
    assert!(
        any.check_note(known_answer["note"].as_str().unwrap())
            .unwrap()
            .met
    );

    // A failing cosignature by a policy witness refuses the note.
    assert!(matches!(
        policy.check_note(&negative("wrong-timestamp")),
        Err(NoteError::InvalidSignature { .. })
    ));
    assert!(matches!(
        policy.check_note(&negative("timestamp-2pow63")),
        Err(NoteError::InvalidSignature { .. })
    ));
    // No cosignature by a policy witness: unmet, but met under `quorum none`.
    let none_known = negative("key-id-type-0x01");
    let check = policy.check_note(&none_known).unwrap();
    assert!(check.witnessed.is_empty() && !check.met);
    let none = WitnessPolicy::parse(&policy_text.replace("quorum both", "quorum none")).unwrap();
    assert!(none.check_note(&none_known).unwrap().met);
    // The policy prints back as itself.
    assert_eq!(WitnessPolicy::parse(&policy.to_string()), Ok(policy));
}
