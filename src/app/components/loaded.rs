//! The one way a page shows data it loads: a loading state, then the data,
//! or "not found" for a record that does not exist here, or the error with
//! a way forward. (Every page used to spell this out by hand.)

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ErrorBox, Loading, NotFound};
use crate::error::AppError;

/// Shows `resource` through `ok` inside a `Suspense` (the loading state
/// replaces old content while it reloads).
pub fn loaded<T, F>(resource: Resource<Result<T, AppError>>, ok: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    view! { <Suspense fallback=Loading>{body(resource, ok)}</Suspense> }
}

/// The same inside a `Transition`: while it reloads, the old content stays
/// on screen (lists that refilter as you type or page).
pub fn loaded_keeping<T, F>(resource: Resource<Result<T, AppError>>, ok: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    view! { <Transition fallback=Loading>{body(resource, ok)}</Transition> }
}

fn body<T, F>(resource: Resource<Result<T, AppError>>, ok: F) -> impl Fn() -> Suspend<AnyView>
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    move || {
        let ok = ok.clone();
        Suspend::new(async move {
            match resource.await {
                Ok(v) => ok(v),
                Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            }
        })
    }
}
