//! Preflight: what the system checks for itself (connections live, multicurrency on, every
//! Wise balance mapped, owners named), the playbook's preflight and access-control items with
//! an owner, done flag and note, and the go / no-go checkpoint the owner signs — refused while
//! an automatic check fails — with its history.

use crate::api::{PreflightItemUpdate, PreflightScreen, PreflightSign, preflight_view};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::model::Person;
use control::playbook::{Check, Checkpoint, Decision, PreflightItem, Section, failing};
use leptos::either::Either;
use leptos::prelude::*;

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn PreflightPage() -> impl IntoView {
    let update = ServerAction::<PreflightItemUpdate>::new();
    let sign = ServerAction::<PreflightSign>::new();
    let data = Resource::new(
        move || (update.version().get(), sign.version().get()),
        |_| preflight_view(),
    );
    view! {
        <h1>"Preflight"</h1>
        <p class="purpose">
            "Before anything syncs, lock the inputs that drive reconciliation quality: access, scope, mapping and ownership. "
            "Clearline checks what it can see for itself; the owner signs the go / no-go checkpoint."
        </p>
        <ActionError value=update.value()/>
        <ActionDone value=update.value() text="Item saved."/>
        <ActionError value=sign.value()/>
        <ActionDone value=sign.value() text="Checkpoint signed."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <Preflight view=v update sign/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Preflight(
    view: PreflightScreen,
    update: ServerAction<PreflightItemUpdate>,
    sign: ServerAction<PreflightSign>,
) -> impl IntoView {
    let can_edit = view.can_edit;
    let sections = Section::ALL.iter().map(|section| {
        let items: Vec<PreflightItem> = view
            .items
            .iter()
            .filter(|i| i.section == *section)
            .cloned()
            .collect();
        let done = items.iter().filter(|i| i.done).count();
        let heading = format!("section-{}", section.as_str());
        let labelled_by = heading.clone();
        let people = view.people.clone();
        view! {
            <section class="card" aria-labelledby=labelled_by data-testid=format!("items-{}", section.as_str())>
                <h2 id=heading>{section.label()}</h2>
                <p class="purpose">{format!("{done} of {} done.", items.len())}</p>
                <ol class="checklist">
                    {items.into_iter().map(|item| view! {
                        <ItemEntry item people=people.clone() can_edit update/>
                    }).collect_view()}
                </ol>
            </section>
        }
    }).collect_view();
    let open = view.items.iter().filter(|i| !i.done).count();
    view! {
        <Checks checks=view.checks.clone()/>
        <SignCard checks=view.checks.clone() history=view.checkpoints.clone() open can_edit sign/>
        {sections}
    }
}

#[component]
fn Checks(checks: Vec<Check>) -> impl IntoView {
    let passed = checks.iter().filter(|c| c.passed).count();
    let total = checks.len();
    view! {
        <section class="card" aria-labelledby="checks-h">
            <h2 id="checks-h">"Automatic checks"</h2>
            <p class=if passed == total { "ok" } else { "bad" } data-testid="checks-summary">
                {format!("{passed} of {total} pass.")}
            </p>
            <ul class="checks" data-testid="auto-checks">
                {checks.into_iter().map(|c| view! {
                    <li class=if c.passed { "check pass" } else { "check fail" } data-key=c.key.clone() data-passed=c.passed.to_string()>
                        <span class="mark" aria-hidden="true">{if c.passed { "✓" } else { "✗" }}</span>
                        <span>
                            <strong>{c.label.clone()}</strong>
                            <span class="sr-only">{if c.passed { " (passes)" } else { " (fails)" }}</span>
                            " — " {c.detail.clone()}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn SignCard(
    checks: Vec<Check>,
    history: Vec<Checkpoint>,
    open: usize,
    can_edit: bool,
    sign: ServerAction<PreflightSign>,
) -> impl IntoView {
    let failed: Vec<String> = failing(&checks).into_iter().map(String::from).collect();
    let blocked = (!failed.is_empty()).then(|| {
        view! {
            <p class="warn" role="note" data-testid="sign-blocked">
                "The checkpoint cannot be signed while automatic checks fail: " {failed.join("; ")} "."
            </p>
        }
    });
    let form = can_edit.then(|| {
        view! {
            <ActionForm action=sign attr:class="stack">
                <fieldset class="choices">
                    <legend>"Decision"</legend>
                    {Decision::ALL.iter().map(|d| {
                        let id = format!("decision-{}", d.as_str());
                        let label_for = id.clone();
                        view! {
                            <label for=label_for>
                                <input type="radio" id=id name="decision" value=d.as_str() checked={*d == Decision::Go}/>
                                " " {d.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="sign-note">"Note (what the team confirmed, or why not yet)"</label>
                <textarea id="sign-note" name="note" rows="2"></textarea>
                <button type="submit" data-testid="sign">"Sign the checkpoint"</button>
            </ActionForm>
        }
    });
    let open_note = (open > 0).then(|| {
        view! {
            <p class="purpose">
                {format!("{open} checklist items are not marked done; they are recorded with the signature.")}
            </p>
        }
    });
    view! {
        <section class="card" aria-labelledby="sign-h">
            <h2 id="sign-h">"Go / no-go checkpoint"</h2>
            <p class="purpose">"Team confirms the checkpoint before mapping begins. Signed by an owner; every signature is kept."</p>
            {blocked}
            {open_note}
            {form}
            <h3>"History"</h3>
            {if history.is_empty() {
                Either::Left(view! { <p data-testid="checkpoints-empty">"Not signed yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="grid" data-testid="checkpoints">
                        <thead><tr><th>"Signed"</th><th>"By"</th><th>"Decision"</th><th>"Note"</th><th>"At signing"</th></tr></thead>
                        <tbody>
                            {history.into_iter().map(|c| {
                                let passed = c.checks.iter().filter(|x| x.passed).count();
                                view! {
                                    <tr data-decision=c.decision.as_str()>
                                        <td>{stamp(c.signed_at)}</td>
                                        <td>{c.signed_by_name.clone()}</td>
                                        <td><strong class=if c.decision == Decision::Go { "ok" } else { "bad" }>{c.decision.label()}</strong></td>
                                        <td>{if c.note.is_empty() { "—".to_string() } else { c.note.clone() }}</td>
                                        <td>
                                            {format!("{passed} of {} automatic checks passed", c.checks.len())}
                                            {(!c.open_items.is_empty()).then(|| view! {
                                                <br/><small>{format!("open: {}", c.open_items.join(", "))}</small>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}

#[component]
fn ItemEntry(
    item: PreflightItem,
    people: Vec<Person>,
    can_edit: bool,
    update: ServerAction<PreflightItemUpdate>,
) -> impl IntoView {
    let id = item.id;
    let field = move |name: &str| format!("p{id}-{name}");
    let state = if item.done {
        format!(
            "Done{}{}",
            item.done_by_name
                .as_deref()
                .map(|n| format!(" by {n}"))
                .unwrap_or_default(),
            item.done_at
                .map(|t| format!(" on {}", t.format("%Y-%m-%d")))
                .unwrap_or_default()
        )
    } else {
        "Not done".to_string()
    };
    let owner = item.owner_user_id;
    let (done, note) = (item.done, item.note.clone());
    let form = can_edit.then(move || {
        view! {
            <details>
                <summary>"Update"</summary>
                <ActionForm action=update attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label for=field("owner")>"Owner"</label>
                    <select id=field("owner") name="owner_user_id">
                        <option value="" selected=owner.is_none()>"— nobody yet —"</option>
                        {people.into_iter().map(|p| view! {
                            <option value=p.id.to_string() selected=owner == Some(p.id)>{p.name}</option>
                        }).collect_view()}
                    </select>
                    <label class="check-label" for=field("done")>
                        <input type="checkbox" id=field("done") name="done" value="true" checked={done}/>
                        " Done: the verification outcome holds"
                    </label>
                    <label for=field("note")>"Note"</label>
                    <textarea id=field("note") name="note" rows="2">{note}</textarea>
                    <button type="submit">"Save item"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <li class=if item.done { "item done-item" } else { "item" } data-key=item.seed_key.clone()>
            <h3>{item.area.clone()}</h3>
            <p><span class="label">"Action: "</span>{item.action.clone()}</p>
            <p><span class="label">"Verified when: "</span>{item.verification.clone()}</p>
            <p class="item-state">
                <strong class=if item.done { "ok" } else { "" }>{state}</strong>
                " · Owner: " {item.owner_name.clone().unwrap_or_else(|| "nobody named".into())}
            </p>
            {(!item.note.is_empty()).then(|| view! { <p class="purpose">{item.note.clone()}</p> })}
            {form}
        </li>
    }
}
