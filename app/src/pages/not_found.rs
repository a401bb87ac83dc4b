use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_status(404);
    view! {
        <main id="main" class="narrow">
            <h1>"Not found"</h1>
            <p>"There is no page here. " <a href="/">"Go to Home"</a></p>
        </main>
    }
}
