//! Stage 6: everything else, missing in books or missing in bank.

use chrono::NaiveDate;

use crate::output::{ExceptionKind, Summary};
use crate::sentence::Sentence;

use super::*;

impl AccountRun<'_> {
    // ---- stage 6: leftovers -----------------------------------------------------------------

    pub(super) fn leftovers(&mut self, summary: &mut Summary) {
        for b in 0..self.bank.len() {
            if self.bank_taken[b] {
                continue;
            }
            let line = self.lines[b];
            let mut reason = Sentence::new();
            reason
                .s("no posting of ")
                .amount(line.amount)
                .s(" ")
                .s(self.currency)
                .s(" on the mapped account within ")
                .int(i64::from(self.options.max_lead_days))
                .s(" days before or ")
                .int(i64::from(self.options.max_lag_days))
                .s(" days after ")
                .date(line.booked_at.date_naive())
                .s(" (by amount, reference");
            if !line.counterparty.is_empty() {
                reason.s(" or payee \"").s(&line.counterparty).s("\"");
            }
            reason.s(")");
            let reason = reason.done();
            self.groups.push(Group {
                banks: Members::from(&[b as u32][..]),
                books: Members::from(&[][..]),
                outcome: Outcome::Break {
                    kind: ExceptionKind::MissingInBooks,
                    difference: line.amount,
                },
                why: reason.into(),
            });
        }
        let period = self
            .options
            .periods
            .get(self.currency)
            .copied()
            .or_else(|| {
                let first = self.lines.first()?.booked_at.date_naive();
                let last = self.lines.last()?.booked_at.date_naive();
                Some((first, last))
            });
        for k in 0..self.book.len() {
            if self.book_taken[k] {
                continue;
            }
            let entry = self.entries[k];
            let inside = period.is_some_and(|(from, to): (NaiveDate, NaiveDate)| {
                entry.txn_date >= from && entry.txn_date <= to
            });
            if !inside {
                summary.books_outside_period.push(entry.id.to_string());
                continue;
            }
            let what = if entry.is_bank_charge {
                "bank-charge posting"
            } else {
                "posting"
            };
            let reason = Sentence::new()
                .s(what)
                .s(" ")
                .s(&entry.id)
                .s(" of ")
                .amount(entry.amount)
                .s(" ")
                .s(self.currency)
                .s(" dated ")
                .date(entry.txn_date)
                .s(" has no bank line (by amount, reference or payee) although the statement covers that date")
                .done();
            self.groups.push(Group {
                banks: Members::from(&[][..]),
                books: Members::from(&[k as u32][..]),
                outcome: Outcome::Break {
                    kind: ExceptionKind::MissingInBank,
                    difference: -entry.amount,
                },
                why: reason.into(),
            });
        }
    }
}
