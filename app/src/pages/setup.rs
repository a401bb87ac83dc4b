//! First-run setup: the one-time link printed by the server creates the first organization
//! and its owner.

use crate::api::{SetupComplete, setup_status};
use crate::components::hard_navigate;
use crate::components::messages::{ActionError, LoadError};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = Resource::new(token, setup_status);
    let complete = ServerAction::<SetupComplete>::new();
    Effect::new(move |_| {
        if matches!(complete.value().get(), Some(Ok(()))) {
            hard_navigate("/");
        }
    });
    view! {
        <main id="main" class="narrow">
            <h1>"Set up Clearline"</h1>
            <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(true) => EitherOf3::A(view! {
                            <p>"Create your organization and your owner account. This link works once."</p>
                            <ActionForm action=complete attr:class="stack">
                                <input type="hidden" name="token" value=token()/>
                                <label for="organization">"Organization"</label>
                                <input id="organization" name="organization" required/>
                                <label for="name">"Your name"</label>
                                <input id="name" name="name" autocomplete="name" required/>
                                <label for="email">"E-mail"</label>
                                <input id="email" name="email" type="email" autocomplete="username" required/>
                                <label for="password">"Password (at least 12 characters)"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" required/>
                                <label for="password_confirm">"Password again"</label>
                                <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required/>
                                <button type="submit">"Create organization and owner"</button>
                            </ActionForm>
                            <ActionError value=complete.value()/>
                        }),
                        Ok(false) => EitherOf3::B(view! {
                            <p class="error" role="alert">
                                "This setup link is not valid or was already used. "
                                <a href="/login">"Sign in"</a>
                                " instead, or restart Clearline to print a new link if nobody has an account yet."
                            </p>
                        }),
                        Err(e) => EitherOf3::C(view! { <LoadError error=e/> }),
                    }
                })}
            </Suspense>
        </main>
    }
}
