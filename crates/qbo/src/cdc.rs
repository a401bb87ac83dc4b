//! Incremental sync with Change Data Capture (quickbooks-api.md §5). CDC answers at most 1000
//! objects and has no cursor, and `changedSince` must lie within 30 days. So: a window older
//! than 30 days, or a response that hit the cap, is answered with a windowed query per entity
//! (`MetaData.LastUpdatedTime >= since`, paged) instead of a silently truncated result.
//! Queries do not return deleted objects, so a fallback keeps the deletion stubs CDC did
//! return and says that deletions may be incomplete.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::client::{ApiRequest, Company};
use crate::error::{QboError, WireError};
use crate::query::{Entity, Select};
use crate::wire::QueryResponse;

/// CDC's object cap per response.
pub const CDC_CAP: usize = 1000;
/// CDC's look-back limit.
pub const CDC_MAX_DAYS: i64 = 30;

/// A deleted entity, from CDC's `{"status": "Deleted", "Id": …}` stubs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedEntity {
    pub entity: Entity,
    pub id: String,
    pub last_updated: Option<DateTime<Utc>>,
}

/// How the changes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMethod {
    Cdc,
    /// CDC hit its 1000-object cap: a paged query per entity was used instead.
    QueryAfterCdcCap,
    /// `since` is older than CDC's 30 days: a paged query per entity was used.
    QueryBeyondCdcWindow,
}

/// Everything that changed since a point in time.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// Created or updated entities, full payloads.
    pub changed: QueryResponse,
    pub deleted: Vec<DeletedEntity>,
    pub method: SyncMethod,
    /// `false` after a query fallback: deletions other than those listed may have happened;
    /// reconcile the known Ids with a full read when that matters.
    pub deletions_complete: bool,
    /// Pass as `since` next time (the clock reading taken before the first request, so
    /// nothing between the requests is missed).
    pub next_since: DateTime<Utc>,
}

#[derive(Deserialize)]
struct CdcBody<'a> {
    #[serde(rename = "CDCResponse", borrow, default)]
    cdc_response: Vec<CdcPart<'a>>,
}

#[derive(Deserialize)]
struct CdcPart<'a> {
    #[serde(rename = "QueryResponse", borrow, default)]
    query_response: Vec<BTreeMap<String, &'a RawValue>>,
}

#[derive(Deserialize)]
struct Stub {
    #[serde(default)]
    status: Option<String>,
    #[serde(rename = "Id", default)]
    id: String,
    #[serde(rename = "MetaData", default)]
    meta: Option<StubMeta>,
}

#[derive(Deserialize)]
struct StubMeta {
    #[serde(rename = "LastUpdatedTime", default)]
    last_updated: Option<String>,
}

/// The parsed CDC body: changed, deleted, and whether the cap was hit.
pub(crate) fn parse_cdc(
    text: &str,
) -> Result<(QueryResponse, Vec<DeletedEntity>, bool), WireError> {
    let body: CdcBody<'_> = serde_json::from_str(text).map_err(WireError::json)?;
    let mut changed = QueryResponse::default();
    let mut deleted = Vec::new();
    let mut objects = 0usize;
    let mut capped = false;
    for part in body.cdc_response {
        for group in part.query_response {
            let returned = group
                .get("maxResults")
                .and_then(|v| v.get().parse::<usize>().ok());
            let total = group
                .get("totalCount")
                .and_then(|v| v.get().parse::<usize>().ok());
            if let (Some(r), Some(t)) = (returned, total)
                && t > r
            {
                capped = true;
            }
            for (key, raw) in &group {
                let Some(entity) = Entity::from_name(key) else {
                    continue;
                };
                let items: Vec<&RawValue> =
                    serde_json::from_str(raw.get()).map_err(WireError::json)?;
                objects += items.len();
                let mut live = Vec::new();
                for item in items {
                    let stub: Stub = serde_json::from_str(item.get()).map_err(WireError::json)?;
                    if stub
                        .status
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case("Deleted"))
                    {
                        deleted.push(DeletedEntity {
                            entity,
                            id: stub.id,
                            last_updated: stub
                                .meta
                                .and_then(|m| m.last_updated)
                                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                                .map(|t| t.with_timezone(&Utc)),
                        });
                    } else {
                        live.push(item.get());
                    }
                }
                if !live.is_empty() {
                    changed
                        .extend_raw(entity.name(), &format!("[{}]", live.join(",")))
                        .map_err(WireError::json)?;
                }
            }
        }
    }
    Ok((changed, deleted, capped || objects >= CDC_CAP))
}

