//! `clearline reconcile`: Wise statements (any door: statement JSON, CSV export, camt.053) and
//! QBO query responses in, the engine's decisions out as JSON (issue 3's contract).
//!
//! Everything is read and checked before the engine runs, and the JSON is produced in memory
//! before anything is written, so bad input yields one error naming the file and the place, and
//! no partial output. `--output` is written to a temporary file in the same directory and
//! renamed into place.

pub use control::convert;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeDelta};
use qbo::postings::AccountSelection;
use recon::{BankLine, BookEntry, Mapping, Options, Reconciliation};

use crate::cli::ReconcileArgs;

/// Why `clearline reconcile` produced nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {source}{hint}")]
    Statement {
        file: String,
        source: Box<wise::StatementError>,
        hint: &'static str,
    },
    #[error("{file}: {source}")]
    Books {
        file: String,
        source: qbo::WireError,
    },
    #[error("{file}: not UTF-8 text at {at}")]
    NotText { file: String, at: wise::Position },
    #[error("{file}: {source}")]
    Posting {
        file: String,
        source: qbo::PostingError,
    },
    #[error(
        "{file}: the statement is in {currency}, but no --account maps {currency} \
         (first line {first})"
    )]
    UnmappedCurrency {
        file: String,
        currency: String,
        first: String,
    },
    #[error(
        "{file}: {posting}: CurrencyRef is {found}, but --account maps bank account \
         {account} to {mapped}"
    )]
    CurrencyMismatch {
        file: String,
        posting: String,
        found: String,
        account: String,
        mapped: String,
    },
    #[error(
        "{file}: bank line {id} is also in {other}; give each period of a balance once \
         (through one door)"
    )]
    RepeatedBankLine {
        file: String,
        id: String,
        other: String,
    },
    #[error("{file}: {id} is also in {other}; give each posting once")]
    RepeatedPosting {
        file: String,
        id: String,
        other: String,
    },
    #[error("--account: {0}")]
    Accounts(String),
    #[error("cannot write {file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

impl ReconcileError {
    /// 2 for input the user must fix (the contract); 1 when the output could not be written.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Write { .. } => 1,
            _ => 2,
        }
    }
}

/// Reads, checks, reconciles and writes. On error nothing has been written.
///
/// # Errors
/// The first problem with the inputs, naming the file and the place, or a failed write.
pub fn run(args: &ReconcileArgs) -> Result<(), ReconcileError> {
    let result = reconcile_files(args)?;
    let mut json = serde_json::to_vec(&result).expect("the engine's output always serializes");
    json.push(b'\n');
    match &args.output {
        Some(path) => write_atomically(path, &json),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&json)
                .and_then(|()| out.flush())
                .map_err(|source| ReconcileError::Write {
                    file: "standard output".into(),
                    source,
                })
        }
    }
}

/// Everything but the writing: the engine's result for the files named in `args`.
///
/// # Errors
/// See [`run`].
pub fn reconcile_files(args: &ReconcileArgs) -> Result<Reconciliation, ReconcileError> {
    let mapping = mapping(args)?;
    let ((bank, periods), books) = std::thread::scope(|scope| {
        let mut files = read_ahead(scope, args.bank.iter().chain(&args.books));
        let bank = read_bank(&args.bank, &mapping, &mut files)?;
        let books = read_books(&args.books, &mapping, &mut files)?;
        Ok::<_, ReconcileError>((bank, books))
    })?;
    // Ids are unique by construction above; this catches only what the engine would
    // otherwise turn into silent exceptions (an account mapped twice).
    mapping
        .validate(&bank, &books)
        .map_err(|e| ReconcileError::Accounts(e.to_string()))?;
    let options = Options {
        periods,
        ..Options::default()
    };
    Ok(recon::reconcile(&bank, &books, &mapping, &options))
}

