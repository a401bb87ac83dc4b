//! Sign in.

use crate::api::Login;
use crate::components::hard_navigate;
use crate::components::messages::ActionError;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    Effect::new(move |_| {
        if matches!(login.value().get(), Some(Ok(()))) {
            hard_navigate("/");
        }
    });
    view! {
        <main id="main" class="narrow">
            <h1>"Sign in to Clearline"</h1>
            <ActionForm action=login attr:class="stack">
                <label for="email">"E-mail"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            <ActionError value=login.value()/>
        </main>
    }
}
