//! The demo organization: on a server started without Wise/QBO configuration, a small studio
//! wired to the built-in emulators (in process, on 127.0.0.1), with two people, both
//! connections, an applied mapping (after its test batch) and a first sync already run.
//!
//! The emulators keep their data in memory; the day the demo's six months end (its anchor) is
//! stored, so a restart seeds them identically and the stored lines stay valid.

use crate::demo::DemoEmulators;
use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use control::audit::Actor;
use control::connection_path::{PathKind, TestStatus};
use control::connection_paths::{self, PathUpdate};
use control::db::Db;
use control::mappings::{self, MappingDraft};
use control::members::{self, NewMember};
use control::password::NewPassword;
use control::runs::{self, NewRun, Purpose, Trigger};
use control::settings::{self, Settings as OrgSettings};
use control::sync::{self, Context};
use control::{Email, Role, connect, connections};

pub const ORGANIZATION: &str = "Demo Studio (emulated Wise + QuickBooks)";
pub const OWNER_EMAIL: &str = "owner@demo.clearline.test";
pub const OWNER_PASSWORD: &str = "demo-owner-password";
pub const BOOKKEEPER_EMAIL: &str = "bookkeeper@demo.clearline.test";
pub const BOOKKEEPER_PASSWORD: &str = "demo-bookkeeper-password";
/// The personal token the Wise emulator accepts for the demo profile.
pub const WISE_TOKEN: &str = crate::demo::DEMO_WISE_TOKEN;

/// The running emulators and the demo organization.
pub struct Demo {
    pub emulators: DemoEmulators,
    pub organization_id: i64,
    pub anchor: NaiveDate,
}

/// Starts the emulators for the stored demo (or a new one anchored today).
pub async fn start_emulators(
    db: &Db,
    now: DateTime<Utc>,
) -> anyhow::Result<(DemoEmulators, Option<i64>, NaiveDate)> {
    let existing = control::demo_record::get(db).await?;
    // The activity ends yesterday: today is still open.
    let anchor = existing.map_or(now.date_naive() - Duration::days(1), |(_, a)| a);
    let emulators = DemoEmulators::start(anchor)
        .await
        .context("starting the built-in Wise and QuickBooks emulators")?;
    Ok((emulators, existing.map(|(o, _)| o), anchor))
}

/// The connectors pointing at the emulators; QBO's OAuth comes back to `public_url`.
pub fn connectors(emulators: &DemoEmulators, public_url: &str) -> anyhow::Result<sync::Connectors> {
    let qbo_config = emulators.qbo.state().config().clone();
    let wise_config = wise::emulator::EmulatorConfig::default();
    let redirect = format!("{public_url}/connect/qbo/callback")
        .parse()
        .context("CLEARLINE_PUBLIC_URL is not a URL")?;
    Ok(sync::Connectors {
        wise_base_url: emulators.wise.base_url(),
        wise_retry: wise::RetryPolicy::default(),
        qbo: Some(qbo::ClientConfig::new(
            emulators.qbo.endpoints(),
            qbo::OAuthConfig::new(
                qbo_config.client_id,
                qbo::Secret::new(qbo_config.client_secret),
                redirect,
            ),
        )),
        wise_oauth: Some(wise::OAuthConfig {
            client_id: wise_config.oauth_client_id,
            client_secret: wise_config.oauth_client_secret.into(),
            authorize_url: format!("{}/oauth/authorize/", emulators.wise.base_url()),
            token_url: format!("{}/oauth/token", emulators.wise.base_url()),
            redirect_uri: format!("{public_url}/connect/wise/callback"),
        }),
    })
}

