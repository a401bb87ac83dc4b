//! The audit log of the current organization, newest first, filterable by action, person,
//! subject and dates, paged, and exportable as CSV. Append-only: nothing here (or anywhere)
//! can change or remove an entry.

use crate::api::audit_search;
use crate::components::messages::LoadError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const FIELDS: [&str; 5] = ["action", "actor", "subject", "from", "to"];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    // Tracked where the data is fetched; read once (untracked) for the form's initial values.
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let initial = move |k: &str| query.read_untracked().get(k).unwrap_or_default();
    let entries = Resource::new(
        move || {
            (
                param("action"),
                param("actor"),
                param("subject"),
                param("from"),
                param("to"),
                param("before"),
            )
        },
        |(action, actor, subject, from, to, before)| {
            audit_search(action, actor, subject, from, to, before)
        },
    );
    let keep = move || {
        let q = query.read();
        FIELDS
            .into_iter()
            .filter_map(|k| q.get(k).map(|v| format!("{k}={}", urlencode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    };
    view! {
        <h1>"Audit log"</h1>
        <p class="purpose">"Everything anyone did in this organization. Entries are never changed or removed."</p>
        <form method="get" action="/audit" class="inline filters" aria-label="Filter the audit log">
            <label for="au-action">"Action starts with"</label>
            <input id="au-action" name="action" value=initial("action") placeholder="exception."/>
            <label for="au-actor">"Who"</label>
            <input id="au-actor" name="actor" value=initial("actor")/>
            <label for="au-subject">"Subject"</label>
            <input id="au-subject" name="subject" value=initial("subject")/>
            <label for="au-from">"From"</label>
            <input id="au-from" name="from" type="date" value=initial("from")/>
            <label for="au-to">"To"</label>
            <input id="au-to" name="to" type="date" value=initial("to")/>
            <button type="submit">"Filter"</button>
        </form>
        <p><a href=move || format!("/api/audit_export?{}", keep()) rel="external" data-testid="audit-export">"Export CSV"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || entries.get().map(|r| match r {
                Ok(page) => Either::Left(view! {
                    <table class="grid" data-testid="audit-table">
                        <thead>
                            <tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Subject"</th><th>"Before"</th><th>"After"</th></tr>
                        </thead>
                        <tbody>
                            {page.entries.into_iter().map(|e| view! {
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
                    {page.next_before.map(|b| view! {
                        <p class="pager"><a href=format!("/audit?{}&before={b}", keep())>"Older →"</a></p>
                    })}
                }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
