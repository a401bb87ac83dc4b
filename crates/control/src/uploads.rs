//! Statement upload, the connection-quality fallback: a Wise statement file (statement JSON,
//! CSV or camt.053 XML) is previewed line by line against what is stored, then committed in
//! one transaction.
//!
//! Nothing from the preview is trusted at commit: the browser sends the file again, the
//! server parses and classifies it again, and the file's SHA-256 must be the one previewed.
//! Nothing is kept between the two steps, so an abandoned preview leaves nothing behind.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_tx};
use crate::error::{ControlError, Result};
use crate::lines::{self, BankLine};
use crate::runs::{self, Enqueued, NewRun, Purpose, Trigger};
use crate::statement_upload::{
    LineStatus, MAX_UPLOAD_BYTES, PREVIEW_LINES, PreviewLine, StoredVersion, UploadOutcome,
    UploadPreview,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};

/// References per `IN (…)` list.
const CHUNK: usize = 400;
const MAX_FILE_NAME: usize = 255;

/// A file read and checked: the statement, its lines as stored, and its period.
struct Parsed {
    statement: wise::Statement,
    lines: Vec<BankLine>,
    from: NaiveDate,
    to: NaiveDate,
    sha256: String,
}

fn size_words(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// Size check, then the parser; its reason is passed on word for word.
fn parse(content: &str) -> Result<Parsed> {
    if content.len() > MAX_UPLOAD_BYTES {
        return Err(ControlError::Invalid(format!(
            "the file is {}; at most {} can be uploaded at once — download the statement for a shorter period",
            size_words(content.len()),
            size_words(MAX_UPLOAD_BYTES)
        )));
    }
    if content.trim().is_empty() {
        return Err(ControlError::Invalid("the file is empty".into()));
    }
    let statement = wise::parse_statement(content.as_bytes())
        .map_err(|e| ControlError::Invalid(format!("the file was not accepted: {e}")))?;
    let lines: Vec<BankLine> = statement
        .lines
        .iter()
        .map(BankLine::from_statement)
        .collect();
    let day = |t: Option<DateTime<Utc>>| t.map(|t| t.date_naive());
    let first = lines.iter().map(|l| l.booked_at.date_naive()).min();
    let last = lines.iter().map(|l| l.booked_at.date_naive()).max();
    let (Some(from), Some(to)) = (
        day(statement.interval_start).or(first),
        day(statement.interval_end).or(last),
    ) else {
        return Err(ControlError::Invalid(
            "the statement has no lines and no period: there is nothing to upload".into(),
        ));
    };
    if from > to {
        return Err(ControlError::Invalid(format!(
            "the statement's period runs backwards ({from} to {to})"
        )));
    }
    Ok(Parsed {
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
        statement,
        lines,
        from,
        to,
    })
}

/// A stored line, by what makes it the same movement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredLine {
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    /// Normalized, as stored.
    pub amount: String,
}

/// Decides, without IO, what committing does with each line of one currency's file:
/// `stored` holds the stored lines of that currency with the file's references.
///
/// A line is known when its identity is stored (or appeared earlier in the file). Otherwise
/// it conflicts when a stored line with its reference is not in the file — the same movement
/// with another time or amount, e.g. a CSV export read in another time zone — and is new when
/// every stored line with its reference is accounted for by the file (a reference Wise repeats
/// for a second movement).
pub fn classify(lines: &[BankLine], stored: &[StoredLine]) -> Vec<(LineStatus, Vec<StoredLine>)> {
    let known: HashSet<(&str, DateTime<Utc>, &str)> = stored
        .iter()
        .map(|s| (s.reference.as_str(), s.booked_at, s.amount.as_str()))
        .collect();
    let identities: Vec<(String, DateTime<Utc>, String)> = lines
        .iter()
        .map(|l| {
            (
                l.reference.clone(),
                l.booked_at,
                l.amount.normalize().to_string(),
            )
        })
        .collect();
    let in_file: HashSet<(&str, DateTime<Utc>, &str)> = identities
        .iter()
        .map(|(r, t, a)| (r.as_str(), *t, a.as_str()))
        .collect();
    let mut unaccounted: HashMap<&str, Vec<StoredLine>> = HashMap::new();
    for s in stored {
        if !in_file.contains(&(s.reference.as_str(), s.booked_at, s.amount.as_str())) {
            unaccounted
                .entry(s.reference.as_str())
                .or_default()
                .push(s.clone());
        }
    }
    let mut seen = HashSet::new();
    identities
        .iter()
        .map(|(r, t, a)| {
            let id = (r.as_str(), *t, a.as_str());
            if known.contains(&id) || !seen.insert(id) {
                (LineStatus::Known, Vec::new())
            } else if let Some(others) = unaccounted.get(r.as_str()) {
                (LineStatus::Conflicting, others.clone())
            } else {
                (LineStatus::New, Vec::new())
            }
        })
        .collect()
}

