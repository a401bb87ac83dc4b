//! The playbook's own rows (`seed/000_b3351e41ec0b39e6.txt`), copied as written: the Known vs
//! Unknown matrix, the preflight table and the access-control table. Every organization gets
//! its own editable copy, created once ([`seed_in`] at creation, [`ensure`] for organizations
//! that existed before the playbook screens).

use super::{Measure, Section};

/// One row of the Known vs Unknown matrix as the playbook writes it.
pub struct MatrixSeed {
    /// Stable name of the row within an organization (seeding is idempotent by it).
    pub key: &'static str,
    pub area: &'static str,
    pub known_now: &'static str,
    pub verify_in_tenant: &'static str,
    pub why_it_matters: &'static str,
    /// The measurement the system can attach as evidence, where one answers the row.
    pub measure: Option<Measure>,
}

/// One row of the preflight or access-control table.
pub struct ItemSeed {
    pub key: &'static str,
    pub section: Section,
    pub area: &'static str,
    pub action: &'static str,
    pub verification: &'static str,
}

/// "Area | Known now | Verify in tenant | Why this matters".
pub const MATRIX: &[MatrixSeed] = &[
    MatrixSeed {
        key: "sync_direction",
        area: "Sync direction",
        known_now: "The ConnectWise Marketplace listing frames this as exports from ConnectWise Manage to QuickBooks",
        verify_in_tenant: "Any reverse flow assumptions",
        why_it_matters: "You avoid designing workflows around behavior you have not confirmed",
        measure: None,
    },
    MatrixSeed {
        key: "export_objects",
        area: "Export objects",
        known_now: "The listing names General Ledger, Accounts Receivable, Employee Reimbursement, Inventory, Customer Accounts, and Customer Aging Report",
        verify_in_tenant: "Your exact mappings and posted results in QuickBooks",
        why_it_matters: "You protect reconciliation quality from day one",
        measure: Some(Measure::Mapping),
    },
    MatrixSeed {
        key: "cadence",
        area: "Cadence",
        known_now: "Public listing text does not confirm real-time or batch timing",
        verify_in_tenant: "Trigger-to-post timing in your environment",
        why_it_matters: "You set realistic close routines and staffing",
        measure: Some(Measure::Cadence),
    },
    MatrixSeed {
        key: "failure_behavior",
        area: "Failure behavior",
        known_now: "Public details do not document retries, rollback, or alerting behavior",
        verify_in_tenant: "Your fallback actions for missed or delayed posts",
        why_it_matters: "You prevent silent drift in bookkeeping",
        measure: None,
    },
    MatrixSeed {
        key: "support_certification",
        area: "Support and certification",
        known_now: "The listing tells you to contact the vendor for implementation and support, and notes the vendor is not certified under ConnectWise Invent",
        verify_in_tenant: "Your escalation owner and response expectations",
        why_it_matters: "You keep accountability clear when cashflow risk appears",
        measure: None,
    },
];

