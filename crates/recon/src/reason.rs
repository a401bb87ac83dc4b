//! Why a decision was taken, stored compactly and put into words only when it is displayed or
//! serialized. A run has about one decision per bank line; writing each sentence up front cost
//! a third of the engine's time and ~170 bytes per decision, most of it for one-to-one pairs
//! whose sentence follows from a few numbers. Those are kept as [`PairReason`]; the rarer
//! shapes (groups, duplicates, leftovers) keep their sentence as text.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::counterparty::NameAgreement;
use crate::explain::{write_decimal, write_gap, write_name};

/// The words explaining a match or an exception. Serializes as a JSON string; `Display` gives
/// the same text (`reason.to_string()`); [`Reason::text`] borrows it when it is stored as text.
#[derive(Clone)]
pub struct Reason(Repr);

#[derive(Clone)]
enum Repr {
    Text(Box<str>),
    Pair(Box<PairReason>),
}

/// A one-to-one (or principal + fee) decision's evidence, from which its sentence is written.
#[derive(Clone, PartialEq)]
pub(crate) struct PairReason {
    pub relation: PairRelation,
    pub bank_amount: Decimal,
    pub book_amount: Decimal,
    pub fee: Decimal,
    pub currency: Arc<str>,
    pub reference: Option<ReferenceHit>,
    pub agreement: NameAgreement,
    /// Bank-side and book-side counterparty names (shared by every decision naming them).
    pub names: Option<NamePair>,
    pub gap: i32,
    pub tail: Tail,
}

/// Bank-side and book-side counterparty names, shared by every decision naming them.
pub(crate) type NamePair = Arc<(Box<str>, Box<str>)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairRelation {
    Exact,
    Principal,
    Mismatch,
}

/// The shared reference token, as written (upper-cased), and the fields it was found in.
#[derive(Clone, PartialEq)]
pub(crate) struct ReferenceHit {
    pub token: Box<str>,
    /// Index into [`BANK_FIELDS`].
    pub bank_field: u8,
    /// Index into [`BOOK_FIELDS`].
    pub book_field: u8,
}

/// The bank-line fields a reference is read from, as named in reasons.
pub(crate) const BANK_FIELDS: [&str; 2] = ["paymentReference", "referenceNumber"];
/// The posting fields a reference is read from, as named in reasons.
pub(crate) const BOOK_FIELDS: [&str; 4] = ["DocNumber", "PaymentRefNum", "PrivateNote", "memo"];

/// How the sentence ends: the verdict on the pair.
#[derive(Clone, PartialEq)]
pub(crate) enum Tail {
    /// Auto: other candidates existed but were weaker or better matched elsewhere.
    AutoOthers,
    /// Auto: no other candidate.
    AutoAlone,
    /// Suggested: so many rivals almost as likely.
    Rivals(u32),
    NamesDisagree,
    AmountOnly,
    /// An amount mismatch: the difference is bank minus books.
    Mismatch {
        typo: bool,
    },
    /// Principal and fee booked apart; the fee posting's id.
    FeeBooked {
        fee_id: Box<str>,
        same_reference: bool,
        verify: FeeVerify,
    },
    /// Principal booked, fee not.
    FeeNotBooked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeeVerify {
    No,
    Principal,
    WhichFee,
}

impl Reason {
    /// A reason given as text.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(Repr::Text(text.into().into_boxed_str()))
    }

    pub(crate) fn pair(pair: PairReason) -> Self {
        Self(Repr::Pair(Box::new(pair)))
    }