/// The stored lines of `currency` that carry one of the file's references.
async fn stored_lines(
    tx: &mut Tx,
    organization_id: i64,
    currency: &str,
    lines: &[BankLine],
) -> Result<Vec<StoredLine>> {
    let references: Vec<&str> = lines
        .iter()
        .map(|l| l.reference.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for chunk in references.chunks(CHUNK) {
        let rows: Vec<(String, DateTime<Utc>, String)> = on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT reference, booked_at, amount FROM bank_lines WHERE organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND currency = ");
            qb.push_bind(currency);
            qb.push(" AND reference IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_bind(*r);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(conn).await
        })?;
        out.extend(
            rows.into_iter()
                .map(|(reference, booked_at, amount)| StoredLine {
                    reference,
                    booked_at,
                    amount,
                }),
        );
    }
    Ok(out)
}

fn clean_file_name(name: &str) -> String {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    if name.is_empty() {
        "statement".into()
    } else {
        name
    }
}

fn preview_of(
    file_name: &str,
    parsed: &Parsed,
    statuses: Vec<(LineStatus, Vec<StoredLine>)>,
) -> UploadPreview {
    let count = |s: LineStatus| statuses.iter().filter(|(x, _)| *x == s).count();
    let mut listed: Vec<(usize, LineStatus, Vec<StoredLine>)> = statuses
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, (s, o))| (i, s, o))
        .collect();
    // Conflicts need a decision, so they come first; then what the commit adds.
    let rank = |s: LineStatus| match s {
        LineStatus::Conflicting => 0,
        LineStatus::New => 1,
        LineStatus::Known => 2,
    };
    listed.sort_by_key(|(i, s, _)| (rank(*s), *i));
    let total = listed.len();
    listed.truncate(PREVIEW_LINES);
    let s = &parsed.statement;
    UploadPreview {
        file_name: file_name.to_owned(),
        sha256: parsed.sha256.clone(),
        format: s.format.to_string(),
        currency: s.currency.as_str().to_owned(),
        account_holder: s.account_holder.clone(),
        period_from: parsed.from,
        period_to: parsed.to,
        opening_balance: s.opening_balance,
        closing_balance: s.closing_balance,
        new: count(LineStatus::New),
        known: count(LineStatus::Known),
        conflicting: count(LineStatus::Conflicting),
        lines_not_listed: total - listed.len(),
        lines: listed
            .into_iter()
            .map(|(i, status, others)| {
                let l = &parsed.lines[i];
                PreviewLine {
                    status,
                    reference: l.reference.clone(),
                    booked_at: l.booked_at,
                    amount: l.amount,
                    fee: l.fee,
                    counterparty: l.counterparty.clone(),
                    description: l.description.clone(),
                    stored: others
                        .into_iter()
                        .map(|o| StoredVersion {
                            booked_at: o.booked_at,
                            amount: o.amount.parse().unwrap_or_default(),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// Reads a statement file and says what committing it would do, line by line. Writes
/// nothing; a file the parser refuses is refused with the parser's reason.
pub async fn preview(
    db: &Db,
    organization_id: i64,
    file_name: &str,
    content: &str,
) -> Result<UploadPreview> {
    let parsed = parse(content)?;
    let mut tx = db.begin().await?;
    let stored = stored_lines(
        &mut tx,
        organization_id,
        parsed.statement.currency.as_str(),
        &parsed.lines,
    )
    .await?;
    drop(tx);
    let statuses = classify(&parsed.lines, &stored);
    Ok(preview_of(&clean_file_name(file_name), &parsed, statuses))
}

/// Commits a previewed statement file: parses and classifies it again, adds the new lines
/// (conflicting ones are left out), keeps the raw file, widens the currency's coverage to
/// the statement's period and records it all in the audit log — in one transaction. When
/// lines were added, a sync run is queued for the statement's period so they get
/// reconciled. `expected_sha256` is the preview's: a different file is refused.
pub async fn commit(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    file_name: &str,
    content: &str,
    expected_sha256: &str,
    now: DateTime<Utc>,
) -> Result<UploadOutcome> {
    let parsed = parse(content)?;
    if !expected_sha256.trim().eq_ignore_ascii_case(&parsed.sha256) {
        return Err(ControlError::Conflict(
            "this is not the file that was previewed: preview it again before committing".into(),
        ));
    }
    let file_name = clean_file_name(file_name);
    let currency = parsed.statement.currency.as_str().to_owned();
    let mut tx = db.begin().await?;
    let stored = stored_lines(&mut tx, organization_id, &currency, &parsed.lines).await?;
    let statuses = classify(&parsed.lines, &stored);
    let fresh: Vec<BankLine> = parsed
        .lines
        .iter()
        .zip(&statuses)
        .filter(|(_, (s, _))| *s == LineStatus::New)
        .map(|(l, _)| l.clone())
        .collect();
    let known = statuses
        .iter()
        .filter(|(s, _)| *s == LineStatus::Known)
        .count();
    let conflicting = statuses
        .iter()
        .filter(|(s, _)| *s == LineStatus::Conflicting)
        .count();
    let coverage_before = lines::coverage_in(&mut tx, organization_id)
        .await?
        .remove(&currency);
    let payload_id =
        lines::keep_payload(&mut tx, organization_id, "upload", content, None, now).await?;
    let added = lines::upsert_bank_lines(
        &mut tx,
        organization_id,
        &fresh,
        "upload",
        Some(payload_id),
        None,
        now,
    )
    .await?;
    lines::extend_coverage(&mut tx, organization_id, &currency, parsed.from, parsed.to).await?;
    let coverage_after = lines::coverage_in(&mut tx, organization_id)
        .await?
        .remove(&currency);
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "upload.commit",
            subject: format!("bank_lines:{currency}"),
            before: Some(json!({ "coverage": coverage_before })),
            after: Some(json!({
                "file_name": file_name,
                "sha256": parsed.sha256,
                "format": parsed.statement.format.to_string(),
                "currency": currency,
                "period": [parsed.from, parsed.to],
                "lines": parsed.lines.len(),
                "added": added,
                "known": known,
                "conflicting": conflicting,
                "payload_id": payload_id,
                "coverage": coverage_after,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;

    let mut outcome = UploadOutcome {
        file_name,
        currency,
        period_from: parsed.from,
        period_to: parsed.to,
        added,
        known,
        conflicting,
        run_id: None,
        run_was_active: false,
    };
    if added > 0 {
        let queued = runs::enqueue(
            db,
            NewRun {
                organization_id,
                purpose: Purpose::Sync,
                trigger: Trigger::Manual,
                mapping_id: None,
                window_from: parsed.from,
                window_to: parsed.to,
                requested_by: actor.user_id,
            },
            now,
        )
        .await?;
        outcome.run_was_active = matches!(queued, Enqueued::AlreadyActive(_));
        outcome.run_id = Some(queued.run().id);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn line(reference: &str, at: &str, amount: &str) -> BankLine {
        BankLine {
            currency: "EUR".into(),
            reference: reference.into(),
            booked_at: at.parse().unwrap(),
            amount: amount.parse().unwrap(),
            fee: Decimal::ZERO,
            counterparty: String::new(),
            payment_reference: String::new(),
            description: String::new(),
            details_type: String::new(),
        }
    }

    fn stored(reference: &str, at: &str, amount: &str) -> StoredLine {
        StoredLine {
            reference: reference.into(),
            booked_at: at.parse().unwrap(),
            amount: amount.into(),
        }
    }

    #[test]
    fn new_known_and_conflicting() {
        let file = vec![
            line("T-1", "2024-03-04T07:47:00Z", "2500.00"),
            line("T-2", "2024-03-10T09:12:44Z", "-1204.31"),
            line("T-3", "2024-03-15T18:30:05Z", "-46.22"),
            line("T-1", "2024-03-04T07:47:00Z", "2500"),
        ];
        let db = vec![
            stored("T-1", "2024-03-04T07:47:00Z", "2500"),
            // Same movement, an hour off: a time-zone slip in another export.
            stored("T-2", "2024-03-10T10:12:44Z", "-1204.31"),
        ];
        let out = classify(&file, &db);
        let statuses: Vec<LineStatus> = out.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            statuses,
            vec![
                LineStatus::Known,
                LineStatus::Conflicting,
                LineStatus::New,
                LineStatus::Known
            ]
        );
        assert_eq!(out[1].1, vec![db[1].clone()]);
    }

    #[test]
    fn a_repeated_reference_accounted_for_by_the_file_is_new() {
        let file = vec![
            line("CARD-9", "2024-03-01T10:00:00Z", "-5"),
            line("CARD-9", "2024-03-02T10:00:00Z", "5"),
        ];
        let db = vec![stored("CARD-9", "2024-03-01T10:00:00Z", "-5")];
        let statuses: Vec<LineStatus> = classify(&file, &db).into_iter().map(|(s, _)| s).collect();
        assert_eq!(statuses, vec![LineStatus::Known, LineStatus::New]);
    }

    #[test]
    fn size_and_emptiness_are_refused_before_parsing() {
        let big = "x".repeat(MAX_UPLOAD_BYTES + 1);
        let Err(ControlError::Invalid(m)) = parse(&big) else {
            panic!("a file over the limit must be refused")
        };
        assert!(m.contains("at most 20.0 MB"), "{m}");
        assert!(matches!(parse("  \n"), Err(ControlError::Invalid(m)) if m.contains("empty")));
        let Err(ControlError::Invalid(m)) = parse("hello") else {
            panic!("not a statement")
        };
        assert!(m.contains("not a Wise statement"), "{m}");
    }

    #[test]
    fn file_names_are_kept_short_and_printable() {
        assert_eq!(clean_file_name("  march.csv \n"), "march.csv");
        assert_eq!(clean_file_name("a\u{0}b"), "ab");
        assert_eq!(clean_file_name(""), "statement");
        assert_eq!(clean_file_name(&"n".repeat(400)).len(), MAX_FILE_NAME);
    }
}