fn mapping(args: &ReconcileArgs) -> Result<Mapping, ReconcileError> {
    let mut accounts = BTreeMap::new();
    for a in &args.account {
        if let Some(previous) = accounts.insert(a.currency.clone(), a.account_id.clone()) {
            return Err(ReconcileError::Accounts(format!(
                "{} is mapped twice ({previous} and {})",
                a.currency, a.account_id
            )));
        }
    }
    Ok(Mapping { accounts })
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// The files' contents, in order, read on a thread of their own: parsing one file overlaps
/// reading the next. From a cold page cache, reading the ~100 MB of a 100k-line run took as
/// long as parsing it. At most one file waits read ahead; the reader stops when the receiver
/// is dropped (after an error).
fn read_ahead<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    paths: impl Iterator<Item = &'env PathBuf> + Send + 'env,
) -> impl FnMut() -> Result<Vec<u8>, ReconcileError> + 'env {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    scope.spawn(move || {
        for path in paths {
            if sender.send(read(path)).is_err() {
                break;
            }
        }
    });
    move || {
        receiver
            .recv()
            .expect("the reader sends one result per file, in order")
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ReconcileError> {
    std::fs::read(path).map_err(|source| ReconcileError::Read {
        file: display(path),
        source,
    })
}

type Periods = BTreeMap<String, (NaiveDate, NaiveDate)>;

/// Parses every statement, numbers repeated references, and collects each currency's period.
fn read_bank(
    files: &[PathBuf],
    mapping: &Mapping,
    contents: &mut impl FnMut() -> Result<Vec<u8>, ReconcileError>,
) -> Result<(Vec<BankLine>, Periods), ReconcileError> {
    // (file index, line) so errors can name both files of a repeated line.
    let mut all: Vec<(usize, BankLine)> = Vec::new();
    // Per currency: the union of the statements' intervals, or None once any statement of
    // that currency carries no interval (a CSV export), when the engine falls back to the
    // bank lines' own first and last dates.
    let mut intervals: BTreeMap<String, Option<(NaiveDate, NaiveDate)>> = BTreeMap::new();
    for (index, path) in files.iter().enumerate() {
        let bytes = contents()?;
        let statement = wise::parse_statement(&bytes).map_err(|source| {
            let looks_like_books = bytes.windows(15).any(|w| w == b"\"QueryResponse\"");
            ReconcileError::Statement {
                file: display(path),
                source: Box::new(source),
                hint: if looks_like_books {
                    " (this looks like a QBO query response: pass it with --books)"
                } else {
                    ""
                },
            }
        })?;
        let currency = statement.currency.as_str().to_owned();
        if mapping.account_for(&currency).is_none() {
            return Err(ReconcileError::UnmappedCurrency {
                file: display(path),
                currency,
                first: statement
                    .lines
                    .first()
                    .map_or_else(|| "none".to_owned(), |l| l.reference_number.clone()),
            });
        }
        let interval = match (statement.interval_start, statement.interval_end) {
            // Wise ends intervals at 23:59:59.999; an exclusive midnight end counts for the
            // day before.
            (Some(start), Some(end)) => Some((
                start.date_naive(),
                (end - TimeDelta::milliseconds(1))
                    .date_naive()
                    .max(start.date_naive()),
            )),
            _ => None,
        };
        let merged = match intervals.get(&currency) {
            None => interval,
            Some(previous) => previous
                .zip(interval)
                .map(|((a, b), (c, d))| (a.min(c), b.max(d))),
        };
        intervals.insert(currency, merged);
        all.extend(
            convert::bank_lines(&statement)
                .into_iter()
                .map(|l| (index, l)),
        );
    }

    // The same reference on two balances is one conversion's two legs (`BALANCE-…`): each
    // leg's id is qualified with its currency. Within one currency, a repeat across files is
    // the same movement given twice: refused.
    let mut currencies: HashMap<&str, BTreeSet<&str>> = HashMap::with_capacity(all.len());
    for (_, line) in &all {
        currencies
            .entry(&*line.id)
            .or_default()
            .insert(line.currency.as_str());
    }
    let shared: BTreeSet<String> = currencies
        .into_iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(id, _)| id.to_owned())
        .collect();
    if !shared.is_empty() {
        for (_, line) in &mut all {
            if shared.contains(&*line.id) {
                line.id = format!("{}@{}", line.id, line.currency).into();
            }
        }
    }
    let mut first_file: HashMap<&str, usize> = HashMap::with_capacity(all.len());
    for (index, line) in &all {
        if let Some(other) = first_file.insert(&*line.id, *index) {
            return Err(ReconcileError::RepeatedBankLine {
                file: display(&files[*index]),
                id: line.id.to_string(),
                other: display(&files[other]),
            });
        }
    }
    drop(first_file);

    let periods = intervals
        .into_iter()
        .filter_map(|(c, p)| p.map(|p| (c, p)))
        .collect();
    Ok((all.into_iter().map(|(_, l)| l).collect(), periods))
}

/// Parses every query response into postings on the mapped accounts.
fn read_books(
    files: &[PathBuf],
    mapping: &Mapping,
    contents: &mut impl FnMut() -> Result<Vec<u8>, ReconcileError>,
) -> Result<Vec<BookEntry>, ReconcileError> {
    let selection = AccountSelection {
        bank_account_ids: mapping.accounts.values().cloned().collect(),
        // Empty: an expense account named like "Bank Charges" counts as the fee account.
        fee_account_ids: BTreeSet::new(),
    };
    let mut entries = Vec::new();
    let mut first_file: HashMap<String, usize> = HashMap::new();
    for (index, path) in files.iter().enumerate() {
        let file = || display(path);
        let bytes = contents()?;
        let text = std::str::from_utf8(&bytes).map_err(|e| ReconcileError::NotText {
            file: file(),
            at: wise::Position::at_offset(&bytes, e.valid_up_to()),
        })?;
        let body =
            qbo::wire::parse_query_response(text).map_err(|source| ReconcileError::Books {
                file: file(),
                source,
            })?;
        let postings =
            qbo::postings::bank_postings(&body.query_response, &selection).map_err(|source| {
                ReconcileError::Posting {
                    file: file(),
                    source,
                }
            })?;
        for posting in postings {
            let mapped = mapping
                .currency_of(&posting.bank_account_id)
                .expect("postings are only made for mapped accounts");
            if let Some(found) = posting.currency.as_deref()
                && found != mapped
            {
                return Err(ReconcileError::CurrencyMismatch {
                    file: file(),
                    posting: posting.id,
                    found: found.to_owned(),
                    account: posting.bank_account_id,
                    mapped: mapped.to_owned(),
                });
            }
            if let Some(other) = first_file.insert(posting.id.clone(), index) {
                return Err(ReconcileError::RepeatedPosting {
                    file: file(),
                    id: posting.id,
                    other: display(&files[other]),
                });
            }
            let mapped = mapped.to_owned();
            entries.push(convert::book_entry(posting, &mapped));
        }
    }
    Ok(entries)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old file or the whole new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReconcileError> {
    let err = |source| ReconcileError::Write {
        file: display(path),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(err)?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        drop(f);
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}
