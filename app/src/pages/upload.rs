//! Statement upload, the connection-quality fallback: pick a Wise statement file, see what it
//! would add line by line, then commit it. The browser reads the file and sends its text; the
//! server checks everything again at commit.

use crate::api::{UploadCommit, UploadPreview};
use crate::components::messages::ActionError;
use control::statement_upload::{
    LineStatus, MAX_UPLOAD_BYTES, UploadOutcome, UploadPreview as Preview,
};
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn UploadPage() -> impl IntoView {
    let preview = ServerAction::<UploadPreview>::new();
    let commit = ServerAction::<UploadCommit>::new();
    // The file as read: its name and text (kept out of reactive reads; it can be large).
    let file = StoredValue::new(None::<(String, String)>);
    let read_error = RwSignal::new(None::<String>);
    let reading = RwSignal::new(false);

    let on_change = move |ev: leptos::ev::Event| {
        read_error.set(None);
        commit.clear();
        preview.clear();
        #[cfg(feature = "hydrate")]
        {
            reading.set(true);
            read_file(ev, move |result| {
                reading.set(false);
                match result {
                    Ok(Some((file_name, content))) => {
                        file.set_value(Some((file_name.clone(), content.clone())));
                        preview.dispatch(UploadPreview { file_name, content });
                    }
                    Ok(None) => file.set_value(None),
                    Err(m) => read_error.set(Some(m)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_commit = move |sha256: String| {
        if let Some((file_name, content)) = file.get_value() {
            commit.dispatch(UploadCommit {
                file_name,
                content,
                sha256,
            });
        }
    };
    let limit_mb = MAX_UPLOAD_BYTES / (1024 * 1024);
    view! {
        <h1>"Statement upload"</h1>
        <p class="purpose">
            "When the Wise connection cannot deliver a statement, download it from Wise (statement JSON, CSV or "
            "camt.053 XML) and upload it here. You see what it would add before anything is stored; lines "
            "already stored are never added twice."
        </p>
        <section class="card" aria-labelledby="pick-h">
            <h2 id="pick-h">"1. Choose the file"</h2>
            <label for="statement-file">{format!("Statement file (JSON, CSV or camt.053 XML; at most {limit_mb} MB)")}</label>
            <input
                id="statement-file"
                type="file"
                accept=".json,.csv,.xml,application/json,text/csv,application/xml,text/xml"
                on:change=on_change
            />
            {move || reading.get().then(|| view! { <p role="status">"Reading the file…"</p> })}
            {move || preview.pending().get().then(|| view! { <p role="status">"Checking the statement…"</p> })}
            {move || read_error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <ActionError value=preview.value()/>
        </section>
        {move || preview.value().get().and_then(Result::ok).map(|p| {
            view! { <PreviewCard p commit on_commit/> }
        })}
    }
}

#[component]
fn PreviewCard(
    p: Preview,
    commit: ServerAction<UploadCommit>,
    on_commit: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let sha = p.sha256.clone();
    let conflicted = p.conflicting > 0;
    let money = |d: Option<String>| d.unwrap_or_else(|| "—".into());
    view! {
        <section class="card" aria-labelledby="preview-h" data-testid="upload-preview">
            <h2 id="preview-h">"2. Check what it would add"</h2>
            <table class="grid facts">
                <tbody>
                    <tr><th>"File"</th><td>{p.file_name.clone()}" ("{p.format.clone()}")"</td></tr>
                    <tr><th>"Currency"</th><td data-testid="upload-currency">{p.currency.clone()}</td></tr>
                    <tr><th>"Period"</th><td>{format!("{} to {}", p.period_from, p.period_to)}</td></tr>
                    <tr><th>"Account holder"</th><td>{p.account_holder.clone().unwrap_or_else(|| "—".into())}</td></tr>
                    <tr><th>"Opening / closing balance"</th><td>{format!("{} / {}", money(p.opening_balance.map(|b| b.to_string())), money(p.closing_balance.map(|b| b.to_string())))}</td></tr>
                </tbody>
            </table>
            <p class="upload-counts" data-testid="upload-counts">
                <span class="count-new">{format!("{} new", p.new)}</span>" · "
                <span>{format!("{} already known", p.known)}</span>" · "
                <span class:alarm=conflicted>{format!("{} conflicting", p.conflicting)}</span>
            </p>
            {(p.conflicting > 0).then(|| view! {
                <p class="alarm-banner">
                    "Conflicting lines have the reference of a stored line but another time or amount. "
                    "They are not added; check them against Wise before anything else."
                </p>
            })}
            <div class="commit-bar">
                <button
                    type="button"
                    disabled=move || commit.pending().get()
                    on:click=move |_| on_commit(sha.clone())
                >
                    {format!("Commit {} new line(s)", p.new)}
                </button>
            </div>
            <ActionError value=commit.value()/>
            {move || commit.value().get().and_then(Result::ok).map(|o| view! { <Committed o/> })}
            <table class="grid" data-testid="upload-lines">
                <thead>
                    <tr><th>"Line"</th><th>"Booked"</th><th>"Reference"</th><th class="num">"Amount"</th><th class="num">"Fee"</th><th>"Counterparty"</th><th>"Description"</th></tr>
                </thead>
                <tbody>
                    {p.lines.into_iter().map(|l| {
                        let class = match l.status {
                            LineStatus::New => "line-new",
                            LineStatus::Known => "line-known",
                            LineStatus::Conflicting => "line-conflict",
                        };
                        view! {
                            <tr class=class>
                                <td>
                                    {l.status.label()}
                                    {l.stored.iter().map(|s| view! {
                                        <span class="stored">{format!(" (stored: {} at {})", s.amount, s.booked_at.format("%Y-%m-%d %H:%M:%S UTC"))}</span>
                                    }).collect_view()}
                                </td>
                                <td>{l.booked_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                <td>{l.reference}</td>
                                <td class="num">{l.amount.to_string()}</td>
                                <td class="num">{l.fee.to_string()}</td>
                                <td>{l.counterparty}</td>
                                <td>{l.description}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(p.lines_not_listed > 0).then(|| view! {
                <p class="note">{format!("{} more line(s) counted above but not listed.", p.lines_not_listed)}</p>
            })}
        </section>
    }
}

#[component]
fn Committed(o: UploadOutcome) -> impl IntoView {
    let run = match (o.added, o.run_id, o.run_was_active) {
        (0, _, _) => Either::Left("Nothing new: every line was already stored.".to_string()),
        (_, Some(id), false) => Either::Left(format!(
            "A sync run (#{id}) is queued for {} to {} to reconcile them.",
            o.period_from, o.period_to
        )),
        (_, Some(id), true) => Either::Left(format!(
            "A sync run (#{id}) was already queued or running; run another sync after it to reconcile these lines."
        )),
        (_, None, _) => Either::Right(()),
    };
    view! {
        <div class="done" role="status" data-testid="upload-result">
            <p>{format!(
                "Committed {}: {} line(s) added, {} already known, {} conflicting left out.",
                o.file_name, o.added, o.known, o.conflicting
            )}</p>
            <p>{run}</p>
        </div>
    }
}

/// Reads the chosen file as text in the browser; refuses one over the size limit before
/// sending anything.
#[cfg(feature = "hydrate")]
fn read_file(
    ev: leptos::ev::Event,
    done: impl FnOnce(Result<Option<(String, String)>, String>) + 'static,
) {
    use wasm_bindgen::JsCast;
    let Some(file) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
    else {
        done(Ok(None));
        return;
    };
    let limit = MAX_UPLOAD_BYTES as f64;
    if file.size() > limit {
        done(Err(format!(
            "The file is {:.1} MB; at most {:.0} MB can be uploaded at once. Download the statement for a shorter period.",
            file.size() / (1024.0 * 1024.0),
            limit / (1024.0 * 1024.0)
        )));
        return;
    }
    let name = file.name();
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        match text.ok().and_then(|v| v.as_string()) {
            Some(t) => done(Ok(Some((name, t)))),
            None => done(Err("The file could not be read as text.".into())),
        }
    });
}
