//! Connections: for now the two documented paths Wise takes into QuickBooks, each with an
//! owner, dates, test status, notes and its renewal countdown. Connecting the APIs themselves
//! (QuickBooks OAuth, Wise token) arrives with issue #6.

use crate::api::{ConnectionPathUpdate, connection_paths_list};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::components::renewal::renewal_words;
use crate::model::{PathView, Person};
use control::connection_path::TestStatus;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let save = ServerAction::<ConnectionPathUpdate>::new();
    let data = Resource::new(move || save.version().get(), |_| connection_paths_list());
    view! {
        <h1>"Connections"</h1>
        <p class="not-built" role="note">
            "Not built yet: connecting QuickBooks (OAuth) and Wise (API token or partner OAuth) from here arrives with issue #6. "
            "Below are the two paths Wise uses to reach QuickBooks; each must be set up, tested and renewed on its own."
        </p>
        <ActionError value=save.value()/>
        <ActionDone value=save.value() text="Saved."/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(
                        v.paths
                            .into_iter()
                            .map(|p| {
                                view! { <PathCard view=p people=v.people.clone() can_edit=v.can_edit save/> }
                            })
                            .collect_view(),
                    ),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PathCard(
    view: PathView,
    people: Vec<Person>,
    can_edit: bool,
    save: ServerAction<ConnectionPathUpdate>,
) -> impl IntoView {
    let p = view.path;
    let kind: &'static str = p.kind.as_str();
    let (renewal_text, renewal_class) = renewal_words(view.renewal, view.renewal_due);
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let shown =
        |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    let id = move |field: &str| format!("{kind}-{field}");
    let owner = p.owner_user_id;
    let (status, notes) = (p.test_status, p.notes.clone());
    let dates = (date(p.set_up_on), date(p.authorized_on), date(p.renews_on));
    let form = can_edit.then(move || {
        view! {
            <details>
                <summary>"Edit"</summary>
                <ActionForm action=save attr:class="stack">
                    <input type="hidden" name="path" value=kind/>
                    <label for=id("owner")>"Owner"</label>
                    <select id=id("owner") name="owner_user_id">
                        <option value="" selected=owner.is_none()>"— nobody yet —"</option>
                        {people
                            .into_iter()
                            .map(|m| view! { <option value=m.id.to_string() selected=owner == Some(m.id)>{m.name}</option> })
                            .collect_view()}
                    </select>
                    <label for=id("set_up_on")>"Set up on"</label>
                    <input id=id("set_up_on") name="set_up_on" type="date" value=dates.0/>
                    <label for=id("authorized_on")>"Authorized on"</label>
                    <input id=id("authorized_on") name="authorized_on" type="date" value=dates.1/>
                    <label for=id("renews_on")>"Renews on (empty: from the default consent period)"</label>
                    <input id=id("renews_on") name="renews_on" type="date" value=dates.2/>
                    <label for=id("test_status")>"Test status"</label>
                    <select id=id("test_status") name="test_status">
                        {TestStatus::ALL
                            .into_iter()
                            .map(|t| view! { <option value=t.as_str() selected=t == status>{t.label()}</option> })
                            .collect_view()}
                    </select>
                    <label for=id("notes")>"Notes"</label>
                    <textarea id=id("notes") name="notes" rows="3">{notes}</textarea>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <section class="card" data-path=kind aria-label=p.kind.title()>
            <h2>{p.kind.title()}</h2>
            <p class="purpose">{p.kind.explanation()}</p>
            <p class=renewal_class data-testid=format!("{kind}-renewal")>{renewal_text}</p>
            <table class="grid facts">
                <tbody>
                    <tr><th>"Owner"</th><td>{p.owner_name.clone().unwrap_or_else(|| "Nobody named".into())}</td></tr>
                    <tr><th>"Set up on"</th><td>{shown(p.set_up_on)}</td></tr>
                    <tr><th>"Authorized on"</th><td>{shown(p.authorized_on)}</td></tr>
                    <tr><th>"Test status"</th><td>{p.test_status.label()}</td></tr>
                    <tr><th>"Notes"</th><td>{if p.notes.is_empty() { "—".to_string() } else { p.notes.clone() }}</td></tr>
                </tbody>
            </table>
            {form}
        </section>
    }
}
