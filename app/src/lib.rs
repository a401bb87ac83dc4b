//! Clearline's user interface: the pages, their components, and the server functions they
//! call. Compiled twice: with `ssr` into the server (rendering and server functions), with
//! `hydrate` into the wasm front end.

pub mod access;
pub mod api;
mod components;
pub mod error;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use components::layout::Layout;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();
    view! {
        <Stylesheet id="leptos" href="/pkg/clearline.css"/>
        <Title text="Clearline"/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <Route path=path!("/setup") view=pages::setup::SetupPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("settings") view=pages::settings::SettingsPage/>
                    <Route path=path!("audit") view=pages::audit::AuditPage/>
                    <Route path=path!("connections") view=pages::connections::ConnectionsPage/>
                    <Route path=path!("mapping") view=pages::mapping::MappingPage/>
                    <Route path=path!("matrix") view=pages::matrix::MatrixPage/>
                    <Route path=path!("preflight") view=pages::preflight::PreflightPage/>
                    <Route path=path!("pilot") view=pages::pilot::PilotPage/>
                    <Route path=path!("exceptions") view=pages::exceptions::ExceptionsPage/>
                    <Route path=path!("exceptions/:id") view=pages::exceptions::ExceptionPage/>
                    <Route path=path!("reconciliation") view=pages::reconciliation::ReconciliationPage/>
                    <Route path=path!("weekly") view=pages::weekly::WeeklyPage/>
                    <Route path=path!("weekly/:id/print") view=pages::weekly::WeeklyPrintPage/>
                    <Route path=path!("collections") view=pages::collections::CollectionsPage/>
                    <Route path=path!("support") view=pages::support::SupportPage/>
                    <Route path=path!("upload") view=pages::upload::UploadPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the wasm has taken over, so browser tests can wait
/// for interactivity instead of sleeping. Effects never run on the server.
fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
