//! Collections: the A/R aging from QuickBooks (buckets as bars, customers as a table), every
//! open invoice with its follow-up owner (overdue ones without an owner shown loudly) and
//! its follow-up log.

use crate::api::{
    AgingView, CollectionAssign, CollectionFollowUp, CollectionsPage as Page, CollectionsRefresh,
    InvoiceView, collections_view,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::model::Person;
use control::follow_up::Outcome;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn CollectionsPage() -> impl IntoView {
    let refresh = ServerAction::<CollectionsRefresh>::new();
    let assign = ServerAction::<CollectionAssign>::new();
    let follow_up = ServerAction::<CollectionFollowUp>::new();
    let data = Resource::new(
        move || {
            (
                refresh.version().get(),
                assign.version().get(),
                follow_up.version().get(),
            )
        },
        |_| collections_view(),
    );
    view! {
        <h1>"Collections"</h1>
        <p class="purpose">
            "The A/R aging from QuickBooks. Every overdue invoice needs a named follow-up owner; "
            "log each contact with the customer."
        </p>
        <div aria-live="polite">
            <ActionError value=refresh.value()/>
            <ActionDone value=refresh.value() text="Aging refreshed from QuickBooks."/>
            <ActionError value=assign.value()/>
            <ActionError value=follow_up.value()/>
            <ActionDone value=follow_up.value() text="Follow-up logged."/>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <Collections view=v refresh assign follow_up/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Collections(
    view: Page,
    refresh: ServerAction<CollectionsRefresh>,
    assign: ServerAction<CollectionAssign>,
    follow_up: ServerAction<CollectionFollowUp>,
) -> impl IntoView {
    let can_edit = view.can_edit;
    let loud = if view.aging.is_none() {
        Either::Left(
            view! { <p class="warn" role="note">"No aging fetched yet: refresh it from QuickBooks."</p> },
        )
    } else if view.unassigned_overdue > 0 {
        Either::Right(
            view! {
                <p class="loud" role="alert" data-testid="unassigned-overdue">
                    {format!(
                        "{} of {} overdue invoice(s) have no follow-up owner.",
                        view.unassigned_overdue, view.overdue
                    )}
                </p>
            }
            .into_any(),
        )
    } else {
        Either::Right(
            view! {
                <p class="done" data-testid="unassigned-overdue">
                    {format!("Every overdue invoice ({}) has a follow-up owner.", view.overdue)}
                </p>
            }
            .into_any(),
        )
    };
    let people = view.people.clone();
    let today = view.today;
    view! {
        {can_edit.then(|| view! {
            <ActionForm action=refresh attr:class="inline no-print">
                <button type="submit" data-testid="collections-refresh">"Refresh from QuickBooks"</button>
            </ActionForm>
        })}
        {loud}
        {view.aging.map(|a| view! { <Aging aging=a/> })}
        <section class="card" aria-label="Open invoices">
            <h2>"Open invoices"</h2>
            {if view.invoices.is_empty() {
                Either::Left(view! { <p>"No open invoices."</p> })
            } else {
                Either::Right(view! {
                    <ul class="invoices" data-testid="invoices">
                        {view.invoices.into_iter().map(|i| view! {
                            <Invoice invoice=i people=people.clone() can_edit today assign follow_up/>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

#[component]
fn Aging(aging: AgingView) -> impl IntoView {
    let headers = aging
        .buckets
        .iter()
        .map(|b| b.label.clone())
        .collect::<Vec<_>>();
    view! {
        <section class="card" aria-label="A/R aging" data-testid="aging">
            <h2>"A/R aging on " {aging.report_date.to_string()}</h2>
            <p class="purpose">
                "Fetched " {aging.fetched_at.clone()}
                {aging.fetched_by.clone().map(|b| format!(" by {b}"))}
                ". Total open: " <strong data-testid="aging-total">{aging.total.clone()}</strong>
            </p>
            <ul class="bars" aria-label="Open balance per bucket">
                {aging.buckets.into_iter().map(|b| view! {
                    <li>
                        <span class="bar-label">{b.label.clone()}</span>
                        <span class="bar" aria-hidden="true"><span style=format!("width: {}%", b.percent.min(100))></span></span>
                        <span class="bar-value">{b.amount} " (" {b.percent} " %)"</span>
                    </li>
                }).collect_view()}
            </ul>
            <table class="grid">
                <thead>
                    <tr>
                        <th>"Customer"</th>
                        {headers.into_iter().map(|h| view! { <th class="num">{h}</th> }).collect_view()}
                        <th class="num">"Total"</th>
                    </tr>
                </thead>
                <tbody>
                    {aging.customers.into_iter().map(|(name, amounts, total)| view! {
                        <tr>
                            <td>{name}</td>
                            {amounts.into_iter().map(|a| view! { <td class="num">{a}</td> }).collect_view()}
                            <td class="num"><strong>{total}</strong></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Invoice(
    invoice: InvoiceView,
    people: Vec<Person>,
    can_edit: bool,
    today: chrono::NaiveDate,
    assign: ServerAction<CollectionAssign>,
    follow_up: ServerAction<CollectionFollowUp>,
) -> impl IntoView {
    let key = invoice.key.clone();
    // Ids safe for HTML (the key holds colons).
    let slug: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let overdue = invoice.days_overdue > 0;
    let unassigned = overdue && invoice.owner_id.is_none();
    let owner = invoice.owner_id;
    let class = match (overdue, unassigned) {
        (true, true) => "invoice card overdue unassigned",
        (true, false) => "invoice card overdue",
        _ => "invoice card",
    };
    let owner_form = can_edit.then({
        let (key, doc, id) = (key.clone(), invoice.doc_number.clone(), format!("owner-{slug}"));
        move || {
        view! {
            <ActionForm action=assign attr:class="inline">
                <input type="hidden" name="invoice" value=key.clone()/>
                <label for=id.clone()>"Follow-up owner"</label>
                <select id=id name="owner" data-testid=format!("owner-{doc}")>
                    <option value="" selected=owner.is_none()>"— nobody —"</option>
                    {people.into_iter().map(|p| view! {
                        <option value=p.id.to_string() selected=owner == Some(p.id)>{p.name}</option>
                    }).collect_view()}
                </select>
                <button type="submit">"Save"</button>
            </ActionForm>
        }
        }
    });
    let log_form = can_edit.then(move || {
        let f = move |n: &str| format!("{n}-{slug}");
        view! {
            <details>
                <summary>"Log a follow-up"</summary>
                <ActionForm action=follow_up attr:class="stack">
                    <input type="hidden" name="invoice" value=key.clone()/>
                    <label for=f("contacted")>"Contacted on"</label>
                    <input id=f("contacted") name="contacted_on" type="date" value=today.to_string() required/>
                    <label for=f("outcome")>"Outcome"</label>
                    <select id=f("outcome") name="outcome">
                        {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                    </select>
                    <label for=f("promised")>"Promised payment date (if any)"</label>
                    <input id=f("promised") name="promised_on" type="date"/>
                    <label for=f("note")>"Note"</label>
                    <textarea id=f("note") name="note" rows="2"></textarea>
                    <button type="submit">"Log follow-up"</button>
                </ActionForm>
            </details>
        }
    });
    let log = invoice.follow_ups.clone();
    view! {
        <li class=class data-invoice=invoice.doc_number.clone()>
            <div class="invoice-head">
                <strong>{invoice.customer.clone()}</strong>
                " — invoice " {invoice.doc_number.clone()}
                <span class="amount">{invoice.open_balance.clone()}</span>
            </div>
            <p>
                "Due " {invoice.due_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into())} " · "
                {if overdue { format!("{} days overdue ({})", invoice.days_overdue, invoice.bucket) } else { "not due yet".to_string() }}
                " · Owner: "
                <span class=if unassigned { "bad" } else { "" }>
                    {invoice.owner.clone().unwrap_or_else(|| if overdue { "nobody — assign one".into() } else { "—".into() })}
                </span>
            </p>
            {owner_form}
            {(!log.is_empty()).then(|| view! {
                <table class="grid follow-ups">
                    <thead><tr><th>"Contacted"</th><th>"Outcome"</th><th>"Promised"</th><th>"Note"</th><th>"Who"</th></tr></thead>
                    <tbody>
                        {log.into_iter().map(|f| view! {
                            <tr>
                                <td>{f.contacted_on.to_string()}</td>
                                <td>{f.outcome.label()}</td>
                                <td>{f.promised_on.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td>{f.note}</td>
                                <td>{f.by.unwrap_or_default()}<br/><small>{f.at}</small></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {log_form}
        </li>
    }
}
