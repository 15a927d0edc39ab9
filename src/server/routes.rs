//! Plain axum routes beside the Leptos pages: the tenant's logo, the logo
//! upload (multipart), the signup hand-off and the platform's "find my
//! company" jump.

use axum::extract::{Multipart, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use tower_sessions::Session;

use super::context::{not_found, sign_in, urlencode, SessionAuth};
use super::redirect::{same_site_path, see_other};
use super::{platform, repo, tokens, RequestCtx};
use crate::error::AppError;

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// `GET /sw.js`: the service worker that keeps a crew's day readable
/// offline and queues what the crew does there (see the file's comment).
/// Its policy lets it fetch from this site only; browsers check it for a
/// new version on every visit.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; connect-src 'self'",
            ),
        ],
        include_str!("sw.js"),
    )
        .into_response()
}

/// `GET /brand/logo`: the tenant's logo, cached by version in the URL.
pub async fn logo(Extension(cx): Extension<RequestCtx>) -> Response {
    let Ok(mut tx) = cx.tx().await else {
        return not_found();
    };
    match repo::orgs::logo(&mut tx).await {
        Ok(Some((content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable".to_string(),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'".to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The image type of an upload, from its first bytes (never from the name).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `POST /settings/logo` (multipart field `logo`, optional `next`): owners
/// and admins replace the logo. Errors come back to the form as `?logo_error=`.
pub async fn upload_logo(Extension(cx): Extension<RequestCtx>, mut form: Multipart) -> Response {
    let mut next = "/settings".to_string();
    let mut file: Option<Vec<u8>> = None;
    let mut too_big = false;
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("next") => {
                if let Some(v) = field.text().await.ok().and_then(|v| same_site_path(&v)) {
                    next = v;
                }
            }
            Some("logo") => {
                let mut buf = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    buf.extend_from_slice(&chunk);
                    if buf.len() > MAX_LOGO_BYTES {
                        too_big = true;
                        break;
                    }
                }
                file = Some(buf);
            }
            _ => {}
        }
    }
    let back = |msg: &str| {
        let sep = if next.contains('?') { '&' } else { '?' };
        see_other(&format!("{next}{sep}logo_error={}", urlencode(msg)))
    };
    let member = match cx.member_who(crate::model::Role::manages_settings, "change the logo") {
        Ok(m) => m.id,
        Err(AppError::Unauthorized) => return see_other("/login"),
        Err(e) => return back(&e.to_string()),
    };
    let bytes = match file {
        _ if too_big => {
            return back("That file is over 512 KB. Use a smaller PNG, JPEG or WebP image.")
        }
        Some(b) if !b.is_empty() => b,
        _ => return back("Choose an image file to upload."),
    };
    let Some(content_type) = sniff_image(&bytes) else {
        return back("That file is not a PNG, JPEG or WebP image.");
    };
    let result = async {
        let mut tx = cx.tx().await?;
        repo::orgs::set_logo(&mut tx, content_type, &bytes).await?;
        repo::audit::record(
            &mut tx,
            Some(member),
            "organization.logo_changed",
            None,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => see_other(&next),
        Err(e) => back(&e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct HandoffQuery {
    token: String,
}

/// `GET /auth/handoff?token=`: after signup on the platform domain, logs
/// the new owner in on their own host (the session cookie is host-only).
pub async fn handoff(
    Extension(cx): Extension<RequestCtx>,
    session: Session,
    Query(q): Query<HandoffQuery>,
) -> Response {
    let Ok(org) = cx.tenant_id() else {
        return not_found();
    };
    let result = async {
        let mut tx = cx.tx().await?;
        let user =
            repo::auth_tokens::consume(&mut tx, "signup_handoff", &tokens::hash(&q.token)).await?;
        let user = match user {
            Some(id) => repo::users::by_id(&mut tx, id).await?,
            None => None,
        };
        tx.commit().await?;
        Ok::<_, AppError>(user)
    }
    .await;
    match result {
        Ok(Some(user)) => {
            if sign_in(
                &session,
                SessionAuth {
                    org_id: Some(org),
                    user_id: user.id,
                    epoch: user.session_epoch,
                },
            )
            .await
            .is_err()
            {
                return super::telemetry::internal_error_page(
                    &super::telemetry::current_request_id(),
                );
            }
            see_other("/onboarding")
        }
        Ok(None) => see_other("/login?expired=1"),
        Err(_) => super::telemetry::internal_error_page(&super::telemetry::current_request_id()),
    }
}

#[derive(Deserialize)]
pub struct GoQuery {
    subdomain: String,
}

/// `GET /go?subdomain=`: the platform's "log in to my company" form.
pub async fn go(Extension(cx): Extension<RequestCtx>, Query(q): Query<GoQuery>) -> Response {
    let sub = q.subdomain.trim().to_lowercase();
    let found = match crate::model::subdomain(&sub) {
        Ok(s) => platform::tenant_for_host(&cx.state.pool, Some(&s), None)
            .await
            .ok()
            .flatten()
            .is_some(),
        Err(_) => false,
    };
    if found {
        see_other(&format!("{}/login", cx.state.config.tenant_url(&sub)))
    } else {
        see_other(&format!("/find?missing={}", urlencode(&sub)))
    }
}

/// Largest favicon accepted.
pub const MAX_FAVICON_BYTES: usize = 64 * 1024;

/// The platform's own icon (the platform host, and tenants showing the
/// platform's branding without an icon of their own).
const PLATFORM_FAVICON: &[u8] = include_bytes!("../../public/static/favicon.svg");

/// `GET /brand/favicon`: the tenant's icon when it set one; a white-label
/// tenant without one gets none (never the platform's); everyone else the
/// platform's.
pub async fn favicon(Extension(cx): Extension<RequestCtx>) -> Response {
    let icon = |content_type: String, bytes: Vec<u8>| {
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'".to_string(),
                ),
            ],
            bytes,
        )
            .into_response()
    };
    let platform = || icon("image/svg+xml".into(), PLATFORM_FAVICON.to_vec());
    if cx.tenant_id().is_err() {
        return platform();
    }
    let Ok(mut tx) = cx.tx().await else {
        return not_found();
    };
    // The brand is read only when the tenant has no icon of its own.
    let answer = match repo::orgs::favicon(&mut tx).await {
        Ok(Some((content_type, bytes))) => icon(content_type, bytes),
        Ok(None) => match repo::orgs::brand(&mut tx).await {
            Ok(b) if b.white_label => StatusCode::NO_CONTENT.into_response(),
            Ok(_) => platform(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    };
    let _ = tx.commit().await;
    answer
}

/// The icon type of an upload, from its first bytes.
pub fn sniff_icon(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0, 0, 1, 0]) {
        Some("image/x-icon")
    } else {
        None
    }
}

/// `POST /settings/favicon` (multipart field `favicon`): owners and admins
/// of a plan with white-labelling set the browser-tab icon. Errors come
/// back to the settings page as `?favicon_error=`.
pub async fn upload_favicon(Extension(cx): Extension<RequestCtx>, mut form: Multipart) -> Response {
    let mut file: Option<Vec<u8>> = None;
    let mut too_big = false;
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() == Some("favicon") {
            let mut buf = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                buf.extend_from_slice(&chunk);
                if buf.len() > MAX_FAVICON_BYTES {
                    too_big = true;
                    break;
                }
            }
            file = Some(buf);
        }
    }
    let back = |msg: &str| see_other(&format!("/settings?favicon_error={}", urlencode(msg)));
    let member = match cx.member_who(crate::model::Role::manages_settings, "change the icon") {
        Ok(m) => m.id,
        Err(AppError::Unauthorized) => return see_other("/login"),
        Err(e) => return back(&e.to_string()),
    };
    let bytes = match file {
        _ if too_big => return back("That file is over 64 KB. Use a small PNG or ICO icon."),
        Some(b) if !b.is_empty() => b,
        _ => return back("Choose an icon file to upload."),
    };
    let Some(content_type) = sniff_icon(&bytes) else {
        return back("That file is not a PNG or ICO icon.");
    };
    let result = async {
        let mut tx = cx.tx().await?;
        super::billing::require(&mut tx, crate::model::billing::Feature::WhiteLabel).await?;
        repo::orgs::set_favicon(&mut tx, content_type, &bytes).await?;
        repo::audit::record(
            &mut tx,
            Some(member),
            "organization.favicon_changed",
            None,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => see_other("/settings"),
        Err(e) => back(&e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn images_are_recognised_by_content_not_name() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
    }
}
