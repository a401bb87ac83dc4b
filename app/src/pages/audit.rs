//! The audit log of the current organization, newest first.

use crate::api::audit_recent;
use crate::components::messages::LoadError;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| audit_recent());
    view! {
        <h1>"Audit log"</h1>
        <p class="purpose">"Everything anyone did in this organization. Entries are never changed or removed."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(rows) => Either::Left(view! {
                        <table class="grid" data-testid="audit-table">
                            <thead>
                                <tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Subject"</th><th>"Before"</th><th>"After"</th></tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{e.at}</td>
                                        <td>{e.actor}</td>
                                        <td>{e.action}</td>
                                        <td>{e.subject}</td>
                                        <td><code>{e.before.unwrap_or_default()}</code></td>
                                        <td><code>{e.after.unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}
