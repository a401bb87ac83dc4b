//! Settings (owners only): the organization's members and roles, sync mode and thresholds,
//! and new organizations.

use crate::api::{
    MembersActive, MembersAdd, MembersRole, OrganizationCreate, SyncSettingsUpdate, members_list,
    sync_settings_get,
};
use crate::components::hard_navigate;
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::error::AppError;
use control::Role;
use control::people::Member;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let add = ServerAction::<MembersAdd>::new();
    let change_role = ServerAction::<MembersRole>::new();
    let set_active = ServerAction::<MembersActive>::new();
    let create_org = ServerAction::<OrganizationCreate>::new();
    let members = Resource::new(
        move || {
            (
                add.version().get(),
                change_role.version().get(),
                set_active.version().get(),
            )
        },
        |_| members_list(),
    );
    Effect::new(move |_| {
        if matches!(create_org.value().get(), Some(Ok(()))) {
            hard_navigate("/settings");
        }
    });
    view! {
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Ok(rows) => EitherOf3::A(view! {
                        <section class="card" aria-labelledby="members-h">
                            <h2 id="members-h">"Members"</h2>
                            <ActionError value=change_role.value()/>
                            <ActionError value=set_active.value()/>
                            <MemberTable rows change_role set_active/>
                        </section>
                    }),
                    Err(AppError::Forbidden) => EitherOf3::B(view! {
                        <p class="error" role="alert" data-testid="settings-forbidden">
                            "Only an owner of this organization can manage members and organizations."
                        </p>
                    }),
                    Err(e) => EitherOf3::C(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="add-h">
            <h2 id="add-h">"Add a member"</h2>
            <ActionForm action=add attr:class="stack">
                <label for="add-email">"E-mail"</label>
                <input id="add-email" name="email" type="email" required/>
                <label for="add-name">"Name"</label>
                <input id="add-name" name="name" required/>
                <label for="add-role">"Role"</label>
                <select id="add-role" name="role">
                    <option value="bookkeeper">"Bookkeeper"</option>
                    <option value="viewer">"Viewer"</option>
                    <option value="owner">"Owner"</option>
                </select>
                <label for="add-password">"Initial password (only for a person without an account; at least 12 characters)"</label>
                <input id="add-password" name="password" type="password" autocomplete="new-password"/>
                <button type="submit">"Add member"</button>
            </ActionForm>
            <ActionError value=add.value()/>
            <ActionDone value=add.value() text="Member added."/>
        </section>
        <SyncSettings/>
        <section class="card" aria-labelledby="org-h">
            <h2 id="org-h">"New organization"</h2>
            <p>"Serve another client business from this login; you become its owner."</p>
            <ActionForm action=create_org attr:class="stack">
                <label for="org-name">"Name"</label>
                <input id="org-name" name="name" required/>
                <button type="submit">"Create organization"</button>
            </ActionForm>
            <ActionError value=create_org.value()/>
        </section>
    }
}

#[component]
fn MemberTable(
    rows: Vec<Member>,
    change_role: ServerAction<MembersRole>,
    set_active: ServerAction<MembersActive>,
) -> impl IntoView {
    view! {
        <table class="grid" data-testid="members">
            <thead>
                <tr><th>"Name"</th><th>"E-mail"</th><th>"Role"</th><th>"Status"</th><th></th></tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|m| {
                    let role_id = format!("role-{}", m.user_id);
                    view! {
                        <tr data-email=m.email.clone()>
                            <td>{m.display_name.clone()}</td>
                            <td>{m.email.clone()}</td>
                            <td>
                                <ActionForm action=change_role attr:class="inline">
                                    <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                    <label class="sr-only" for=role_id.clone()>"Role of " {m.display_name.clone()}</label>
                                    <select id=role_id name="role">
                                        {Role::ALL.into_iter().map(|r| view! {
                                            <option value=r.as_str() selected=r == m.role>{r.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit">"Change"</button>
                                </ActionForm>
                            </td>
                            <td>{if m.active { "Active" } else { "Deactivated" }}</td>
                            <td>
                                <ActionForm action=set_active attr:class="inline">
                                    <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                    <input type="hidden" name="active" value=(!m.active).to_string()/>
                                    {if m.active {
                                        Either::Left(view! { <button type="submit">"Deactivate"</button> })
                                    } else {
                                        Either::Right(view! { <button type="submit">"Reactivate"</button> })
                                    }}
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Sync mode and thresholds (owners).
#[component]
fn SyncSettings() -> impl IntoView {
    let save = ServerAction::<SyncSettingsUpdate>::new();
    let data = Resource::new(move || save.version().get(), |_| sync_settings_get());
    view! {
        <section class="card" aria-labelledby="sync-h">
            <h2 id="sync-h">"Sync, thresholds and reminders"</h2>
            <p class="purpose">
                "Supervised batch (the default) syncs on a schedule; near-continuous also syncs when Wise or QuickBooks sends a verified webhook. "
                "Choose near-continuous only when the posting-lag telemetry and the exception volume justify it. "
                "Renewal reminders (Home, Connections, the weekly run) start the chosen number of days before a Wise or QuickBooks authorization ends."
            </p>
            <ActionError value=save.value()/>
            <ActionDone value=save.value() text="Sync settings saved."/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|s| view! {
                        <ActionForm action=save attr:class="stack">
                            <label for="sync-mode">"Mode"</label>
                            <select id="sync-mode" name="sync_mode">
                                <option value="batch" selected=s.sync_mode == "batch">"Supervised batch (scheduled)"</option>
                                <option value="continuous" selected=s.sync_mode == "continuous">"Near-continuous (schedule + webhooks)"</option>
                            </select>
                            <label for="sync-hours">"Hours between scheduled runs"</label>
                            <input id="sync-hours" name="schedule_hours" type="number" min="1" max="168" value=s.schedule_hours.to_string()/>
                            <label for="sync-window">"Window (days back each run pulls)"</label>
                            <input id="sync-window" name="window_days" type="number" min="1" max="730" value=s.window_days.to_string()/>
                            <label for="sync-stall">"Feed stall after (days without a posting)"</label>
                            <input id="sync-stall" name="stall_days" type="number" min="1" max="60" value=s.stall_days.to_string()/>
                            <label for="sync-spike">"Exception spike above (% of a run's bank lines)"</label>
                            <input id="sync-spike" name="spike_percent" type="number" min="1" max="100" value=s.spike_percent.to_string()/>
                            <label for="sync-reminder">"Renewal reminders start (days before an authorization ends)"</label>
                            <input id="sync-reminder" name="reminder_days" type="number" min="1" max="90" value=s.reminder_days.to_string()/>
                            <button type="submit">"Save sync settings"</button>
                        </ActionForm>
                    })
                })}
            </Suspense>
        </section>
    }
}