impl Company {
    /// Changes to `entities` since `since`: CDC when it can answer completely, a windowed
    /// query otherwise (see the module docs).
    ///
    /// # Errors
    /// API errors; a body that is not a CDC response.
    pub async fn changes_since(
        &self,
        entities: &[Entity],
        since: DateTime<Utc>,
    ) -> Result<ChangeSet, QboError> {
        let next_since = self.now();
        // A minute of slack so a request in flight at the boundary is not refused.
        if next_since - since > ChronoDuration::days(CDC_MAX_DAYS) - ChronoDuration::minutes(1) {
            let changed = self.windowed_query(entities, since).await?;
            return Ok(ChangeSet {
                changed,
                deleted: Vec::new(),
                method: SyncMethod::QueryBeyondCdcWindow,
                deletions_complete: false,
                next_since,
            });
        }
        let names: Vec<&str> = entities.iter().map(|e| e.name()).collect();
        let resp = self
            .send(
                ApiRequest::get("cdc")
                    .param("entities", names.join(","))
                    .param(
                        "changedSince",
                        since.to_rfc3339_opts(SecondsFormat::Secs, true),
                    ),
            )
            .await?;
        let (changed, deleted, capped) = parse_cdc(&resp.body).map_err(|e| QboError::Decode {
            what: "CDC",
            message: e.to_string(),
            intuit_tid: resp.intuit_tid.clone(),
        })?;
        if !capped {
            return Ok(ChangeSet {
                changed,
                deleted,
                method: SyncMethod::Cdc,
                deletions_complete: true,
                next_since,
            });
        }
        tracing::info!(realm = %self.realm_id(), "QBO CDC hit its 1000-object cap; reading the window by query");
        let changed = self.windowed_query(entities, since).await?;
        Ok(ChangeSet {
            changed,
            deleted,
            method: SyncMethod::QueryAfterCdcCap,
            deletions_complete: false,
            next_since,
        })
    }

    async fn windowed_query(
        &self,
        entities: &[Entity],
        since: DateTime<Utc>,
    ) -> Result<QueryResponse, QboError> {
        let mut out = QueryResponse::default();
        for &entity in entities {
            let mut select = Select::from(entity).filter(
                "MetaData.LastUpdatedTime",
                ">=",
                &since.to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            if entity.is_name_list() {
                // A deactivation is a change too.
                select = select.include_inactive();
            }
            let mut part = self.query_all(&select).await?;
            out.append(&mut part);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stubs_are_deletions_and_groups_are_merged() {
        let (changed, deleted, capped) = parse_cdc(
            r#"{"CDCResponse":[{"QueryResponse":[
                {"Purchase":[{"Id":"63","TotalAmt":1.5},{"domain":"QBO","status":"Deleted","Id":"979",
                  "MetaData":{"LastUpdatedTime":"2015-12-23T12:55:50-08:00"}}],"startPosition":1,"maxResults":2},
                {"Estimate":[{"Id":"34"}],"startPosition":1,"maxResults":1}]}],
               "time":"2015-12-23T10:00:01-07:00"}"#,
        )
        .unwrap();
        assert_eq!(changed.purchase.len(), 1);
        assert_eq!(deleted.len(), 1);
        assert_eq!(deleted[0].id, "979");
        assert_eq!(deleted[0].entity, Entity::Purchase);
        assert!(!capped);
    }

    #[test]
    fn no_changes_and_the_cap() {
        let (c, d, capped) =
            parse_cdc(r#"{"CDCResponse":[{"QueryResponse":[{}]}],"time":"t"}"#).unwrap();
        assert!(c.is_empty() && d.is_empty() && !capped);
        let (_, _, capped) = parse_cdc(
            r#"{"CDCResponse":[{"QueryResponse":[{"Invoice":[{"Id":"1"}],"maxResults":1,"totalCount":1500}]}]}"#,
        )
        .unwrap();
        assert!(capped);
    }
}
