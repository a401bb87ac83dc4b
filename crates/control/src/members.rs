//! Memberships: which person holds which role in which organization, and the owner's
//! management of them (add, change role, deactivate, reactivate). Every change is audited
//! with its before and after state, in the same transaction.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::email::Email;
use crate::error::{ControlError, Result};
use crate::organizations;
use crate::password::{self, NewPassword};
use crate::role::Role;
use crate::users;
use chrono::{DateTime, Utc};
use serde_json::json;

pub use crate::people::{Member, OrgMembership};

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: i64,
    email: String,
    display_name: String,
    role: String,
    active: bool,
}

impl MemberRow {
    fn into_member(self) -> Result<Member> {
        Ok(Member {
            role: stored_role(&self.role)?,
            user_id: self.user_id,
            email: self.email,
            display_name: self.display_name,
            active: self.active,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    organization_id: i64,
    organization_name: String,
    role: String,
}

fn stored_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| ControlError::Internal(format!("stored role {s:?} is unknown")))
}

const MEMBER_SELECT: &str = "SELECT u.id AS user_id, u.email, u.display_name, m.role, \
    (CASE WHEN m.active AND u.active THEN TRUE ELSE FALSE END) AS active \
    FROM memberships m JOIN users u ON u.id = m.user_id";

/// All members of an organization, active first, then by name.
pub async fn list(db: &Db, organization_id: i64) -> Result<Vec<Member>> {
    let q = format!(
        "{MEMBER_SELECT} WHERE m.organization_id = $1 \
         ORDER BY (CASE WHEN m.active AND u.active THEN 0 ELSE 1 END), u.display_name, u.id"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, MemberRow>(&q)
        .bind(organization_id)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(MemberRow::into_member).collect()
}

/// The organizations a person may currently work in (active membership, active account).
pub async fn organizations_of(db: &Db, user_id: i64) -> Result<Vec<OrgMembership>> {
    const Q: &str = "SELECT o.id AS organization_id, o.name AS organization_name, m.role \
        FROM memberships m JOIN organizations o ON o.id = m.organization_id \
        JOIN users u ON u.id = m.user_id \
        WHERE m.user_id = $1 AND m.active AND u.active ORDER BY o.name, o.id";
    let rows =
        on_pool!(db, pool => sqlx::query_as::<_, OrgRow>(Q).bind(user_id).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(OrgMembership {
                role: stored_role(&r.role)?,
                organization_id: r.organization_id,
                organization_name: r.organization_name,
            })
        })
        .collect()
}

/// The role a person holds in an organization right now, if the membership and the account
/// are both active. This is what every access decision reads, so a change applies at once.
pub async fn role_of(db: &Db, user_id: i64, organization_id: i64) -> Result<Option<Role>> {
    const Q: &str = "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id \
        WHERE m.user_id = $1 AND m.organization_id = $2 AND m.active AND u.active";
    let role = on_pool!(db, pool => sqlx::query_scalar::<_, String>(Q)
        .bind(user_id)
        .bind(organization_id)
        .fetch_optional(pool)
        .await)?;
    role.as_deref().map(stored_role).transpose()
}

/// A person to add to an organization. The password is needed only when the person has no
/// account yet; someone who already works for another organization keeps theirs.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub password: Option<NewPassword>,
}

