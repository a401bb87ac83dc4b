//! Home: who is signed in where, authorizations that need renewing, and the sync (last run,
//! match rate, Sync now with live progress), this week's control run, exception counts and charts.

use crate::api::{
    connection_health, connection_paths_list, health_alerts, home_figures, me, weekly_alerts,
};
use crate::components::charts::{BarChart, PercentLine};
use crate::components::messages::LoadError;
use crate::components::renewal::renewal_words;
use crate::components::sync_panel::SyncPanel;
use control::connection_health::Health;
use control::connection_path::Renewal;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let identity = Resource::new(|| (), |_| me());
    let can_sync = Signal::derive(move || {
        identity
            .get()
            .and_then(Result::ok)
            .is_some_and(|who| who.role.allows(control::Role::Bookkeeper))
    });
    view! {
        <h1>"Home"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match identity.await {
                    Ok(who) => Either::Left(view! {
                        <section class="card" aria-label="Signed in">
                            <p>
                                "Signed in as " <strong data-testid="home-user">{who.display_name}</strong>
                                <span>{format!(" ({}), {} of ", who.email, who.role.label())}</span>
                                <strong data-testid="home-org">{who.organization_name}</strong> "."
                            </p>
                        </section>
                    }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
        <RenewalAlerts/>
        <ConnectionHealth/>
        <HealthAlerts/>
        <WeeklyStatus/>
        // Reads the identity for the Sync-now permission: inside a Suspense, like every resource.
        <Suspense fallback=|| ()>
            <SyncPanel can_sync=can_sync/>
        </Suspense>
        <Figures/>
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
                    .filter(|p| p.renewal.needs_attention())
                    .collect();
                (!alerts.is_empty()).then(|| view! {
                    <section class="card" aria-label="Alerts" data-testid="alerts">
                        <h2>"Needs attention"</h2>
                        <ul>
                            {alerts.into_iter().map(|p| {
                                let (text, class) = renewal_words(p.renewal, p.renewal_due);
                                view! {
                                    <li class=class>
                                        <a href="/connections">{p.path.kind.title()}</a> <span>{format!(": {text}")}</span>
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

/// Every connection and path with its state, last successful sync and renewal countdown.
#[component]
fn ConnectionHealth() -> impl IntoView {
    let data = Resource::new(|| (), |_| connection_health());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|h| view! {
                    <section class="card" aria-labelledby="health-h" data-testid="connection-health">
                        <h2 id="health-h">"Connections"</h2>
                        <table class="grid stacked">
                            <thead>
                                <tr>
                                    <th scope="col">"Connection"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col">"Last successful sync"</th>
                                    <th scope="col">"Renewal"</th>
                                </tr>
                            </thead>
                            <tbody>{h.rows.into_iter().map(health_row).collect_view()}</tbody>
                        </table>
                        <p class="purpose">
                            {format!("Reminders start {} days before an authorization ends (Settings → Sync). ", h.reminder_days)}
                            <a href="/connections">"Manage connections"</a>
                        </p>
                    </section>
                })
            })}
        </Suspense>
    }
}

fn health_row(row: Health) -> impl IntoView {
    let (renewal, class) = match row.renewal {
        Renewal::Unknown => (row.no_date.clone(), "renewal"),
        known => renewal_words(known, row.renewal_due),
    };
    let last = row.last_success.map_or_else(
        || "—".to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    view! {
        <tr data-testid="health-row">
            <th scope="row" data-label="Connection">{row.name}</th>
            <td data-label="State"><span class=row.level.class() data-testid="health-state">{row.state}</span></td>
            <td data-label="Last successful sync">{last}</td>
            <td data-label="Renewal"><span class=class>{renewal}</span></td>
        </tr>
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

/// Exception counts (unassigned and overdue loudly) and the charts.
#[component]
fn Figures() -> impl IntoView {
    let data = Resource::new(|| (), |_| home_figures());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|f| view! {
                    <section class="card" aria-label="Exceptions" data-testid="home-exceptions">
                        <h2>"Exceptions"</h2>
                        <p class="counts">
                            <a href="/exceptions"><strong data-testid="count-open">{f.open}</strong> " open"</a>
                            <a href="/exceptions?owner=unassigned" class={if f.unassigned > 0 { "bad" } else { "ok" }}>
                                <strong data-testid="count-unassigned">{f.unassigned}</strong> " unassigned"
                            </a>
                            <a href="/exceptions?sort=due" class={if f.overdue > 0 { "bad" } else { "ok" }}>
                                <strong data-testid="count-overdue">{f.overdue}</strong> " overdue"
                            </a>
                        </p>
                        <div class="charts">
                            <BarChart title="Open exceptions by age" bars=f.exception_ages testid="chart-ages"/>
                            <PercentLine title="Match rate over recent syncs" points=f.match_rate testid="chart-match-rate"/>
                            <BarChart title="Posting lag (matched pairs)" bars=f.lag testid="chart-lag"/>
                            {(!f.ar_aging.is_empty()).then(|| view! {
                                <BarChart title="A/R aging (from QuickBooks, whole units)" bars=f.ar_aging.clone() testid="chart-ar"/>
                            })}
                        </div>
                        {f.ar_aging.is_empty().then(|| view! {
                            <p class="purpose">"A/R aging appears here once Collections has fetched QuickBooks' aging report."</p>
                        })}
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
                                        <span>{format!(" on {}: {}", r.withdrawn_at.unwrap_or_default(), r.withdrawn_reason.unwrap_or_default())}</span>
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