/// "Preflight area | Action you take now | Verification outcome", then
/// "Control area | What to lock now | Verification before mapping".
pub const ITEMS: &[ItemSeed] = &[
    ItemSeed {
        key: "access_control",
        section: Section::Preflight,
        area: "Access control",
        action: "Have your ConnectWise administrator complete ConnectWise SSO setup for PSA and confirm access through ConnectWise Home User and Application Settings invite flow",
        verification: "Every required user can sign in and reach the right admin screens",
    },
    ItemSeed {
        key: "reconciliation_scope",
        section: Section::Preflight,
        area: "Reconciliation scope",
        action: "Define which QuickBooks Online bank feed accounts you will monitor and list the exact records you expect from ConnectWise Manage",
        verification: "You can point each expected record to one review queue",
    },
    ItemSeed {
        key: "mapping_source",
        section: Section::Preflight,
        area: "Mapping source of truth",
        action: "Build one mapping sheet for the export items you will use, including Accounts Receivable and General Ledger where applicable",
        verification: "You can trace each exported record to one destination rule",
    },
    ItemSeed {
        key: "ownership_escalation",
        section: Section::Preflight,
        area: "Ownership and escalation",
        action: "Assign one owner for setup, one owner for exceptions, and one owner for vendor escalation in ConnectWise Manage Integration for QuickBooks Online",
        verification: "Your team can route issues without debate",
    },
    ItemSeed {
        key: "pilot_discipline",
        section: Section::Preflight,
        area: "Pilot discipline",
        action: "Freeze a short pilot window so you compare expected versus posted entries in QuickBooks without mixed-period noise",
        verification: "You can isolate variance and decide go-live with confidence",
    },
    ItemSeed {
        key: "sso_baseline",
        section: Section::Access,
        area: "ConnectWise SSO baseline",
        action: "Configure access through ConnectWise Home and confirm required users can authenticate through ConnectWise SSO",
        verification: "Each owner signs in successfully with the expected role",
    },
    ItemSeed {
        key: "admin_permission_control",
        section: Section::Access,
        area: "Admin permission control",
        action: "Have your ConnectWise Admin run one access grant check and one access removal check through admin workflows, and confirm user handling in User & Application Settings",
        verification: "Permission changes show up correctly and access boundaries stay clear",
    },
    ItemSeed {
        key: "quickbooks_ownership",
        section: Section::Access,
        area: "QuickBooks ownership",
        action: "Name the QuickBooks Online administrator or primary admin who can transfer app ownership when staffing changes",
        verification: "One named person accepts ownership responsibility in writing",
    },
    ItemSeed {
        key: "support_path",
        section: Section::Access,
        area: "Support path",
        action: "Record vendor implementation and support contact details from ConnectWise Marketplace and assign an internal escalation owner",
        verification: "Your team knows exactly who contacts the vendor when sync issues block billing",
    },
    ItemSeed {
        key: "go_no_go",
        section: Section::Access,
        area: "Go or no-go checkpoint",
        action: "Add an internal checkpoint for ConnectWise Manage Integration for QuickBooks Online access validation",
        verification: "Team confirms the checkpoint before mapping begins",
    },
];

/// A row of a three-column guidance table on the Pilot screen.
pub struct Guidance {
    pub first: &'static str,
    pub second: &'static str,
    pub third: &'static str,
}

/// "Pilot rule | What to log or verify | Fallback or decision".
pub const PILOT_RULES: &[Guidance] = &[
    Guidance {
        first: "Traceable sample set",
        second: "Pick records you can audit quickly across ConnectWise and QuickBooks",
        third: "If you test both Wise connection features, test each connection path separately",
    },
    Guidance {
        first: "QuickBooks posting review",
        second: "Match transactions, review the match, then post",
        third: "Use a verify-then-post rule to reduce silent drift",
    },
    Guidance {
        first: "Exception logging",
        second: "Capture missing customer mappings, duplicate postings, stale records, owner, and next action",
        third: "Do not leave any exception unassigned",
    },
    Guidance {
        first: "Go-live gates",
        second: "Define a clean cycle, acceptable exception handling, and a tested fallback path",
        third: "Promote to production only when owners can resolve exceptions fast and your pilot results stay stable",
    },
    Guidance {
        first: "Connection-quality fallback",
        second: "If connection quality drops",
        third: "Switch to supervised batch handling and use manual upload in controlled smaller batches until stability returns",
    },
];

