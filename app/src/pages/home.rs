//! Home: who is signed in where, authorizations that need renewing, and the sync (last run,
//! match rate, Sync now with live progress). The control-room figures arrive with issue #7.

use crate::api::{connection_paths_list, health_alerts, me, weekly_alerts};
use crate::components::messages::LoadError;
use crate::components::renewal::renewal_words;
use crate::components::sync_panel::SyncPanel;
use control::connection_path::Renewal;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let identity = Resource::new(|| (), |_| me());
    view! {
        <h1>"Home"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match identity.await {
                    Ok(who) => Either::Left(view! {
                        <section class="card" aria-label="Signed in">
                            <p>
                                "Signed in as " <strong data-testid="home-user">{who.display_name}</strong>
                                " (" {who.email} "), " {who.role.label()} " of "
                                <strong data-testid="home-org">{who.organization_name}</strong> "."
                            </p>
                        </section>
                        <RenewalAlerts/>
                        <HealthAlerts/>
                        <WeeklyStatus/>
                        <SyncPanel can_sync=who.role.allows(control::Role::Bookkeeper)/>
                    }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}

/// Paths whose authorization ends within the warning window or has ended.
#[component]
fn RenewalAlerts() -> impl IntoView {
    let data = Resource::new(|| (), |_| connection_paths_list());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let alerts: Vec<_> = data
                    .await
                    .map(|v| v.paths)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| matches!(p.renewal, Renewal::DueSoon { .. } | Renewal::Expired { .. }))
                    .collect();
                (!alerts.is_empty()).then(|| view! {
                    <section class="card" aria-label="Alerts" data-testid="alerts">
                        <h2>"Needs attention"</h2>
                        <ul>
                            {alerts.into_iter().map(|p| {
                                let (text, class) = renewal_words(p.renewal, p.renewal_due);
                                view! {
                                    <li class=class>
                                        <a href="/connections">{p.path.kind.title()}</a> ": " {text}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}

/// Feed stalls, exception spikes, failing connections and authorizations running out.
#[component]
fn HealthAlerts() -> impl IntoView {
    let data = Resource::new(|| (), |_| health_alerts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let alerts = data.await.unwrap_or_default();
                (!alerts.is_empty()).then(|| view! {
                    <section class="card alert" aria-label="Health alerts" data-testid="health-alerts">
                        <h2>"Health alerts"</h2>
                        <ul>{alerts.into_iter().map(|a| view! { <li class="warn">{a}</li> }).collect_view()}</ul>
                    </section>
                })
            })}
        </Suspense>
    }
}

/// This week's control run, and every sign-off withdrawn because covered data changed.
#[component]
fn WeeklyStatus() -> impl IntoView {
    let data = Resource::new(|| (), |_| weekly_alerts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|w| view! {
                    <section class="card" aria-label="Weekly control run" data-testid="weekly-home">
                        <h2>"Weekly control run"</h2>
                        <p>
                            <a href="/weekly">{w.current_week}</a> ": "
                            <strong data-testid="weekly-home-status">{w.current_status.label()}</strong>
                        </p>
                        {(!w.withdrawn.is_empty()).then(|| view! {
                            <ul class="alert-list" role="alert" data-testid="weekly-alerts">
                                {w.withdrawn.into_iter().map(|r| view! {
                                    <li class="warn">
                                        "Sign-off withdrawn for " <a href=format!("/weekly/{}/print", r.id)>{r.week_label}</a>
                                        " on " {r.withdrawn_at.unwrap_or_default()} ": "
                                        {r.withdrawn_reason.unwrap_or_default()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </section>
                })
            })}
        </Suspense>
    }
}
