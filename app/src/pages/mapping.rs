//! Mapping: each Wise balance to one QuickBooks bank account, the Bank Charges account, and
//! the three owners. A change stays pending until a test batch (a window reconciled under the
//! new mapping) has run and the owner applies it after reviewing the result.

use crate::api::{
    MappingApply, MappingPropose, MappingReject, MappingTest, OwnersUpdate, sync_overview,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::components::sync_panel::RunProgress;
use crate::model::{MappingView, SyncView};
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn MappingPage() -> impl IntoView {
    let propose = ServerAction::<MappingPropose>::new();
    let test = ServerAction::<MappingTest>::new();
    let apply = ServerAction::<MappingApply>::new();
    let reject = ServerAction::<MappingReject>::new();
    let owners = ServerAction::<OwnersUpdate>::new();
    let tick = RwSignal::new(0u32);
    let data = Resource::new(
        move || {
            (
                propose.version().get(),
                test.version().get(),
                apply.version().get(),
                reject.version().get(),
                owners.version().get(),
                tick.get(),
            )
        },
        |_| sync_overview(),
    );
    // While a test batch runs, refresh so its result appears without a reload.
    let testing = RwSignal::new(false);
    Effect::new(move |_| {
        let running = matches!(data.get(), Some(Ok(v)) if v.pending_mapping.as_ref()
            .and_then(|m| m.test_run.as_ref()).is_some_and(|r| r.is_active()));
        testing.set(running || test.pending().get());
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if testing.get_untracked() {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_millis(800),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <h1>"Mapping"</h1>
        <p class="purpose">
            "Each Wise balance maps to one QuickBooks bank account. A change is pending until a test batch passes and the owner applies it; only then does production reconciliation use it."
        </p>
        <ActionError value=propose.value()/>
        <ActionDone value=propose.value() text="Saved as pending. Run a test batch next."/>
        <ActionError value=test.value()/>
        <ActionError value=apply.value()/>
        <ActionDone value=apply.value() text="Applied: production reconciliation now uses this mapping."/>
        <ActionError value=reject.value()/>
        <ActionError value=owners.value()/>
        <ActionDone value=owners.value() text="Owners saved."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <Mapping view=v propose test apply reject owners/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

#[component]
fn Mapping(
    view: SyncView,
    propose: ServerAction<MappingPropose>,
    test: ServerAction<MappingTest>,
    apply: ServerAction<MappingApply>,
    reject: ServerAction<MappingReject>,
    owners: ServerAction<OwnersUpdate>,
) -> impl IntoView {
    let can_edit = view.can_edit;
    let active = view.active_mapping.clone();
    let pending = view.pending_mapping.clone();
    let current = pending.clone().or(active.clone());
    let chosen = move |currency: &str| {
        current
            .as_ref()
            .and_then(|m| m.accounts.iter().find(|(c, _, _)| c == currency))
            .map(|(_, id, _)| id.clone())
    };
    let fee_chosen = pending
        .as_ref()
        .or(active.as_ref())
        .and_then(|m| m.fee_account.as_ref().map(|(id, _)| id.clone()));
    let ready = !view.balances.is_empty() && !view.bank_accounts.is_empty();
    let propose_form = (can_edit && ready).then(|| {
        let bank_accounts = view.bank_accounts.clone();
        view! {
            <section class="card" aria-label="Change the mapping">
                <h2>"Change the mapping"</h2>
                <ActionForm action=propose attr:class="stack">
                    {view.balances.iter().map(|currency| {
                        let sel = chosen(currency);
                        let id = format!("map-{currency}");
                        view! {
                            <label for=id.clone()>{format!("Wise {currency} balance → QuickBooks bank account")}</label>
                            <select id=id name=format!("accounts[{currency}]") data-testid=format!("map-{currency}")>
                                <option value="">"— not mapped —"</option>
                                {bank_accounts.iter().map(|a| {
                                    let label = match &a.currency { Some(c) => format!("{} ({c})", a.name), None => a.name.clone() };
                                    view! { <option value=a.id.clone() selected=sel.as_deref() == Some(a.id.as_str())>{label}</option> }
                                }).collect_view()}
                            </select>
                        }
                    }).collect_view()}
                    <label for="fee-account">"Bank Charges account (Wise fees)"</label>
                    <select id="fee-account" name="fee_account" data-testid="fee-account">
                        <option value="">"— none —"</option>
                        {view.expense_accounts.iter().map(|a| view! {
                            <option value=a.id.clone() selected=fee_chosen.as_deref() == Some(a.id.as_str())>{a.name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" data-testid="mapping-propose">"Save as pending"</button>
                </ActionForm>
            </section>
        }
    });
    let not_ready = (!ready).then(|| view! {
        <p class="warn" role="note">"Connect Wise and QuickBooks first (Connections): the balances and bank accounts come from them."</p>
    });
    let today = view.today;
    let pending_card = pending.map(|m| view! { <PendingCard m can_edit test apply reject today/> });
    let people = view.people.clone();
    let person_select = move |name: &'static str, label: &'static str, chosen: Option<i64>| {
        let people = people.clone();
        view! {
            <label for=name>{label}</label>
            <select id=name name=name disabled=!can_edit>
                <option value="">"— nobody —"</option>
                {people.into_iter().map(|p| view! { <option value=p.id.to_string() selected=chosen == Some(p.id)>{p.name}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        {not_ready}
        <section class="card" aria-label="Applied mapping" data-testid="active-mapping">
            <h2>"Applied"</h2>
            {match active {
                Some(m) => Either::Left(view! { <MappingTable m/> }),
                None => Either::Right(view! { <p>"No mapping applied yet: nothing is reconciled in production."</p> }),
            }}
        </section>
        {pending_card}
        {propose_form}
        <section class="card" aria-label="Owners">
            <h2>"Owners"</h2>
            <p class="purpose">"New exceptions go to the exceptions owner."</p>
            <ActionForm action=owners attr:class="stack">
                {person_select("exceptions_owner", "Exceptions owner", view.exceptions_owner)}
                {person_select("setup_owner", "Setup owner", view.setup_owner)}
                {person_select("escalation_owner", "Vendor-escalation owner", view.escalation_owner)}
                {can_edit.then(|| view! { <button type="submit">"Save owners"</button> })}
            </ActionForm>
        </section>
    }
}

#[component]
fn MappingTable(m: MappingView) -> impl IntoView {
    view! {
        <table class="grid">
            <thead><tr><th>"Wise balance"</th><th>"QuickBooks account"</th></tr></thead>
            <tbody>
                {m.accounts.into_iter().map(|(c, _, name)| view! { <tr><td>{c}</td><td>{name}</td></tr> }).collect_view()}
                <tr><th>"Bank Charges"</th><td>{m.fee_account.map(|(_, n)| n).unwrap_or_else(|| "—".into())}</td></tr>
            </tbody>
        </table>
    }
}

#[component]
fn PendingCard(
    m: MappingView,
    can_edit: bool,
    test: ServerAction<MappingTest>,
    apply: ServerAction<MappingApply>,
    reject: ServerAction<MappingReject>,
    today: chrono::NaiveDate,
) -> impl IntoView {
    let id = m.id;
    let run = m.test_run.clone();
    let passed = run.as_ref().is_some_and(|r| r.status == "succeeded");
    let from = (today - chrono::Duration::days(30)).to_string();
    view! {
        <section class="card pending" aria-label="Pending mapping" data-testid="pending-mapping">
            <h2>"Pending change"</h2>
            <MappingTable m=m.clone()/>
            <h3>"Test batch"</h3>
            {match run {
                Some(r) => {
                    let sample = r.sample.clone();
                    Either::Left(view! {
                        <div data-testid="test-batch"><RunProgress run=r/></div>
                        {(!sample.is_empty()).then(|| view! {
                            <table class="grid">
                                <thead><tr><th>"Exception"</th><th>"Currency"</th><th>"Difference"</th><th>"Why"</th></tr></thead>
                                <tbody>{sample.into_iter().map(|(k, c, d, why)| view! { <tr><td>{k}</td><td>{c}</td><td class="num">{d}</td><td>{why}</td></tr> }).collect_view()}</tbody>
                            </table>
                        })}
                    })
                }
                None => Either::Right(view! { <p>"Not run yet."</p> }),
            }}
            {can_edit.then(|| view! {
                <ActionForm action=test attr:class="inline">
                    <label for="test-from">"From"</label>
                    <input id="test-from" name="from" type="date" value=from.clone()/>
                    <label for="test-to">"To"</label>
                    <input id="test-to" name="to" type="date" value=today.to_string()/>
                    <button type="submit" data-testid="mapping-test">"Run test batch"</button>
                </ActionForm>
                <div class="actions">
                    <ActionForm action=apply>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" disabled=!passed data-testid="mapping-apply">"Apply to production"</button>
                    </ActionForm>
                    <ActionForm action=reject>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="note" value="rejected after review"/>
                        <button type="submit" class="secondary">"Reject"</button>
                    </ActionForm>
                </div>
            })}
        </section>
    }
}
