//! The frame around every signed-in page: header (organization, person, sign-out) and the
//! navigation to every screen.

use super::hard_navigate;
use crate::api::{SwitchOrganization, me};
use crate::model::Identity;
use crate::pages::screens::SCREENS;
use control::Role;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

#[component]
pub fn Layout() -> impl IntoView {
    let location = use_location();
    // Re-read on every navigation: a role change or deactivation shows at once.
    let identity = Resource::new(move || location.pathname.get(), |_| me());
    view! {
        <div class="app">
            <Transition fallback=|| view! { <header class="top">"Clearline"</header> }>
                {move || Suspend::new(async move {
                    identity.await.ok().map(|who| view! { <Header who=who.clone()/> <Nav role=who.role/> })
                })}
            </Transition>
            <main id="main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn Header(who: Identity) -> impl IntoView {
    let switch = ServerAction::<SwitchOrganization>::new();
    Effect::new(move |_| {
        if matches!(switch.value().get(), Some(Ok(()))) {
            hard_navigate("/");
        }
    });
    let current = who.organization_id;
    let several = who.organizations.len() > 1;
    let choices = who.organizations.clone();
    view! {
        <header class="top">
            <a class="brand" href="/">"Clearline"</a>
            <div class="org">
                <span class="org-name" data-testid="org-name">{who.organization_name.clone()}</span>
                {several.then(|| view! {
                    <ActionForm action=switch attr:class="switch-org">
                        <label for="switch-org">"Switch to"</label>
                        <select id="switch-org" name="organization_id">
                            {choices.into_iter().map(|o| view! {
                                <option value=o.organization_id.to_string() selected=o.organization_id == current>{o.organization_name}</option>
                            }).collect_view()}
                        </select>
                        <button type="submit">"Switch"</button>
                    </ActionForm>
                })}
            </div>
            <div class="who">
                <span data-testid="user-name">{who.display_name.clone()}</span>
                <span class="badge">{who.role.label()}</span>
                // A plain form post: the response is a full redirect to /login, so no page state
                // survives signing out.
                <form method="post" action="/api/logout">
                    <button type="submit" class="link">"Sign out"</button>
                </form>
            </div>
        </header>
    }
}

#[component]
fn Nav(role: Role) -> impl IntoView {
    view! {
        <nav class="side" aria-label="Screens">
            <ul>
                {SCREENS
                    .iter()
                    .filter(|s| role.allows(s.needs))
                    .map(|s| view! { <li><A href=s.path>{s.title}</A></li> })
                    .collect_view()}
            </ul>
        </nav>
    }
}