/// "Pilot control | What you run | What you verify".
pub const PILOT_CONTROLS: &[Guidance] = &[
    Guidance {
        first: "Scope control",
        second: "Start with a limited sample set from ConnectWise PSA",
        third: "Entries land in QuickBooks Online where you expected",
    },
    Guidance {
        first: "Reconciliation control",
        second: "Compare posted entries against Bank Feed activity and open Accounts Receivable",
        third: "You can explain every difference immediately",
    },
    Guidance {
        first: "Export-class control",
        second: "Check General Ledger and Customer Accounts outputs line by line",
        third: "Each class appears in the correct destination with no ambiguous mapping",
    },
    Guidance {
        first: "Timing control",
        second: "Track trigger time and posted time for each sample",
        third: "You can classify your environment as near real time behavior or batch behavior",
    },
    Guidance {
        first: "Payment status control",
        second: "After QuickBooks receives payment, run Sync Payment Info in the accounting interface",
        third: "PSA marks the related invoice paid after sync",
    },
];

/// "Decision signal | Batch mode choice | Near continuous choice".
pub const DECISION_SIGNALS: &[Guidance] = &[
    Guidance {
        first: "Posting cadence in ConnectWise PSA",
        second: "Exports land in windows with gaps or queue buildup",
        third: "Entries appear quickly and consistently after trigger",
    },
    Guidance {
        first: "Reconciliation in QuickBooks",
        second: "Requires grouped review at period end",
        third: "Supports same day review with low exception volume",
    },
    Guidance {
        first: "Control burden",
        second: "Team needs explicit close checks",
        third: "Team can maintain lightweight daily checks",
    },
];

#[cfg(feature = "storage")]
mod storage {
    use super::{ITEMS, MATRIX};
    use crate::db::{Db, Tx, on_pool, on_tx};
    use crate::error::Result;
    use chrono::{DateTime, Utc};

    /// Creates the organization's playbook rows unless they were created before; returns
    /// whether it did. Not audited: these are the checklists every organization starts with,
    /// nothing a person changed (the organization's creation is audited).
    ///
    /// The marker row makes it idempotent and safe under concurrency: a second transaction
    /// racing on the same organization waits on the marker's key and then inserts nothing.
    pub async fn seed_in(tx: &mut Tx, organization_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let fresh = on_tx!(tx, conn => sqlx::query("INSERT INTO playbook_seeded (organization_id, seeded_at) \
            VALUES ($1, $2) ON CONFLICT (organization_id) DO NOTHING")
            .bind(organization_id).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
        if fresh == 0 {
            return Ok(false);
        }
        for (position, row) in (1i32..).zip(MATRIX) {
            on_tx!(tx, conn => sqlx::query("INSERT INTO matrix_rows (organization_id, seed_key, position, area, \
                known_now, verify_in_tenant, why_it_matters, measure, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (organization_id, seed_key) DO NOTHING")
                .bind(organization_id)
                .bind(row.key)
                .bind(position * 10)
                .bind(row.area)
                .bind(row.known_now)
                .bind(row.verify_in_tenant)
                .bind(row.why_it_matters)
                .bind(row.measure.map(|m| m.as_str()))
                .bind(now)
                .execute(conn).await.map(|r| r.rows_affected()))?;
        }
        for (position, item) in (1i32..).zip(ITEMS) {
            on_tx!(tx, conn => sqlx::query("INSERT INTO preflight_items (organization_id, seed_key, section, \
                position, area, action, verification, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                ON CONFLICT (organization_id, seed_key) DO NOTHING")
                .bind(organization_id)
                .bind(item.key)
                .bind(item.section.as_str())
                .bind(position * 10)
                .bind(item.area)
                .bind(item.action)
                .bind(item.verification)
                .bind(now)
                .execute(conn).await.map(|r| r.rows_affected()))?;
        }
        Ok(true)
    }

    /// Seeds an organization created before the playbook screens existed, on its first read.
    pub async fn ensure(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<()> {
        let seeded = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM playbook_seeded WHERE organization_id = $1")
            .bind(organization_id).fetch_one(pool).await)?;
        if seeded > 0 {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        seed_in(&mut tx, organization_id, now).await?;
        tx.commit().await
    }
}

#[cfg(feature = "storage")]
pub use storage::{ensure, seed_in};
