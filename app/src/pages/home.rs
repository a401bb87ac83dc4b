//! Home: for now, who is signed in where. Connection health, sync and exception figures
//! arrive with the connections and control-room issues.

use crate::api::me;
use crate::components::messages::LoadError;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let identity = Resource::new(|| (), |_| me());
    view! {
        <h1>"Home"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match identity.await {
                    Ok(who) => Either::Left(view! {
                        <section class="card" aria-label="Signed in">
                            <p>
                                "Signed in as " <strong data-testid="home-user">{who.display_name}</strong>
                                " (" {who.email} "), " {who.role.label()} " of "
                                <strong data-testid="home-org">{who.organization_name}</strong> "."
                            </p>
                        </section>
                        <section class="card" aria-label="Health">
                            <h2>"Health at a glance"</h2>
                            <p class="not-built" role="note">
                                "Not built yet: connection states, expiry countdowns, last sync, match rate and exception counts arrive with issues #6 and #7."
                            </p>
                        </section>
                    }),
                    Err(e) => Either::Right(view! { <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}
