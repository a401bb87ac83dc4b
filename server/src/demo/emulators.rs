//! The demo organization's Wise and QBO: both emulators on 127.0.0.1 (random ports), seeded
//! with the [`Studio`] for an anchor date. Restarting on the same anchor gives the same ledgers
//! and the same QBO Ids.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::data::{Books, Studio, studio};

/// The personal token the demo's Wise emulator accepts (besides the emulator's defaults).
pub const DEMO_WISE_TOKEN: &str = "demo-personal-token";

/// A running demo organization.
pub struct DemoEmulators {
    pub wise: wise::emulator::Emulator,
    pub qbo: qbo::emulator::Emulator,
    pub realm_id: String,
    /// Personal token for [`DemoEmulators::wise`].
    pub wise_token: String,
    pub profile_id: i64,
    /// Currency → Wise balance id.
    pub balances: BTreeMap<String, i64>,
    /// Currency → QBO Id of the bank account holding that balance.
    pub accounts: BTreeMap<String, String>,
    /// QBO Id of "Bank Charges".
    pub fee_account_id: String,
    /// Record key → QBO Id, for every seeded record.
    pub ids: BTreeMap<String, String>,
    /// Posting key → the posting's id as the engine names it (`Purchase:12`).
    pub book_ids: BTreeMap<String, String>,
    pub studio: Studio,
}

impl DemoEmulators {
    /// Starts both emulators for the studio whose activity ends on `anchor`.
    ///
    /// # Errors
    /// A port cannot be bound, or the studio's records do not resolve (a bug: `InvalidData`).
    pub async fn start(anchor: NaiveDate) -> std::io::Result<DemoEmulators> {
        let studio = studio(anchor);
        let mut personal_tokens = vec![DEMO_WISE_TOKEN.to_owned()];
        personal_tokens.extend(wise::emulator::EmulatorConfig::default().personal_tokens);
        let wise = wise::emulator::Emulator::start(wise::emulator::EmulatorConfig {
            personal_tokens,
            ledgers: Some(studio.ledgers.clone()),
            ..wise::emulator::EmulatorConfig::default()
        })
        .await?;
        let realm_id = studio.books.realm_id.clone();
        let qbo = qbo::emulator::Emulator::start(qbo::emulator::EmulatorConfig {
            default_realm: realm_id.clone(),
            ..qbo::emulator::EmulatorConfig::default()
        })
        .await?;
        let ids = seed_books(qbo.state(), &studio.books)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let id_of = |key: &str| ids.get(key).cloned().unwrap_or_default();
        let accounts = studio
            .books
            .bank_accounts
            .iter()
            .map(|(currency, key)| (currency.clone(), id_of(key)))
            .collect();
        let book_ids = studio
            .books
            .postings
            .iter()
            .map(|r| (r.key.clone(), format!("{}:{}", r.entity, id_of(&r.key))))
            .collect();
        Ok(DemoEmulators {
            realm_id,
            wise_token: DEMO_WISE_TOKEN.to_owned(),
            profile_id: wise::emulator::BUSINESS_PROFILE_ID,
            balances: studio
                .ledgers
                .iter()
                .map(|l| (l.currency.clone(), l.balance_id))
                .collect(),
            accounts,
            fee_account_id: id_of(&studio.books.fee_account),
            book_ids,
            ids,
            studio,
            wise,
            qbo,
        })
    }

    /// Which QBO bank account holds which Wise balance, for the engine.
    #[must_use]
    pub fn mapping(&self) -> recon::Mapping {
        recon::Mapping::new(self.accounts.clone())
    }
}

/// A record refers to a key no earlier record has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: refers to {reference}, which is not seeded before it")]
pub struct SeedError {
    pub record: String,
    pub reference: String,
}

/// Seeds `books` into the emulator (its realm, preferences, then every record in order,
/// references resolved to the Ids just assigned). Returns record key → QBO Id.
///
/// # Errors
/// A record refers to a key not seeded before it.
pub fn seed_books(
    qbo: &qbo::emulator::EmulatorState,
    books: &Books,
) -> Result<BTreeMap<String, String>, SeedError> {
    let realm = books.realm_id.as_str();
    qbo.add_realm(realm, &books.company_name);
    qbo.set_preferences(realm, books.multicurrency, &books.home_currency);
    let mut ids = BTreeMap::new();
    for record in books
        .accounts
        .iter()
        .chain(&books.customers)
        .chain(&books.vendors)
        .chain(&books.invoices)
        .chain(&books.bills)
        .chain(&books.postings)
    {
        let mut value = record.value.clone();
        resolve(&mut value, &ids).map_err(|reference| SeedError {
            record: record.key.clone(),
            reference,
        })?;
        let id = qbo.insert(realm, record.entity, value);
        ids.insert(record.key.clone(), id);
    }
    Ok(ids)
}

/// Replaces every `"@<key>"` string in `value` with that key's Id; the first unknown key is
/// the error.
fn resolve(value: &mut Value, ids: &BTreeMap<String, String>) -> Result<(), String> {
    match value {
        Value::String(s) => {
            if let Some(key) = s.strip_prefix('@') {
                *s = ids.get(key).cloned().ok_or_else(|| key.to_owned())?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| resolve(v, ids)),
        Value::Object(map) => map.values_mut().try_for_each(|v| resolve(v, ids)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_or_name_the_missing_key() {
        let ids = BTreeMap::from([("account:wise-eur".to_owned(), "1".to_owned())]);
        let mut v = json!({"AccountRef": {"value": "@account:wise-eur", "name": "Wise EUR"},
                           "Line": [{"LinkedTxn": [{"TxnId": "@posting:0001"}]}]});
        assert_eq!(resolve(&mut v, &ids), Err("posting:0001".to_owned()));
        let mut v = json!({"AccountRef": {"value": "@account:wise-eur"}, "Amount": 3});
        resolve(&mut v, &ids).unwrap();
        assert_eq!(v, json!({"AccountRef": {"value": "1"}, "Amount": 3}));
    }
}