/// Creates the demo organization (first start) or reconnects it to the fresh emulators
/// (restart), then runs its sync so the dashboard is populated before the server listens.
pub async fn prepare(
    ctx: &Context,
    emulators: DemoEmulators,
    existing: Option<i64>,
    anchor: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Demo> {
    let system = Actor::system("demo");
    let db = &ctx.db;
    let organization_id = match existing {
        Some(org) => {
            // A new emulator instance knows nothing of the stored tokens: connect again.
            let tokens = emulators.qbo.state().issue_tokens(&emulators.realm_id);
            connect::qbo(ctx, &system, org, tokens, now).await?;
            if connections::get(db, org, control::connections::Provider::Wise)
                .await?
                .is_some_and(|c| c.is_live())
            {
                connect::wise(
                    ctx,
                    &system,
                    org,
                    WISE_TOKEN,
                    None,
                    Some(wise::emulator::BUSINESS_PROFILE_ID),
                    now,
                )
                .await?;
            }
            control::jobs::enqueue_sync(db, org, Trigger::Setup, None, now).await?;
            org
        }
        None => create(ctx, &emulators, anchor, now).await?,
    };
    sync::drain(ctx).await?;
    Ok(Demo {
        emulators,
        organization_id,
        anchor,
    })
}

async fn create(
    ctx: &Context,
    emulators: &DemoEmulators,
    anchor: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let db = &ctx.db;
    let system = Actor::system("demo");
    let owner = members::provision(
        db,
        &system,
        ORGANIZATION,
        NewMember {
            email: Email::parse(OWNER_EMAIL)?,
            display_name: "Olivia Owner".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse(OWNER_PASSWORD)?),
        },
        now,
    )
    .await?;
    let org = owner.organization_id;
    let bookkeeper = members::add(
        db,
        &system,
        org,
        NewMember {
            email: Email::parse(BOOKKEEPER_EMAIL)?,
            display_name: "Ben Bookkeeper".into(),
            role: Role::Bookkeeper,
            password: Some(NewPassword::parse(BOOKKEEPER_PASSWORD)?),
        },
        now,
    )
    .await?;
    let actor = Actor::user(owner.user_id, OWNER_EMAIL);
    settings::update(
        db,
        &actor,
        org,
        OrgSettings {
            exceptions_owner_id: Some(bookkeeper.user_id),
            setup_owner_id: Some(owner.user_id),
            escalation_owner_id: Some(owner.user_id),
            ..OrgSettings::default()
        },
        now,
    )
    .await?;
    // The bank feed was authorized 80 days ago: its 90-day renewal is due in 10 days.
    let today = now.date_naive();
    connection_paths::update(
        db,
        &actor,
        org,
        PathKind::BankFeed,
        PathUpdate {
            owner_user_id: Some(owner.user_id),
            set_up_on: Some(today - Duration::days(200)),
            authorized_on: Some(today - Duration::days(80)),
            renews_on: None,
            test_status: TestStatus::Passed,
            notes: "Wise bank feed in QuickBooks; data sharing renews every 90 days.".into(),
        },
        now,
    )
    .await?;
    let tokens = emulators.qbo.state().issue_tokens(&emulators.realm_id);
    connect::qbo(ctx, &actor, org, tokens, now).await?;
    connect::wise(
        ctx,
        &actor,
        org,
        WISE_TOKEN,
        None,
        Some(wise::emulator::BUSINESS_PROFILE_ID),
        now,
    )
    .await?;
    let mapping = mappings::propose(
        db,
        &actor,
        org,
        MappingDraft {
            accounts: emulators.accounts.clone(),
            fee_account_id: Some(emulators.fee_account_id.clone()),
        },
        now,
    )
    .await?;
    runs::enqueue(
        db,
        NewRun {
            organization_id: org,
            purpose: Purpose::TestBatch,
            trigger: Trigger::Setup,
            mapping_id: Some(mapping.id),
            window_from: anchor - Duration::days(30),
            window_to: anchor,
            requested_by: Some(owner.user_id),
        },
        now,
    )
    .await?;
    sync::drain(ctx).await?;
    mappings::apply(db, &actor, org, mapping.id, now).await?;
    runs::enqueue(
        db,
        NewRun {
            organization_id: org,
            purpose: Purpose::Sync,
            trigger: Trigger::Setup,
            mapping_id: None,
            window_from: anchor - Duration::days(183),
            window_to: anchor,
            requested_by: Some(owner.user_id),
        },
        now,
    )
    .await?;
    control::demo_record::remember(db, org, anchor).await?;
    Ok(org)
}
