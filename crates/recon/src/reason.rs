//! Why a decision was taken, stored compactly and put into words only when it is displayed or
//! serialized. A run has about one decision per bank line; writing each sentence up front cost
//! a third of the engine's time and ~170 bytes per decision, most of it for one-to-one pairs
//! whose sentence follows from a few numbers. Those are kept as [`PairEvidence`], inline (no
//! allocation per decision), with the names, tokens and ids it quotes in the run's shared
//! [`RunText`]; the rarer shapes (groups, duplicates, leftovers) keep their sentence as text.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::amount::{pack, unpack};
use crate::counterparty::NameAgreement;
use crate::explain::{write_decimal, write_gap, write_name};
use crate::run_text::{RunText, SharedText};

/// The words explaining a match or an exception. Serializes as a JSON string; `Display` gives
/// the same text (`reason.to_string()`); [`Reason::text`] borrows it when it is stored as text.
#[derive(Clone)]
pub struct Reason(Repr);

#[derive(Clone)]
enum Repr {
    Text(Box<str>),
    Pair(SharedText, PairEvidence),
}

/// A one-to-one (or principal + fee) decision's evidence, from which its sentence is written:
/// the amounts of the line and the posting (bank amount, book amount, fee: packed, see
/// [`pack`]), and what the engine noted about the pair.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PairEvidence {
    mantissas: [i64; 3],
    scales: [u8; 3],
    pub note: PairNote,
}

/// What the engine noted about a pair besides the amounts. Names, tokens and ids are indices
/// into the run's [`RunText`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PairNote {
    pub reference: Option<ReferenceHit>,
    /// Bank-side and book-side counterparty names: an index into [`RunText::name_pairs`],
    /// absent when `agreement` is `Unknown`.
    pub names: Option<TextIndex>,
    pub gap: i32,
    pub relation: PairRelation,
    pub agreement: NameAgreement,
    pub tail: Tail,
}

/// An index into one of [`RunText`]'s tables, stored plus one so `Option` costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextIndex(NonZeroU32);

impl TextIndex {
    pub fn new(i: u32) -> Self {
        Self(NonZeroU32::new(i.wrapping_add(1)).expect("text index below u32::MAX"))
    }

    pub fn get(self) -> u32 {
        self.0.get() - 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairRelation {
    Exact,
    Principal,
    Mismatch,
}

/// The shared reference token (written upper-cased, in [`RunText::tokens`]) and the fields
/// it was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReferenceHit {
    pub token: TextIndex,
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
#[derive(Debug, Clone, Copy, PartialEq)]
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
    /// Principal and fee booked apart; the fee posting's id (in [`RunText::ids`]).
    FeeBooked {
        fee_id: u32,
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

    pub(crate) fn pair(text: &SharedText, evidence: PairEvidence) -> Self {
        Self(Repr::Pair(SharedText::clone(text), evidence))
    }

    /// A reason given as text, already boxed.
    pub(crate) fn boxed(text: Box<str>) -> Self {
        Self(Repr::Text(text))
    }

    /// The sentence: borrowed when stored as text, written out otherwise.
    #[must_use]
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::Pair(..) => Cow::Owned(self.to_string()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(t) => f.write_str(t),
            Repr::Pair(text, p) => p.write(text, f),
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
            (Repr::Pair(t, a), Repr::Pair(u, b)) if SharedText::ptr_eq(t, u) && a == b => true,
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
            Repr::Pair(..) => reason.to_string(),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Text(t) => serializer.serialize_str(t),
            Repr::Pair(..) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl PairEvidence {
    /// The evidence of a pair whose amounts (bank amount, book amount, fee) fit 64-bit
    /// mantissas, as money always does; `None` otherwise (write its sentence as text).
    pub(crate) fn new(amounts: [Decimal; 3], note: PairNote) -> Option<Self> {
        let [(m0, s0), (m1, s1), (m2, s2)] =
            [pack(amounts[0])?, pack(amounts[1])?, pack(amounts[2])?];
        Some(Self {
            mantissas: [m0, m1, m2],
            scales: [s0, s1, s2],
            note,
        })
    }

    /// The evidence of a pair whose amounts are already packed (as [`pack`] packs them): what
    /// [`PairEvidence::new`] gives for the amounts they unpack to, without the round trip.
    pub(crate) fn packed(amounts: [(i64, u8); 3], note: PairNote) -> Self {
        Self {
            mantissas: amounts.map(|(m, _)| m),
            scales: amounts.map(|(_, s)| s),
            note,
        }
    }

    fn amounts(&self) -> [Decimal; 3] {
        [0, 1, 2].map(|i| unpack(self.mantissas[i], self.scales[i]))
    }

    fn write<W: fmt::Write>(&self, text: &RunText, out: &mut W) -> fmt::Result {
        self.note.write(self.amounts(), text, out)
    }
}

impl PairNote {
    /// The sentence for this pair with these amounts (bank amount, book amount, fee), against
    /// the run's text (also while the run is still deciding).
    pub(crate) fn shown<'a>(
        &'a self,
        amounts: [Decimal; 3],
        text: &'a RunText,
    ) -> impl fmt::Display + 'a {
        struct Shown<'a>(&'a PairNote, [Decimal; 3], &'a RunText);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(self.1, self.2, f)
            }
        }
        Shown(self, amounts, text)
    }

