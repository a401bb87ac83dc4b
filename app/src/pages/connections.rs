//! Connections: QuickBooks Online (OAuth 2.0) and Wise (API token), each with its health,
//! expiry countdown and last error; "Sync now" with live progress, recent runs and posting-lag
//! telemetry; and the two documented paths Wise uses to reach QuickBooks (bank feed, Wise
//! app), each with an owner, dates, test status, notes and its renewal countdown.

use crate::api::{
    ConnectionDisconnect, ConnectionPathUpdate, WiseConnect, connection_paths_list, sync_overview,
    wise_profiles,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::components::renewal::renewal_words;
use crate::components::sync_panel::{RunFacts, SyncPanel};
use crate::model::{ConnectionView, PathView, Person, SyncView};
use control::connection_path::TestStatus;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let save = ServerAction::<ConnectionPathUpdate>::new();
    let connect_wise = ServerAction::<WiseConnect>::new();
    let disconnect = ServerAction::<ConnectionDisconnect>::new();
    let data = Resource::new(move || save.version().get(), |_| connection_paths_list());
    let overview = Resource::new(
        move || (connect_wise.version().get(), disconnect.version().get()),
        |_| sync_overview(),
    );
    let query = use_query_map();
    let returned = move || {
        let q = query.read();
        if let Some(e) = q.get("error") {
            Some(
                view! { <p class="error" role="alert" data-testid="connect-error">{e}</p> }
                    .into_any(),
            )
        } else {
            q.get("connected").map(|p| {
                let which = if p == "wise" { "Wise" } else { "QuickBooks" };
                view! { <p class="done" role="status" data-testid="connect-done">{format!("{which} is connected.")}</p> }.into_any()
            })
        }
    };
    view! {
        <h1>"Connections"</h1>
        {returned}
        <ActionError value=connect_wise.value()/>
        <ActionDone value=connect_wise.value() text="Wise is connected."/>
        <ActionError value=disconnect.value()/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(v) => Either::Left(view! { <Live view=v connect_wise disconnect/> }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
        <h2>"Documented paths"</h2>
        <p>"The two ways Wise reaches QuickBooks; each must be set up, tested and renewed on its own."</p>
        <ActionError value=save.value()/>
        <ActionDone value=save.value() text="Saved."/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(
                        v.paths
                            .into_iter()
                            .map(|p| {
                                view! { <PathCard view=p people=v.people.clone() can_edit=v.can_edit save/> }
                            })
                            .collect_view(),
                    ),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Live(
    view: SyncView,
    connect_wise: ServerAction<WiseConnect>,
    disconnect: ServerAction<ConnectionDisconnect>,
) -> impl IntoView {
    let can_edit = view.can_edit;
    let qbo = match view.qbo.clone() {
        Some(c) => Either::Left(view! { <ConnectionCard conn=c can_edit disconnect/> }),
        None => Either::Right(view! {
            <section class="card" aria-label="QuickBooks Online" data-testid="qbo-card">
                <h2>"QuickBooks Online"</h2>
                <p>"Not connected."</p>
                {if !view.qbo_configured {
                    Either::Left(view! { <p class="warn">"This server has no Intuit app configured (CLEARLINE_QBO_CLIENT_ID / CLEARLINE_QBO_CLIENT_SECRET)."</p> })
                } else if can_edit {
                    Either::Right(Some(view! { <a class="button" href="/connect/qbo/start" rel="external" data-testid="qbo-connect">"Connect QuickBooks"</a> }))
                } else {
                    Either::Right(None)
                }}
            </section>
        }),
    };
    let wise = match view.wise.clone() {
        Some(c) => Either::Left(view! { <ConnectionCard conn=c can_edit disconnect/> }),
        None => Either::Right(view! {
            <section class="card" aria-label="Wise" data-testid="wise-card">
                <h2>"Wise"</h2>
                <p>"Not connected. Statement upload works without a connection."</p>
                {(can_edit && view.wise_oauth_configured).then(|| view! {
                    <p><a class="button" href="/connect/wise/start" rel="external" data-testid="wise-oauth">"Connect with Wise"</a></p>
                    <p>"or with a personal API token (profiles outside the UK/EEA):"</p>
                })}
                {can_edit.then(|| view! { <WiseTokenForm connect_wise/> })}
            </section>
        }),
    };
    let runs = view.runs.clone();
    let lag = view.lag.clone();
    view! {
        <div class="cards">{qbo}{wise}</div>
        <p>
            "Balances: " {if view.balances.is_empty() { "—".to_string() } else { view.balances.join(", ") }}
            " · Mapping: " {if view.active_mapping.is_some() { "applied" } else { "none applied yet" }}
            " — " <a href="/mapping">"Mapping"</a>
        </p>
        <SyncPanel can_sync=view.can_sync/>
        <section class="card" aria-label="Recent runs">
            <h2>"Recent runs"</h2>
            <table class="grid" data-testid="runs">
                <thead><tr><th>"Run"</th><th>"Trigger"</th><th>"Window"</th><th>"Status"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {runs.into_iter().map(|r| view! {
                        <tr data-status=r.status.clone()>
                            <td>{format!("{} #{}", r.purpose, r.id)}<br/><small>{r.created_at.clone()}</small></td>
                            <td>{r.trigger.clone()}</td>
                            <td>{r.window.clone()}</td>
                            <td>{r.status.clone()}</td>
                            <td>{match r.error.clone() {
                                Some(e) => Either::Left(view! { <span class="error">{e}</span> }),
                                None => Either::Right(view! { <RunFacts run=r.clone()/> }),
                            }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card" aria-label="Posting lag">
            <h2>"Posting lag per path"</h2>
            <p class="purpose">"Bank movement time against the posting's creation time in QuickBooks; rule: " {view.lag_rule.clone()} "."</p>
            <table class="grid" data-testid="lag">
                <thead><tr><th>"Path"</th><th>"Matched pairs"</th><th>"Median"</th><th>"95th percentile"</th><th>"Behaves as"</th></tr></thead>
                <tbody>
                    {lag.into_iter().map(|l| view! {
                        <tr><td>{l.path}</td><td>{l.pairs}</td><td>{l.median}</td><td>{l.p95}</td><td>{l.cadence}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Personal token: "Find profiles" lists what the token sees (profiles and their balances);
/// the owner picks the business profile and connects.
#[component]
fn WiseTokenForm(connect_wise: ServerAction<WiseConnect>) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let find = Action::new(|token: &String| {
        let token = token.clone();
        async move { wise_profiles(token).await }
    });
    let profiles = move || find.value().get();
    view! {
        <ActionForm action=connect_wise attr:class="stack">
            <label for="wise-token">"Personal API token"</label>
            <input id="wise-token" name="token" type="password" autocomplete="off" required
                on:input=move |ev| token.set(event_target_value(&ev)) prop:value=move || token.get()/>
            <button type="button" class="secondary" data-testid="wise-find"
                on:click=move |_| { find.dispatch(token.get_untracked()); }>"Find profiles"</button>
            {move || match profiles() {
                None => view! {
                    <input type="hidden" name="profile_id" value=""/>
                }.into_any(),
                Some(Err(e)) => view! {
                    <input type="hidden" name="profile_id" value=""/>
                    <p class="error" role="alert">{e.to_string()}</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <label for="wise-profile">"Profile"</label>
                    <select id="wise-profile" name="profile_id" data-testid="wise-profile">
                        {list.into_iter().map(|p| {
                            let label = format!(
                                "{} ({}, {}) — balances: {}",
                                p.name,
                                if p.business { "business" } else { "personal" },
                                p.id,
                                if p.balances.is_empty() { "none".to_string() } else { p.balances.join(", ") }
                            );
                            view! { <option value=p.id.to_string() selected=p.business>{label}</option> }
                        }).collect_view()}
                    </select>
                }.into_any(),
            }}
            <label for="wise-sca">"SCA private key (PEM, optional)"</label>
            <textarea id="wise-sca" name="sca_key" rows="3"></textarea>
            <button type="submit" data-testid="wise-connect">"Connect Wise"</button>
        </ActionForm>
    }
}

#[component]
fn ConnectionCard(
    conn: ConnectionView,
    can_edit: bool,
    disconnect: ServerAction<ConnectionDisconnect>,
) -> impl IntoView {
    let provider = conn.provider.clone();
    let expiry = match (conn.expires_on, conn.days_left) {
        (Some(d), Some(n)) if n < 0 => format!("authorization expired on {d}"),
        (Some(d), Some(n)) => format!("authorization runs until {d} ({n} days left)"),
        _ => "no expiry (personal token)".to_string(),
    };
    let warn = conn.renewal.needs_attention();
    view! {
        <section class="card" aria-label=conn.label.clone() data-testid=format!("{provider}-card")>
            <h2>{conn.label.clone()}</h2>
            <p>
                <strong data-testid=format!("{provider}-status") class=if conn.status == "connected" { "ok" } else { "bad" }>{conn.status.clone()}</strong>
                " — " <span data-testid=format!("{provider}-name")>{conn.display_name.clone()}</span>
                " (" {conn.external_id.clone()} ")"
            </p>
            <p class=if warn { "warn" } else { "" }>{expiry}</p>
            <table class="grid facts">
                <tbody>
                    <tr><th>"Connected"</th><td>{conn.connected_at.clone()}</td></tr>
                    <tr><th>"Last successful sync"</th><td>{conn.last_success_at.clone().unwrap_or_else(|| "never".into())}</td></tr>
                    {conn.last_error.clone().map(|e| view! { <tr><th>"Last error"</th><td class="error">{e}</td></tr> })}
                    {conn.facts.into_iter().map(|(k, v)| view! { <tr><th>{k}</th><td>{v}</td></tr> }).collect_view()}
                </tbody>
            </table>
            {can_edit.then(|| {
                let provider = provider.clone();
                view! {
                    <div class="actions">
                        {(provider == "qbo").then(|| view! { <a class="button" href="/connect/qbo/start" rel="external">"Reconnect"</a> })}
                        <ActionForm action=disconnect>
                            <input type="hidden" name="provider" value=provider.clone()/>
                            <button type="submit" class="secondary">"Disconnect"</button>
                        </ActionForm>
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn PathCard(
    view: PathView,
    people: Vec<Person>,
    can_edit: bool,
    save: ServerAction<ConnectionPathUpdate>,
) -> impl IntoView {
    let p = view.path;
    let kind: &'static str = p.kind.as_str();
    let (renewal_text, renewal_class) = renewal_words(view.renewal, view.renewal_due);
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let shown =
        |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    let id = move |field: &str| format!("{kind}-{field}");
    let owner = p.owner_user_id;
    let (status, notes) = (p.test_status, p.notes.clone());
    let dates = (date(p.set_up_on), date(p.authorized_on), date(p.renews_on));
    let form = can_edit.then(move || {
        view! {
            <details>
                <summary>"Edit"</summary>
                <ActionForm action=save attr:class="stack">
                    <input type="hidden" name="path" value=kind/>
                    <label for=id("owner")>"Owner"</label>
                    <select id=id("owner") name="owner_user_id">
                        <option value="" selected=owner.is_none()>"— nobody yet —"</option>
                        {people
                            .into_iter()
                            .map(|m| view! { <option value=m.id.to_string() selected=owner == Some(m.id)>{m.name}</option> })
                            .collect_view()}
                    </select>
                    <label for=id("set_up_on")>"Set up on"</label>
                    <input id=id("set_up_on") name="set_up_on" type="date" value=dates.0/>
                    <label for=id("authorized_on")>"Authorized on"</label>
                    <input id=id("authorized_on") name="authorized_on" type="date" value=dates.1/>
                    <label for=id("renews_on")>"Renews on (empty: from the default consent period)"</label>
                    <input id=id("renews_on") name="renews_on" type="date" value=dates.2/>
                    <label for=id("test_status")>"Test status"</label>
                    <select id=id("test_status") name="test_status">
                        {TestStatus::ALL
                            .into_iter()
                            .map(|t| view! { <option value=t.as_str() selected=t == status>{t.label()}</option> })
                            .collect_view()}
                    </select>
                    <label for=id("notes")>"Notes"</label>
                    <textarea id=id("notes") name="notes" rows="3">{notes}</textarea>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <section class="card" data-path=kind aria-label=p.kind.title()>
            <h2>{p.kind.title()}</h2>
            <p class="purpose">{p.kind.explanation()}</p>
            <p class=renewal_class data-testid=format!("{kind}-renewal")>{renewal_text}</p>
            <table class="grid facts">
                <tbody>
                    <tr><th>"Owner"</th><td>{p.owner_name.clone().unwrap_or_else(|| "Nobody named".into())}</td></tr>
                    <tr><th>"Set up on"</th><td>{shown(p.set_up_on)}</td></tr>
                    <tr><th>"Authorized on"</th><td>{shown(p.authorized_on)}</td></tr>
                    <tr><th>"Test status"</th><td>{p.test_status.label()}</td></tr>
                    <tr><th>"Notes"</th><td>{if p.notes.is_empty() { "—".to_string() } else { p.notes.clone() }}</td></tr>
                </tbody>
            </table>
            {form}
        </section>
    }
}
