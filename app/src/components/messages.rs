//! How results of actions are shown: errors loudly (role="alert"), success briefly.

use crate::error::AppError;
use leptos::prelude::*;

/// The error of the last submission, if any.
#[component]
pub fn ActionError<T>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        value.get().and_then(Result::err).map(|e| {
            view! {
                <p class="error" role="alert">
                    {e.to_string()}
                </p>
            }
        })
    }
}

/// A short confirmation once the last submission succeeded.
#[component]
pub fn ActionDone<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    text: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        matches!(value.get(), Some(Ok(_))).then(|| {
            view! {
                <p class="done" role="status">
                    {text}
                </p>
            }
        })
    }
}

/// An error from loading a page's data.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    let hint = match error {
        AppError::Unauthorized => Some(view! { <a href="/login">"Sign in"</a> }),
        _ => None,
    };
    view! {
        <div class="error" role="alert">
            <p>{error.to_string()}</p>
            {hint}
        </div>
    }
}