/// Adds a member to an organization (creating the person's account if needed).
pub async fn add(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<Member> {
    let hash = match &new.password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let mut tx = db.begin().await?;
    let user_id = add_in(&mut tx, actor, organization_id, &new, hash.as_deref(), now).await?;
    tx.commit().await?;
    list(db, organization_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(ControlError::NotFound("member"))
}

async fn add_in(
    tx: &mut Tx,
    actor: &Actor,
    organization_id: i64,
    new: &NewMember,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let user_id = match users::by_email_in(tx, &new.email).await? {
        Some(existing) => {
            if new.password.is_some() {
                return Err(ControlError::invalid(format!(
                    "{} already has an account; leave the password empty (their own password stays)",
                    new.email
                )));
            }
            existing.id
        }
        None => {
            let hash = password_hash.ok_or_else(|| {
                ControlError::invalid(format!(
                    "{} has no account yet: set an initial password for them",
                    new.email
                ))
            })?;
            let id = users::insert(tx, &new.email, &new.display_name, hash, now).await?;
            audit::record(
                tx,
                actor,
                Change {
                    organization_id: Some(organization_id),
                    action: "user.create",
                    subject: format!("user:{id}"),
                    before: None,
                    after: Some(json!({"email": new.email, "display_name": new.display_name})),
                },
                now,
            )
            .await?;
            id
        }
    };
    if membership_in(tx, user_id, organization_id).await?.is_some() {
        return Err(ControlError::Conflict(format!(
            "{} is already a member of this organization; change their role or reactivate them instead",
            new.email
        )));
    }
    insert_membership_in(tx, actor, user_id, organization_id, new.role, now).await?;
    Ok(user_id)
}

/// Inserts an active membership and audits it (`member.add`).
pub(crate) async fn insert_membership_in(
    tx: &mut Tx,
    actor: &Actor,
    user_id: i64,
    organization_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "INSERT INTO memberships (user_id, organization_id, role, active, created_at) \
        VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => sqlx::query(Q)
        .bind(user_id)
        .bind(organization_id)
        .bind(role.as_str())
        .bind(true)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "member.add",
            subject: format!("user:{user_id}"),
            before: None,
            after: Some(json!({"role": role, "active": true})),
        },
        now,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct MembershipState {
    role: String,
    active: bool,
}

async fn membership_in(
    tx: &mut Tx,
    user_id: i64,
    organization_id: i64,
) -> Result<Option<(Role, bool)>> {
    const Q: &str =
        "SELECT role, active FROM memberships WHERE user_id = $1 AND organization_id = $2";
    let row = on_tx!(tx, conn => sqlx::query_as::<_, MembershipState>(Q)
        .bind(user_id)
        .bind(organization_id)
        .fetch_optional(conn)
        .await)?;
    row.map(|r| Ok((stored_role(&r.role)?, r.active)))
        .transpose()
}

async fn active_owners_in(tx: &mut Tx, organization_id: i64) -> Result<i64> {
    const Q: &str = "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
        WHERE m.organization_id = $1 AND m.role = 'owner' AND m.active AND u.active";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(Q).bind(organization_id).fetch_one(conn).await)?,
    )
}

/// Refuses a change that would leave the organization without an active owner.
async fn keep_an_owner(
    tx: &mut Tx,
    organization_id: i64,
    was: (Role, bool),
    becomes: (Role, bool),
) -> Result<()> {
    let was_owner = was.0 == Role::Owner && was.1;
    let stays_owner = becomes.0 == Role::Owner && becomes.1;
    if was_owner && !stays_owner && active_owners_in(tx, organization_id).await? <= 1 {
        return Err(ControlError::Conflict(
            "an organization needs at least one active owner: make someone else owner first".into(),
        ));
    }
    Ok(())
}

/// Changes a member's role.
pub async fn change_role(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let was = membership_in(&mut tx, user_id, organization_id)
        .await?
        .ok_or(ControlError::NotFound("member"))?;
    if was.0 == role {
        return Ok(());
    }
    keep_an_owner(&mut tx, organization_id, was, (role, was.1)).await?;
    const Q: &str = "UPDATE memberships SET role = $1 WHERE user_id = $2 AND organization_id = $3";
    on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(role.as_str())
        .bind(user_id)
        .bind(organization_id)
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "member.role",
            subject: format!("user:{user_id}"),
            before: Some(json!({"role": was.0})),
            after: Some(json!({"role": role})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Deactivates (`active = false`) or reactivates a membership. A deactivated member cannot
/// act in this organization from their next request on; history keeps their name.
pub async fn set_active(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let was = membership_in(&mut tx, user_id, organization_id)
        .await?
        .ok_or(ControlError::NotFound("member"))?;
    if was.1 == active {
        return Ok(());
    }
    keep_an_owner(&mut tx, organization_id, was, (was.0, active)).await?;
    const Q: &str =
        "UPDATE memberships SET active = $1 WHERE user_id = $2 AND organization_id = $3";
    on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(active)
        .bind(user_id)
        .bind(organization_id)
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: if active {
                "member.reactivate"
            } else {
                "member.deactivate"
            },
            subject: format!("user:{user_id}"),
            before: Some(json!({"active": was.1})),
            after: Some(json!({"active": active})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// What [`provision`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioned {
    pub user_id: i64,
    pub organization_id: i64,
    pub created_organization: bool,
}

/// Puts a person into an organization (by name), creating the organization if it does not
/// exist yet. Used by first-run setup and `clearline user add`.
pub async fn provision(
    db: &Db,
    actor: &Actor,
    organization_name: &str,
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<Provisioned> {
    let hash = match &new.password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let mut tx = db.begin().await?;
    let done = provision_in(
        &mut tx,
        actor,
        organization_name,
        &new,
        hash.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

pub(crate) async fn provision_in(
    tx: &mut Tx,
    actor: &Actor,
    organization_name: &str,
    new: &NewMember,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Provisioned> {
    let name = organizations::parse_name(organization_name)?;
    let (organization_id, created_organization) = match organizations::by_name_in(tx, &name).await?
    {
        Some(org) => (org.id, false),
        None => (organizations::create_in(tx, actor, &name, now).await?, true),
    };
    let user_id = add_in(tx, actor, organization_id, new, password_hash, now).await?;
    Ok(Provisioned {
        user_id,
        organization_id,
        created_organization,
    })
}

/// Refuses `user_id` unless it is an active member (and active user) of the organization.
pub(crate) async fn require_active_member(
    tx: &mut Tx,
    user_id: i64,
    organization_id: i64,
) -> Result<()> {
    const Q: &str = "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
        WHERE m.user_id = $1 AND m.organization_id = $2 AND m.active AND u.active";
    let n = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(Q)
        .bind(user_id)
        .bind(organization_id)
        .fetch_one(conn)
        .await)?;
    if n == 0 {
        return Err(ControlError::Invalid(
            "the person named must be an active member of this organization".into(),
        ));
    }
    Ok(())
}
