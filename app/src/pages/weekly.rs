//! Weekly control run: this week's checklist from the playbook's lanes with the evidence the
//! system sees, the bookkeeper's preparation, the owner's sign-off (never the preparer's),
//! the history of runs, the CSV export and a printable sign-off report.

use crate::api::{WeeklyHistoryRow, WeeklyItemView, WeeklyPageView, WeeklyRunView};
use crate::api::{
    WeeklyItemUpdate, WeeklyReady, WeeklyReopen, WeeklySign, me, weekly_current, weekly_get,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use control::weekly_run::RunStatus;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn WeeklyPage() -> impl IntoView {
    let item = ServerAction::<WeeklyItemUpdate>::new();
    let ready = ServerAction::<WeeklyReady>::new();
    let reopen = ServerAction::<WeeklyReopen>::new();
    let sign = ServerAction::<WeeklySign>::new();
    let data = Resource::new(
        move || {
            (
                item.version().get(),
                ready.version().get(),
                reopen.version().get(),
                sign.version().get(),
            )
        },
        |_| weekly_current(),
    );
    view! {
        <h1>"Weekly control run"</h1>
        <p class="purpose">
            "The playbook's weekly lanes with the evidence Clearline can see. The bookkeeper "
            "prepares the run; an owner who did not prepare it signs it off. A signed run is locked, "
            "and if reconciliation data it covered changes afterwards, the sign-off is withdrawn."
        </p>
        <div aria-live="polite">
            <ActionError value=item.value()/>
            <ActionError value=ready.value()/>
            <ActionError value=reopen.value()/>
            <ActionError value=sign.value()/>
            <ActionDone value=ready.value() text="Handed over for sign-off."/>
            <ActionDone value=sign.value() text="Signed off: the run is locked."/>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <Run view=v item ready reopen sign/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Run(
    view: WeeklyPageView,
    item: ServerAction<WeeklyItemUpdate>,
    ready: ServerAction<WeeklyReady>,
    reopen: ServerAction<WeeklyReopen>,
    sign: ServerAction<WeeklySign>,
) -> impl IntoView {
    let run = view.run;
    let id = run.id;
    let editable = view.can_prepare && run.status == RunStatus::Open;
    let all_done = run.items.iter().all(|i| i.done);
    let prepare_actions = view.can_prepare.then(|| match run.status {
        RunStatus::Open => Some(Either::Left(view! {
            <ActionForm action=ready attr:class="inline">
                <input type="hidden" name="run_id" value=id.to_string()/>
                <button type="submit" data-testid="weekly-ready">"Ready for sign-off"</button>
            </ActionForm>
            {(!all_done).then(|| view! { <span class="purpose">"Mark every lane done first."</span> })}
        })),
        RunStatus::Ready | RunStatus::Withdrawn => Some(Either::Right(view! {
            <ActionForm action=reopen attr:class="inline">
                <input type="hidden" name="run_id" value=id.to_string()/>
                <button type="submit" class="secondary" data-testid="weekly-reopen">"Reopen for changes"</button>
            </ActionForm>
        })),
        RunStatus::Signed => None,
    });
    let sign_form = (view.can_sign && run.status == RunStatus::Ready).then(|| {
        let failing = run.failing.clone();
        view! {
            <section class="card sign-off" aria-label="Sign-off" data-testid="sign-off">
                <h2>"Sign-off"</h2>
                {run.caller_is_maker.then(|| view! {
                    <p class="warn" role="note">
                        "You prepared this run. Maker-checker: someone else must sign it off."
                    </p>
                })}
                {(!failing.is_empty()).then(|| view! {
                    <p class="warn" data-testid="failing-checks">
                        "Failing automatic checks: " {failing.join(", ")}
                        ". Signing anyway needs a written justification."
                    </p>
                })}
                <ActionForm action=sign attr:class="stack">
                    <input type="hidden" name="run_id" value=id.to_string()/>
                    <label for="justification">"Justification (required when an automatic check fails)"</label>
                    <textarea id="justification" name="justification" rows="3"></textarea>
                    <button type="submit" data-testid="weekly-sign">"Sign off"</button>
                </ActionForm>
            </section>
        }
    });
    view! {
        <RunHead run=run.clone()/>
        <ol class="lanes" aria-label="Checklist">
            {run.items.into_iter().map(|i| view! { <Lane item=i run_id=id editable action=item/> }).collect_view()}
        </ol>
        {prepare_actions.flatten().map(|a| view! { <div class="actions">{a}</div> })}
        {sign_form}
        <History rows=view.history/>
    }
}

#[component]
fn RunHead(run: WeeklyRunView) -> impl IntoView {
    let id = run.id;
    let csv_name = format!("clearline-weekly-{}.csv", run.week_code);
    view! {
        <section class="card weekly-head" aria-label="This week's run" data-testid="weekly-run">
            <h2>{run.week_label.clone()}</h2>
            <p>
                "Status: "
                <strong class=format!("run-status {}", run.status.as_str()) data-testid="weekly-status">
                    {run.status.label()}
                </strong>
            </p>
            {run.prepared_by.clone().map(|p| view! {
                <p>"Prepared by " <strong>{p}</strong> ", " {run.prepared_at.clone().unwrap_or_default()}</p>
            })}
            {run.signed_by.clone().map(|s| view! {
                <p>"Signed off by " <strong>{s}</strong> ", " {run.signed_at.clone().unwrap_or_default()}
                   {run.covered.clone().map(|c| format!(" (covers {c})"))}</p>
            })}
            {(!run.justification.is_empty()).then(|| view! {
                <p>"Justification: " {run.justification.clone()}</p>
            })}
            {run.withdrawn_reason.clone().map(|r| {
                let current = run.status == RunStatus::Withdrawn;
                view! {
                    <p class=if current { "withdrawn" } else { "purpose" } role=if current { "alert" } else { "note" } data-testid="withdrawn-reason">
                        {if current { "Sign-off withdrawn" } else { "An earlier sign-off was withdrawn" }}
                        " on " {run.withdrawn_at.clone().unwrap_or_default()} ": " {r}
                    </p>
                }
            })}
            <p class="purpose">
                {if run.live_evidence { "Evidence as of now." } else { "Evidence as frozen at the sign-off." }}
            </p>
            <p class="actions no-print">
                <a href=format!("/weekly/{id}/print") data-testid="weekly-print">"Printable sign-off report"</a>
                <a href=format!("/api/weekly_csv?id={id}") download=csv_name rel="external" data-testid="weekly-csv">"Export CSV"</a>
            </p>
        </section>
    }
}

#[component]
fn Lane(
    item: WeeklyItemView,
    run_id: i64,
    editable: bool,
    action: ServerAction<WeeklyItemUpdate>,
) -> impl IntoView {
    let key = item.key.clone();
    let check = item.check;
    let state = if item.done {
        format!(
            "Done{}{}",
            item.done_by
                .as_ref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            item.done_at
                .as_ref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default()
        )
    } else {
        "Not done yet".to_string()
    };
    let form = editable.then({
        let (key, note, done) = (key.clone(), item.note.clone(), item.done);
        move || {
        let done_id = format!("done-{key}");
        let note_id = format!("note-{key}");
        view! {
            <ActionForm action=action attr:class="lane-form">
                <input type="hidden" name="run_id" value=run_id.to_string()/>
                <input type="hidden" name="item" value=key.clone()/>
                <div class="check-line">
                    <input type="checkbox" id=done_id.clone() name="done" value="on" checked=done/>
                    <label for=done_id>"Done"</label>
                </div>
                <label for=note_id.clone()>"Note"</label>
                <textarea id=note_id name="note" rows="2">{note}</textarea>
                <button type="submit" data-testid=format!("save-{key}")>"Save"</button>
            </ActionForm>
        }
        }
    });
    let note = (!editable && !item.note.is_empty())
        .then(|| view! { <p class="note">"Note: " {item.note.clone()}</p> });
    view! {
        <li class=format!("lane card check-{}", check.as_str()) data-lane=key.clone()>
            <div class="lane-head">
                <h3>{item.lane.clone()}</h3>
                <span class=format!("check {}", check.as_str()) data-testid=format!("check-{key}")>
                    {match check {
                        control::weekly_run::Check::Manual => "No automatic check".to_string(),
                        c => format!("Automatic check: {}", c.label()),
                    }}
                </span>
            </div>
            <dl class="lane-text">
                <dt>"What you do"</dt><dd>{item.action.clone()}</dd>
                <dt>"What you verify"</dt><dd>{item.verify.clone()}</dd>
            </dl>
            <ul class="evidence" aria-label="Evidence">
                {item.facts.into_iter().map(|f| {
                    let (class, mark) = match f.ok {
                        Some(true) => ("ok", "✓ "),
                        Some(false) => ("bad", "✗ "),
                        None => ("", ""),
                    };
                    view! { <li class=class><span aria-hidden="true">{mark}</span>{f.label} ": " <strong>{f.value}</strong></li> }
                }).collect_view()}
            </ul>
            <p class=if item.done { "state done" } else { "state" } data-testid=format!("item-state-{key}")>{state}</p>
            {note}
            {form}
        </li>
    }
}

#[component]
fn History(rows: Vec<WeeklyHistoryRow>) -> impl IntoView {
    view! {
        <section class="card" aria-label="History">
            <h2>"History"</h2>
            <table class="grid" data-testid="weekly-history">
                <thead><tr><th>"Week"</th><th>"Status"</th><th>"Prepared by"</th><th>"Signed off"</th><th>"Report"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr data-status=r.status.as_str()>
                            <td>{r.week_label}</td>
                            <td>
                                {r.status.label()}
                                {r.withdrawn_reason.map(|w| view! { <br/><small>{w}</small> })}
                            </td>
                            <td>{r.prepared_by.unwrap_or_else(|| "—".into())}</td>
                            <td>{match (r.signed_by, r.signed_at) {
                                (Some(b), Some(t)) => format!("{b}, {t}"),
                                _ => "—".into(),
                            }}</td>
                            <td>
                                <a href=format!("/weekly/{}/print", r.id)>"Report"</a> " · "
                                <a href=format!("/api/weekly_csv?id={}", r.id) download="" rel="external">"CSV"</a>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The printable sign-off report of one run (print CSS hides the navigation).
#[component]
pub fn WeeklyPrintPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let data = Resource::new(id, weekly_get);
    let who = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let org = who.await.map(|w| w.organization_name).unwrap_or_default();
                match data.await {
                    Ok(run) => Either::Left(view! { <Report run org/> }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Report(run: WeeklyRunView, org: String) -> impl IntoView {
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    view! {
        <article class="report" data-testid="weekly-report">
            <p class="actions no-print">
                <a href="/weekly">"← Weekly control run"</a>
                <button type="button" on:click=print>"Print"</button>
            </p>
            <h1>"Weekly control run — sign-off report"</h1>
            <table class="grid facts report-facts">
                <tbody>
                    <tr><th>"Organization"</th><td>{org}</td></tr>
                    <tr><th>"Week"</th><td>{run.week_label.clone()}</td></tr>
                    <tr><th>"Status"</th><td data-testid="report-status">{run.status.label()}</td></tr>
                    <tr><th>"Prepared by"</th><td>{dash(run.prepared_by.clone().map(|p| format!("{p}, {}", run.prepared_at.clone().unwrap_or_default())))}</td></tr>
                    <tr><th>"Signed off by"</th><td>{dash(run.signed_by.clone().map(|s| format!("{s}, {}", run.signed_at.clone().unwrap_or_default())))}</td></tr>
                    <tr><th>"Covers"</th><td>{dash(run.covered.clone())}</td></tr>
                    <tr><th>"Fingerprint"</th><td><code>{dash(run.fingerprint.clone())}</code></td></tr>
                    <tr><th>"Justification"</th><td>{if run.justification.is_empty() { "—".to_string() } else { run.justification.clone() }}</td></tr>
                    {run.withdrawn_reason.clone().map(|r| view! {
                        <tr><th>"Withdrawn"</th><td class="bad">{run.withdrawn_at.clone().unwrap_or_default()} ": " {r}</td></tr>
                    })}
                </tbody>
            </table>
            <p class="purpose">
                {if run.live_evidence { "Not signed: evidence as of now." } else { "Evidence as frozen at the sign-off." }}
            </p>
            <table class="grid report-lanes">
                <thead><tr><th>"Lane"</th><th>"What you verify"</th><th>"Evidence"</th><th>"Check"</th><th>"Done"</th><th>"Note"</th></tr></thead>
                <tbody>
                    {run.items.into_iter().map(|i| view! {
                        <tr>
                            <td>{i.lane}</td>
                            <td>{i.verify}</td>
                            <td>
                                <ul class="evidence">
                                    {i.facts.into_iter().map(|f| {
                                        let mark = match f.ok { Some(true) => " ✓", Some(false) => " ✗", None => "" };
                                        view! { <li>{f.label} ": " {f.value} {mark}</li> }
                                    }).collect_view()}
                                </ul>
                            </td>
                            <td>{i.check.label()}</td>
                            <td>{if i.done { format!("Yes — {}", i.done_by.unwrap_or_default()) } else { "No".into() }}</td>
                            <td>{i.note}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}
