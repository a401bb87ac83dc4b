//! Reconciliation: per currency and period, the matched pairs with why they matched, the
//! suggested matches awaiting a person's decision (verify-then-post), links to what is
//! unmatched, and each currency's balance proof (statement opening + movements = closing).

use crate::api::{MatchDecide, reconciliation_page};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::model::{MatchView, ReconciliationView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ReconciliationPage() -> impl IntoView {
    let decide = ServerAction::<MatchDecide>::new();
    let query = use_query_map();
    // Tracked where the data is fetched; read once (untracked) for the form's initial values.
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let initial = move |k: &str| query.read_untracked().get(k).unwrap_or_default();
    let data = Resource::new(
        move || {
            (
                param("currency"),
                param("from"),
                param("to"),
                param("status"),
                param("page").parse::<i64>().unwrap_or(0),
                decide.version().get(),
            )
        },
        |(currency, from, to, status, page, _)| {
            reconciliation_page(currency, from, to, status, page)
        },
    );
    view! {
        <h1>"Reconciliation"</h1>
        <ActionError value=decide.value()/>
        <ActionDone value=decide.value() text="Decision saved; the next sync applies it."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! {
                    <Filters v=v.clone() current=(initial("currency"), initial("from"), initial("to"), initial("status"))/>
                    <Proofs v=v.clone()/>
                    <Matches v decide/>
                }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Filters(v: ReconciliationView, current: (String, String, String, String)) -> impl IntoView {
    let (currency, from, to, status) = current;
    view! {
        <form method="get" action="/reconciliation" class="inline filters" aria-label="Filter matches">
            <label for="rc-currency">"Currency"</label>
            <select id="rc-currency" name="currency">
                <option value="">"All"</option>
                {v.currencies.into_iter().map(|c| view! { <option value=c.clone() selected=c == currency>{c.clone()}</option> }).collect_view()}
            </select>
            <label for="rc-from">"From"</label>
            <input id="rc-from" name="from" type="date" value=from/>
            <label for="rc-to">"To"</label>
            <input id="rc-to" name="to" type="date" value=to/>
            <label for="rc-status">"Status"</label>
            <select id="rc-status" name="status">
                {[("", "All"), ("auto", "Automatic"), ("suggested", "Suggested (needs a decision)"), ("accepted", "Accepted"), ("rejected", "Rejected")]
                    .into_iter()
                    .map(|(k, l)| view! { <option value=k selected=k == status>{l}</option> })
                    .collect_view()}
            </select>
            <button type="submit">"Show"</button>
        </form>
        <p>
            <a href="/reconciliation?status=suggested"><strong data-testid="suggested-count">{v.suggested}</strong> " suggested match(es)"</a> " await a decision. Unmatched: "
            <a href="/exceptions?kind=missing_in_books">"bank lines without a posting"</a> ", "
            <a href="/exceptions?kind=missing_in_bank">"postings without a bank line"</a> "."
        </p>
    }
}

#[component]
fn Proofs(v: ReconciliationView) -> impl IntoView {
    view! {
        <section class="card" aria-label="Balance proof">
            <h2>"Balance proof"</h2>
            <p class="purpose">"The latest statement of each Wise balance: opening + movements = closing."</p>
            <table class="grid" data-testid="proofs">
                <thead><tr><th>"Currency"</th><th>"Period"</th><th class="num">"Opening"</th><th class="num">"Movements"</th><th class="num">"Closing"</th><th class="num">"Lines"</th><th>"Proof"</th></tr></thead>
                <tbody>
                    {v.proofs.into_iter().map(|p| view! {
                        <tr>
                            <td>{p.currency}</td><td>{p.period}</td>
                            <td class="num">{p.opening}</td><td class="num">{p.movements}</td><td class="num">{p.closing}</td>
                            <td class="num">{p.lines}</td>
                            <td class=if p.balanced { "ok" } else { "bad" }>
                                {if p.balanced { "adds up".to_string() } else { format!("off by {}", p.difference) }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Matches(v: ReconciliationView, decide: ServerAction<MatchDecide>) -> impl IntoView {
    let can = v.can_decide;
    let query = use_query_map();
    let link = move |page: i64| {
        let q = query.read_untracked();
        let keep = ["currency", "from", "to", "status"]
            .into_iter()
            .filter_map(|k| q.get(k).map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join("&");
        format!("/reconciliation?{keep}&page={page}")
    };
    let prev = (v.page > 0).then(|| view! { <a href=link(v.page - 1)>"← Newer"</a> });
    let next = v
        .more
        .then(|| view! { <a href=link(v.page + 1)>"Older →"</a> });
    view! {
        <section class="card" aria-label="Matches">
            <h2>"Matches"</h2>
            <table class="grid" data-testid="matches">
                <thead><tr><th>"Bank"</th><th>"Books"</th><th>"Kind"</th><th>"Status"</th><th>"Why"</th><th>"Lag"</th></tr></thead>
                <tbody>
                    {v.matches.into_iter().map(|m| view! { <MatchRow m can decide/> }).collect_view()}
                </tbody>
            </table>
            <p class="pager">{prev} " " {format!("page {}", v.page + 1)} " " {next}</p>
        </section>
    }
}

#[component]
fn MatchRow(m: MatchView, can: bool, decide: ServerAction<MatchDecide>) -> impl IntoView {
    let suggested = m.status == "suggested";
    let (accept_key, reject_key, why_id) = (m.key.clone(), m.key.clone(), format!("why-{}", m.key));
    view! {
        <tr data-status=m.status.clone()>
            <td>{format!("{} {}", m.currency, m.bank.join(", "))}<br/><small>{m.bank_at.clone()}</small></td>
            <td>{m.books.join(", ")}</td>
            <td>{m.kind.clone()}</td>
            <td>{m.status.clone()} <small>{format!(" ({})", m.confidence)}</small></td>
            <td>{m.reason.clone()}
                {(suggested && can).then(move || view! {
                    <div class="actions">
                        <ActionForm action=decide attr:class="inline">
                            <input type="hidden" name="key" value=accept_key/>
                            <input type="hidden" name="decision" value="accept"/>
                            <input type="hidden" name="note" value=""/>
                            <button type="submit">"Accept"</button>
                        </ActionForm>
                        <ActionForm action=decide attr:class="inline">
                            <input type="hidden" name="key" value=reject_key/>
                            <input type="hidden" name="decision" value="reject"/>
                            <label class="sr-only" for=why_id.clone()>"Why is this match wrong?"</label>
                            <input id=why_id name="note" placeholder="why it is wrong" required/>
                            <button type="submit" class="secondary">"Reject"</button>
                        </ActionForm>
                    </div>
                })}
            </td>
            <td>{m.lag.clone()}</td>
        </tr>
    }
}
