//! Known vs Unknown: the playbook's matrix, one card per row (readable at phone width), with
//! its owner, status and evidence. Bookkeepers record status and evidence and attach what
//! Clearline measures (observed posting cadence, the applied mapping); owners also rewrite
//! rows, name owners and add rows.

use crate::api::{MatrixAdd, MatrixAttach, MatrixEdit, MatrixEvidence, MatrixScreen, matrix_list};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::model::Person;
use control::playbook::{MatrixRow, MatrixStatus, Measure};
use leptos::either::Either;
use leptos::prelude::*;

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The button that attaches a measurement.
fn attach_label(m: Measure) -> &'static str {
    match m {
        Measure::Cadence => "Attach observed cadence",
        Measure::Mapping => "Attach the applied mapping",
    }
}

#[derive(Clone, Copy)]
struct Actions {
    evidence: ServerAction<MatrixEvidence>,
    attach: ServerAction<MatrixAttach>,
    edit: ServerAction<MatrixEdit>,
    add: ServerAction<MatrixAdd>,
}

#[component]
pub fn MatrixPage() -> impl IntoView {
    let actions = Actions {
        evidence: ServerAction::new(),
        attach: ServerAction::new(),
        edit: ServerAction::new(),
        add: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                actions.evidence.version().get(),
                actions.attach.version().get(),
                actions.edit.version().get(),
                actions.add.version().get(),
            )
        },
        |_| matrix_list(),
    );
    view! {
        <h1>"Known vs Unknown"</h1>
        <p class="purpose">
            "Treat documented scope as your baseline and mark everything else as \"verify in your tenant\" before production reconciliation relies on it. "
            "Each row has an owner, a status and evidence: a note, or a measurement Clearline attaches from what it observed."
        </p>
        <ActionError value=actions.evidence.value()/>
        <ActionDone value=actions.evidence.value() text="Status and evidence saved."/>
        <ActionError value=actions.attach.value()/>
        <ActionDone value=actions.attach.value() text="Measurement attached as evidence."/>
        <ActionError value=actions.edit.value()/>
        <ActionDone value=actions.edit.value() text="Row saved."/>
        <ActionError value=actions.add.value()/>
        <ActionDone value=actions.add.value() text="Row added."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <Matrix view=v actions/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Matrix(view: MatrixScreen, actions: Actions) -> impl IntoView {
    let verified = view
        .rows
        .iter()
        .filter(|r| r.status == MatrixStatus::Verified)
        .count();
    let failed = view
        .rows
        .iter()
        .filter(|r| r.status == MatrixStatus::Failed)
        .count();
    let total = view.rows.len();
    let (can_record, can_edit) = (view.can_record, view.can_edit);
    let people = view.people.clone();
    let add_form = can_edit.then(|| view! { <AddRow people=people.clone() add=actions.add/> });
    view! {
        <p data-testid="matrix-summary">
            <strong>{format!("{verified} of {total} verified")}</strong>
            {(failed > 0).then(|| view! { ", " <strong class="bad">{format!("{failed} failed")}</strong> })}
            {format!(", {} still to verify in your tenant.", total - verified - failed)}
        </p>
        <div class="matrix">
            {view.rows.into_iter().map(|row| view! {
                <RowCard row people=view.people.clone() can_record can_edit actions/>
            }).collect_view()}
        </div>
        {add_form}
    }
}

#[component]
fn RowCard(
    row: MatrixRow,
    people: Vec<Person>,
    can_record: bool,
    can_edit: bool,
    actions: Actions,
) -> impl IntoView {
    let id = row.id;
    let field = move |name: &str| format!("m{id}-{name}");
    let testid = format!(
        "matrix-{}",
        row.seed_key.clone().unwrap_or_else(|| id.to_string())
    );
    let status = row.status;
    let (heading, labelled_by) = (field("h"), field("h"));
    let attach = row.measure.filter(|_| can_record).map(|m| {
        view! {
            <ActionForm action=actions.attach attr:class="inline">
                <input type="hidden" name="id" value=id.to_string()/>
                <button type="submit" class="secondary" data-testid="attach">{attach_label(m)}</button>
            </ActionForm>
        }
    });
    let note = row.evidence_note.clone();
    let record = can_record.then(|| {
        view! {
            <details>
                <summary>"Record status and evidence"</summary>
                <ActionForm action=actions.evidence attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label for=field("status")>"Status"</label>
                    <select id=field("status") name="status">
                        {MatrixStatus::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=*s == status>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <label for=field("note")>"Evidence (what you checked and what you saw)"</label>
                    <textarea id=field("note") name="note" rows="3">{note}</textarea>
                    <button type="submit">"Save status and evidence"</button>
                </ActionForm>
            </details>
        }
    });
    let text = row.clone();
    let edit = can_edit.then(move || {
        let owner = text.owner_user_id;
        view! {
            <details>
                <summary>"Edit row"</summary>
                <ActionForm action=actions.edit attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label for=field("area")>"Area"</label>
                    <input id=field("area") name="area" value=text.area.clone() required/>
                    <label for=field("known")>"Known now"</label>
                    <textarea id=field("known") name="known_now" rows="2">{text.known_now.clone()}</textarea>
                    <label for=field("verify")>"Verify in tenant"</label>
                    <textarea id=field("verify") name="verify_in_tenant" rows="2">{text.verify_in_tenant.clone()}</textarea>
                    <label for=field("why")>"Why it matters"</label>
                    <textarea id=field("why") name="why_it_matters" rows="2">{text.why_it_matters.clone()}</textarea>
                    <label for=field("owner")>"Owner"</label>
                    <select id=field("owner") name="owner_user_id">
                        <option value="" selected=owner.is_none()>"— nobody yet —"</option>
                        {people.into_iter().map(|p| view! {
                            <option value=p.id.to_string() selected=owner == Some(p.id)>{p.name}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit">"Save row"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <article class="card matrix-row" aria-labelledby=labelled_by data-testid=testid data-status=status.as_str()>
            <div class="row-head">
                <h2 id=heading>{row.area.clone()}</h2>
                <span class=format!("status status-{}", status.as_str()) data-testid="status">{status.label()}</span>
            </div>
            <dl class="matrix-facts">
                <dt>"Known now"</dt><dd>{row.known_now.clone()}</dd>
                <dt>"Verify in tenant"</dt><dd>{row.verify_in_tenant.clone()}</dd>
                <dt>"Why it matters"</dt><dd>{row.why_it_matters.clone()}</dd>
                <dt>"Owner"</dt><dd>{row.owner_name.clone().unwrap_or_else(|| "Nobody named".into())}</dd>
                <dt>"Evidence"</dt>
                <dd data-testid="evidence">
                    {if row.evidence_note.is_empty() && row.measurement.is_none() {
                        Either::Left(view! { <span class="purpose">"None yet."</span> })
                    } else {
                        Either::Right(view! {
                            {(!row.evidence_note.is_empty()).then(|| view! { <p>{row.evidence_note.clone()}</p> })}
                            {row.measurement.clone().map(|m| view! {
                                <p class="measurement" data-testid="measurement">
                                    {m} " "
                                    <small>{format!("(measured {})", row.measured_at.map(stamp).unwrap_or_default())}</small>
                                </p>
                            })}
                        })
                    }}
                </dd>
            </dl>
            <div class="actions">{attach}</div>
            {record}
            {edit}
        </article>
    }
}

#[component]
fn AddRow(people: Vec<Person>, add: ServerAction<MatrixAdd>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="add-row-h">
            <h2 id="add-row-h">"Add a row"</h2>
            <ActionForm action=add attr:class="stack">
                <label for="add-area">"Area"</label>
                <input id="add-area" name="area" required/>
                <label for="add-known">"Known now"</label>
                <textarea id="add-known" name="known_now" rows="2"></textarea>
                <label for="add-verify">"Verify in tenant"</label>
                <textarea id="add-verify" name="verify_in_tenant" rows="2"></textarea>
                <label for="add-why">"Why it matters"</label>
                <textarea id="add-why" name="why_it_matters" rows="2"></textarea>
                <label for="add-owner">"Owner"</label>
                <select id="add-owner" name="owner_user_id">
                    <option value="">"— nobody yet —"</option>
                    {people.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                </select>
                <label for="add-measure">"Evidence Clearline can measure for it"</label>
                <select id="add-measure" name="measure">
                    <option value="">"— none —"</option>
                    {Measure::ALL.iter().map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                </select>
                <button type="submit">"Add row"</button>
            </ActionForm>
        </section>
    }
}
