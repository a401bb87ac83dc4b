//! Support & escalation: who contacts the vendor when sync issues block billing (vendor
//! contacts and the internal escalation owner), the incident log, and the playbook's fast
//! recovery moves.

use crate::api::{
    ContactView, EscalationOwnerUpdate, IncidentOpen, IncidentUpdate, IncidentView,
    SupportPage as Page, VendorContactDelete, VendorContactSave, support_view,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::model::Person;
use control::incident::{IncidentStatus, Severity};
use leptos::either::Either;
use leptos::prelude::*;

/// The playbook's "Mistake pattern" table: what to do when it happens.
const RECOVERY: [(&str, &str, &str); 5] = [
    (
        "Treating all objects the same",
        "Scope is defined by specific record types, not one generic object",
        "Re-validate object-level mappings and rerun a scoped pilot",
    ),
    (
        "Loose access governance",
        "Ad hoc admin edits can break expected controls",
        "Lock role boundaries and log every admin change",
    ),
    (
        "No exception queue",
        "Missing or duplicate transactions stay unresolved and compound",
        "Run daily discrepancy triage and work flagged transactions one by one",
    ),
    (
        "Unclear support path",
        "Teams lose time during incidents and billing stalls",
        "Define vendor escalation contacts and response owners",
    ),
    (
        "No rollback path",
        "Posted batches can lock from further updates and limit correction options",
        "Pause broad sync, fix the root cause, restart with monitored batches",
    ),
];

#[component]
pub fn SupportPage() -> impl IntoView {
    let save_contact = ServerAction::<VendorContactSave>::new();
    let delete_contact = ServerAction::<VendorContactDelete>::new();
    let escalation = ServerAction::<EscalationOwnerUpdate>::new();
    let open = ServerAction::<IncidentOpen>::new();
    let update = ServerAction::<IncidentUpdate>::new();
    let data = Resource::new(
        move || {
            (
                save_contact.version().get(),
                delete_contact.version().get(),
                escalation.version().get(),
                open.version().get(),
                update.version().get(),
            )
        },
        |_| support_view(),
    );
    view! {
        <h1>"Support & escalation"</h1>
        <p class="purpose">
            "Who contacts the vendor when sync issues block billing, who owns the escalation, "
            "and what happened in each incident."
        </p>
        <div aria-live="polite">
            <ActionError value=save_contact.value()/>
            <ActionDone value=save_contact.value() text="Contact saved."/>
            <ActionError value=delete_contact.value()/>
            <ActionError value=escalation.value()/>
            <ActionDone value=escalation.value() text="Escalation owner saved."/>
            <ActionError value=open.value()/>
            <ActionDone value=open.value() text="Incident opened."/>
            <ActionError value=update.value()/>
            <ActionDone value=update.value() text="Incident saved."/>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! {
                    <Support view=v save_contact delete_contact escalation open update/>
                }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
        <section class="card" aria-label="Fast recovery moves">
            <h2>"Fast recovery moves"</h2>
            <table class="grid">
                <thead><tr><th>"Mistake pattern"</th><th>"Why it creates drift"</th><th>"Fast recovery move"</th></tr></thead>
                <tbody>
                    {RECOVERY.into_iter().map(|(p, why, fix)| view! { <tr><td>{p}</td><td>{why}</td><td>{fix}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn person_options(people: &[Person], chosen: Option<i64>) -> impl IntoView + use<> {
    let people = people.to_vec();
    view! {
        <option value="" selected=chosen.is_none()>"— nobody —"</option>
        {people.into_iter().map(|p| view! {
            <option value=p.id.to_string() selected=chosen == Some(p.id)>{p.name}</option>
        }).collect_view()}
    }
}

#[component]
fn Support(
    view: Page,
    save_contact: ServerAction<VendorContactSave>,
    delete_contact: ServerAction<VendorContactDelete>,
    escalation: ServerAction<EscalationOwnerUpdate>,
    open: ServerAction<IncidentOpen>,
    update: ServerAction<IncidentUpdate>,
) -> impl IntoView {
    let (can_configure, can_log) = (view.can_configure, view.can_log);
    let people = view.people.clone();
    let owner_named = view.escalation_owner.is_some();
    let escalation_options = person_options(&people, view.escalation_owner_id);
    let incident_options = person_options(&people, None);
    view! {
        <section class="card" aria-label="Escalation owner" data-testid="escalation">
            <h2>"Escalation owner"</h2>
            <p>
                "The person who contacts the vendor and owns incident updates: "
                <strong class=if owner_named { "" } else { "bad" } data-testid="escalation-owner">
                    {view.escalation_owner.clone().unwrap_or_else(|| "nobody named".into())}
                </strong>
            </p>
            {can_configure.then(|| view! {
                <ActionForm action=escalation attr:class="inline">
                    <label for="escalation-owner">"Escalation owner"</label>
                    <select id="escalation-owner" name="owner">{escalation_options}</select>
                    <button type="submit">"Save"</button>
                </ActionForm>
            })}
        </section>
        <section class="card" aria-label="Vendor contacts">
            <h2>"Vendor contacts"</h2>
            {if view.contacts.is_empty() {
                Either::Left(view! { <p class="warn">"No vendor contact recorded yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="grid" data-testid="contacts">
                        <thead><tr><th>"Name"</th><th>"Company"</th><th>"Channel"</th><th>"Notes"</th>{can_configure.then(|| view! { <th>"Change"</th> })}</tr></thead>
                        <tbody>
                            {view.contacts.into_iter().map(|c| view! {
                                <Contact contact=c can_configure save_contact delete_contact/>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
            {can_configure.then(|| view! {
                <details>
                    <summary>"Add a contact"</summary>
                    <ContactForm contact=None save_contact/>
                </details>
            })}
        </section>
        <section class="card" aria-label="Incident log">
            <h2>"Incident log"</h2>
            {can_log.then(|| view! {
                <details>
                    <summary>"Open an incident"</summary>
                    <ActionForm action=open attr:class="stack">
                        <label for="incident-title">"Title"</label>
                        <input id="incident-title" name="title" required/>
                        <label for="incident-severity">"Severity"</label>
                        <select id="incident-severity" name="severity">
                            {Severity::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == Severity::Medium>{s.label()}</option> }).collect_view()}
                        </select>
                        <label for="incident-owner">"Owner"</label>
                        <select id="incident-owner" name="owner">{incident_options}</select>
                        <label for="incident-notes">"Notes"</label>
                        <textarea id="incident-notes" name="notes" rows="3"></textarea>
                        <button type="submit" data-testid="incident-open">"Open incident"</button>
                    </ActionForm>
                </details>
            })}
            {if view.incidents.is_empty() {
                Either::Left(view! { <p>"No incidents logged."</p> })
            } else {
                Either::Right(view! {
                    <ul class="incidents" data-testid="incidents">
                        {view.incidents.into_iter().map(|i| view! {
                            <Incident incident=i people=people.clone() can_log update/>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

#[component]
fn Contact(
    contact: ContactView,
    can_configure: bool,
    save_contact: ServerAction<VendorContactSave>,
    delete_contact: ServerAction<VendorContactDelete>,
) -> impl IntoView {
    let id = contact.id;
    view! {
        <tr>
            <td>{contact.name.clone()}</td>
            <td>{contact.company.clone()}</td>
            <td>{contact.channel.clone()}</td>
            <td>{contact.notes.clone()}</td>
            {can_configure.then(|| view! {
                <td>
                    <details>
                        <summary>"Edit"</summary>
                        <ContactForm contact=Some(contact.clone()) save_contact/>
                    </details>
                    <ActionForm action=delete_contact>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="secondary">"Remove"</button>
                    </ActionForm>
                </td>
            })}
        </tr>
    }
}

#[component]
fn ContactForm(
    contact: Option<ContactView>,
    save_contact: ServerAction<VendorContactSave>,
) -> impl IntoView {
    let prefix = contact.as_ref().map_or_else(
        || "contact-new".to_string(),
        |c| format!("contact-{}", c.id),
    );
    let f = move |n: &str| format!("{prefix}-{n}");
    let value = |get: fn(&ContactView) -> String| contact.as_ref().map(get).unwrap_or_default();
    let (id, name, company, channel, notes) = (
        value(|c| c.id.to_string()),
        value(|c| c.name.clone()),
        value(|c| c.company.clone()),
        value(|c| c.channel.clone()),
        value(|c| c.notes.clone()),
    );
    view! {
        <ActionForm action=save_contact attr:class="stack">
            <input type="hidden" name="id" value=id/>
            <label for=f("name")>"Name"</label>
            <input id=f("name") name="name" required value=name/>
            <label for=f("company")>"Company"</label>
            <input id=f("company") name="company" required value=company/>
            <label for=f("channel")>"Channel (e-mail, phone or support portal)"</label>
            <input id=f("channel") name="channel" required value=channel/>
            <label for=f("notes")>"Notes (response times, support-risk note)"</label>
            <textarea id=f("notes") name="notes" rows="2">{notes}</textarea>
            <button type="submit">"Save contact"</button>
        </ActionForm>
    }
}

#[component]
fn Incident(
    incident: IncidentView,
    people: Vec<Person>,
    can_log: bool,
    update: ServerAction<IncidentUpdate>,
) -> impl IntoView {
    let id = incident.id;
    let f = move |n: &str| format!("incident-{id}-{n}");
    let open = incident.status == IncidentStatus::Open;
    let notes = incident.notes.clone();
    let form = can_log.then(move || {
        let (severity, status) = (incident.severity, incident.status);
        view! {
            <details>
                <summary>"Update"</summary>
                <ActionForm action=update attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label for=f("severity")>"Severity"</label>
                    <select id=f("severity") name="severity">
                        {Severity::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == severity>{s.label()}</option> }).collect_view()}
                    </select>
                    <label for=f("owner")>"Owner"</label>
                    <select id=f("owner") name="owner">{person_options(&people, incident.owner_id)}</select>
                    <label for=f("status")>"Status"</label>
                    <select id=f("status") name="status">
                        {IncidentStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == status>{s.label()}</option> }).collect_view()}
                    </select>
                    <label for=f("notes")>"Notes"</label>
                    <textarea id=f("notes") name="notes" rows="3">{notes}</textarea>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <li class=format!("incident card severity-{}{}", incident.severity.as_str(), if open { " open" } else { "" })>
            <div class="invoice-head">
                <strong>{incident.title.clone()}</strong>
                <span class=format!("badge-sev {}", incident.severity.as_str())>{incident.severity.label()}</span>
                <span class=if open { "bad" } else { "ok" }>{incident.status.label()}</span>
            </div>
            <p>
                "Opened " {incident.opened_at.clone()}
                {incident.opened_by.clone().map(|b| format!(" by {b}"))}
                " · Owner: " {incident.owner.clone().unwrap_or_else(|| "nobody".into())}
                {incident.closed_at.clone().map(|c| format!(" · Closed {c}"))}
            </p>
            {(!incident.notes.is_empty()).then(|| view! { <p class="note">{incident.notes.clone()}</p> })}
            {form}
        </li>
    }
}
