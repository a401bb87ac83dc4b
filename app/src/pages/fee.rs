//! "Book the fee" on an unbooked-fee exception: the drafted Bank Charges Purchase, and the
//! owner's approval that writes it to QuickBooks once (verify-then-post).

use crate::api::{FeeBook, fee_draft};
use crate::components::hard_navigate;
use crate::components::messages::ActionError;
use leptos::prelude::*;

#[component]
pub fn BookTheFee(exception_id: i64) -> impl IntoView {
    let book = ServerAction::<FeeBook>::new();
    let draft = Resource::new(
        move || book.version().get(),
        move |_| fee_draft(exception_id),
    );
    Effect::new(move |_| {
        if matches!(book.value().get(), Some(Ok(_))) {
            hard_navigate(&format!("/exceptions/{exception_id}"));
        }
    });
    view! {
        <section class="card" aria-labelledby="fee-h" data-testid="book-fee">
            <h2 id="fee-h">"Book the fee"</h2>
            <ActionError value=book.value()/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match draft.await {
                        Ok(d) => {
                            let written = d.status == "written";
                            view! {
                                <p class="purpose">"Clearline drafts the Purchase; nothing is written to QuickBooks until an owner approves it, and it is written once."</p>
                                <table class="grid facts">
                                    <tbody>
                                        <tr><th>"Amount"</th><td class="num">{format!("{} {}", d.amount, d.currency)}</td></tr>
                                        <tr><th>"Date"</th><td>{d.txn_date.clone()}</td></tr>
                                        <tr><th>"Paid from"</th><td>{d.bank_account.clone()}</td></tr>
                                        <tr><th>"Expense account"</th><td>{d.fee_account.clone()}</td></tr>
                                        <tr><th>"Description"</th><td>{d.description.clone()}</td></tr>
                                        {d.qbo_id.clone().map(|id| view! { <tr><th>"In QuickBooks"</th><td data-testid="fee-qbo-id">{id}</td></tr> })}
                                        {d.error.clone().map(|e| view! { <tr><th>"Last attempt"</th><td class="error">{e}</td></tr> })}
                                    </tbody>
                                </table>
                                {(d.can_approve && !written).then(|| view! {
                                    <ActionForm action=book>
                                        <input type="hidden" name="exception_id" value=exception_id.to_string()/>
                                        <button type="submit" data-testid="fee-approve">"Approve and book in QuickBooks"</button>
                                    </ActionForm>
                                })}
                                {(!d.can_approve && !written).then(|| view! { <p>"An owner approves fee bookings."</p> })}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="note">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