    fn write<W: fmt::Write>(
        &self,
        [bank_amount, book_amount, fee]: [Decimal; 3],
        text: &RunText,
        out: &mut W,
    ) -> fmt::Result {
        let note = self;
        match note.relation {
            PairRelation::Exact => {
                out.write_str("amount ")?;
                write_decimal(out, bank_amount)?;
                out.write_char(' ')?;
                out.write_str(&text.currency)?;
                out.write_str(" equal")?;
            }
            PairRelation::Principal => {
                out.write_str("posting ")?;
                write_decimal(out, book_amount)?;
                out.write_str(" covers the bank amount ")?;
                write_decimal(out, bank_amount)?;
                out.write_str(" without the Wise fee ")?;
                write_decimal(out, fee)?;
            }
            PairRelation::Mismatch => {
                out.write_str("bank ")?;
                write_decimal(out, bank_amount)?;
                out.write_str(" vs posting ")?;
                write_decimal(out, book_amount)?;
                out.write_char(' ')?;
                out.write_str(&text.currency)?;
            }
        }
        if let Some(hit) = &note.reference {
            write!(
                out,
                "; reference {} (Wise {} ↔ QBO {})",
                text.tokens.get(hit.token.get()),
                BANK_FIELDS[usize::from(hit.bank_field)],
                BOOK_FIELDS[usize::from(hit.book_field)]
            )?;
        }
        if let Some(pair) = note.names {
            let [bank, book] = text.name_pairs[pair.get() as usize];
            write_name(
                out,
                note.agreement,
                text.names.get(bank),
                text.names.get(book),
            )?;
        }
        write_gap(out, note.gap)?;
        match &note.tail {
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
                let difference = bank_amount - book_amount;
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
                let fee_id = text.ids.get(*fee_id);
                write!(out, "; fee {} booked as bank charge {fee_id}", fee)?;
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
                fee
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_text::StringTable;

    fn pair() -> Reason {
        let mut names = StringTable::default();
        names.push("Other");
        names.push("OTHER");
        names.push("Acme GmbH");
        names.push("ACME GMBH");
        let mut tokens = StringTable::default();
        tokens.push("INV1042");
        let text = SharedText::new(RunText {
            currency: "EUR".into(),
            ids: StringTable::default(),
            names,
            name_pairs: vec![[0, 1], [2, 3]],
            tokens,
        });
        let amounts = [
            Decimal::new(-120431, 2),
            Decimal::new(-120000, 2),
            Decimal::new(431, 2),
        ];
        Reason::pair(
            &text,
            PairEvidence::new(
                amounts,
                PairNote {
                    relation: PairRelation::Principal,
                    reference: Some(ReferenceHit {
                        token: TextIndex::new(0),
                        bank_field: 0,
                        book_field: 0,
                    }),
                    agreement: NameAgreement::Same,
                    names: Some(TextIndex::new(1)),
                    gap: 1,
                    tail: Tail::FeeNotBooked,
                },
            )
            .unwrap(),
        )
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

    #[test]
    fn packed_evidence_is_what_the_unpacked_amounts_give() {
        let note = PairNote {
            relation: PairRelation::Exact,
            reference: None,
            agreement: NameAgreement::Unknown,
            names: None,
            gap: 0,
            tail: Tail::AutoAlone,
        };
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        let amounts = [
            Decimal::new(-120431, 2),
            Decimal::new(12, 0),
            Decimal::new(5, 4),
            Decimal::new(i64::MAX, 3),
            Decimal::new(i64::MIN + 1, 1),
            Decimal::ZERO,
            negative_zero,
        ];
        for a in amounts {
            for b in amounts {
                let fee = Decimal::new(431, 2);
                let packed = [a, b, fee].map(|d| pack(d).unwrap());
                assert_eq!(
                    PairEvidence::packed(packed, note),
                    PairEvidence::new([a, b, fee], note).unwrap(),
                    "{a} {b}"
                );
            }
        }
    }
}