    /// The sentence: borrowed when stored as text, written out otherwise.
    #[must_use]
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::Pair(_) => Cow::Owned(self.to_string()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(t) => f.write_str(t),
            Repr::Pair(p) => p.write(f),
        }
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Text(a), Repr::Text(b)) => a == b,
            (Repr::Pair(a), Repr::Pair(b)) if a == b => true,
            _ => self.text() == other.text(),
        }
    }
}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.text() == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<Reason> for String {
    fn from(reason: Reason) -> Self {
        match reason.0 {
            Repr::Text(t) => t.into_string(),
            Repr::Pair(_) => reason.to_string(),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Text(t) => serializer.serialize_str(t),
            Repr::Pair(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl PairReason {
    fn write<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        match self.relation {
            PairRelation::Exact => {
                out.write_str("amount ")?;
                write_decimal(out, self.bank_amount)?;
                out.write_char(' ')?;
                out.write_str(&self.currency)?;
                out.write_str(" equal")?;
            }
            PairRelation::Principal => {
                out.write_str("posting ")?;
                write_decimal(out, self.book_amount)?;
                out.write_str(" covers the bank amount ")?;
                write_decimal(out, self.bank_amount)?;
                out.write_str(" without the Wise fee ")?;
                write_decimal(out, self.fee)?;
            }
            PairRelation::Mismatch => {
                out.write_str("bank ")?;
                write_decimal(out, self.bank_amount)?;
                out.write_str(" vs posting ")?;
                write_decimal(out, self.book_amount)?;
                out.write_char(' ')?;
                out.write_str(&self.currency)?;
            }
        }
        if let Some(hit) = &self.reference {
            write!(
                out,
                "; reference {} (Wise {} ↔ QBO {})",
                hit.token,
                BANK_FIELDS[usize::from(hit.bank_field)],
                BOOK_FIELDS[usize::from(hit.book_field)]
            )?;
        }
        if let Some(names) = &self.names {
            write_name(out, self.agreement, &names.0, &names.1)?;
        }
        write_gap(out, self.gap)?;
        match &self.tail {
            Tail::AutoOthers => {
                out.write_str("; other candidates were weaker or better matched elsewhere")
            }
            Tail::AutoAlone => out.write_str("; no other candidate"),
            Tail::Rivals(n) => write!(
                out,
                "; {n} other candidate{} almost as likely: verify",
                if *n == 1 { " is" } else { "s are" }
            ),
            Tail::NamesDisagree => out.write_str("; names disagree: verify"),
            Tail::AmountOnly => out.write_str("; amount and date only: verify"),
            Tail::Mismatch { typo } => {
                let difference = self.bank_amount - self.book_amount;
                write!(
                    out,
                    "; amounts differ by {difference}, more than fee and rounding"
                )?;
                if *typo {
                    out.write_str(" (looks like a typo)")?;
                }
                Ok(())
            }
            Tail::FeeBooked {
                fee_id,
                same_reference,
                verify,
            } => {
                write!(out, "; fee {} booked as bank charge {fee_id}", self.fee)?;
                if *same_reference {
                    out.write_str(" (same reference)")?;
                }
                match verify {
                    FeeVerify::No => Ok(()),
                    FeeVerify::Principal => out.write_str("; verify the principal"),
                    FeeVerify::WhichFee => out.write_str(
                        "; several fee postings of this amount nearby: verify which is this one",
                    ),
                }
            }
            Tail::FeeNotBooked => write!(
                out,
                "; no bank-charge posting of {} found: the Wise fee is not booked",
                self.fee
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> Reason {
        Reason::pair(PairReason {
            relation: PairRelation::Principal,
            bank_amount: Decimal::new(-120431, 2),
            book_amount: Decimal::new(-120000, 2),
            fee: Decimal::new(431, 2),
            currency: Arc::from("EUR"),
            reference: Some(ReferenceHit {
                token: "INV1042".into(),
                bank_field: 0,
                book_field: 0,
            }),
            agreement: NameAgreement::Same,
            names: Some(Arc::new(("Acme GmbH".into(), "ACME GMBH".into()))),
            gap: 1,
            tail: Tail::FeeNotBooked,
        })
    }

    #[test]
    fn evidence_is_written_as_one_sentence() {
        let text = "posting -1200.00 covers the bank amount -1204.31 without the Wise fee 4.31; \
                    reference INV1042 (Wise paymentReference ↔ QBO DocNumber); counterparty \
                    \"Acme GmbH\" = \"ACME GMBH\"; posted 1 day after the bank line; no \
                    bank-charge posting of 4.31 found: the Wise fee is not booked";
        let reason = pair();
        assert_eq!(reason.to_string(), text);
        assert_eq!(reason.text(), text);
        // Stored as evidence or as text, the same words are the same reason.
        assert_eq!(reason, Reason::new(text));
        assert_eq!(reason, *text);
        assert_eq!(String::from(reason.clone()), text);
        // A JSON string, both ways.
        let json = serde_json::to_string(&reason).unwrap();
        assert_eq!(json, serde_json::to_string(text).unwrap());
        assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
    }
}
