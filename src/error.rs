//! The one error type that crosses the server/browser boundary. Database and
//! internal detail is logged on the server and never serialised.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::model::FieldErrors;

/// What went wrong, phrased for the person using the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Validation(FieldErrors),
    #[error("Please log in to continue.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("That page or record does not exist.")]
    NotFound,
    #[error("{0}")]
    Limit(String),
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    Conflict(String),
    /// Carries the request id, for the user to quote to support.
    #[error("{}", internal_message(.0))]
    Internal(String),
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// A validation error on a single field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(name, message);
        AppError::Validation(errors)
    }

    /// The field errors carried by a validation error, if any.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(f) => Some(f),
            _ => None,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation(_) => 422,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Limit(_) => 402,
            AppError::Throttled(_) => 429,
            AppError::Conflict(_) => 409,
            AppError::Internal(_) | AppError::Transport(_) => 500,
        }
    }
}

fn internal_message(reference: &str) -> String {
    let mut m = "Something went wrong on our side. Please try again in a moment.".to_string();
    if !reference.is_empty() {
        m.push_str(&format!(
            " If it keeps happening, give support this reference: {reference}."
        ));
    }
    m
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

/// A database error is an internal error: logged with its cause chain and
/// the line of the `?` that met it, and shown as the plain message.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        crate::server::db::internal(&e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                // A request the server function could not read is the
                // client's mistake: 422, not 500.
                #[cfg(feature = "ssr")]
                if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    res.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
                }
                AppError::field("form", format!("The form was incomplete: {m}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
