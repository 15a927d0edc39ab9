//! Job photos over plain HTTP: multipart upload from a phone's camera (works
//! without JavaScript) and fetching a photo or its thumbnail. Every access
//! runs in the signed-in member's tenant transaction; the object key is built
//! from that tenant's id, never from the request.

use axum::extract::{Multipart, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use uuid::Uuid;

use super::context::urlencode;
use super::photos::{self, MAX_PHOTO_BYTES};
use super::storage::key;
use super::{repo, RequestCtx};
use crate::error::AppError;

/// Photos one request may carry.
pub const MAX_PHOTOS_PER_UPLOAD: usize = 10;

/// `POST /jobs/{id}/photos` (multipart `kind` = before|after, one or more
/// `photo` files). Errors come back to the job page as `?photo_error=`.
pub async fn upload_photo(
    Extension(cx): Extension<RequestCtx>,
    Path(job_id): Path<Uuid>,
    mut form: Multipart,
) -> Response {
    let page = format!("/jobs/{job_id}");
    let back =
        |msg: &str| Redirect::to(&format!("{page}?photo_error={}", urlencode(msg))).into_response();
    let member = match cx.member_who(crate::model::Role::works_jobs, "add photos") {
        Ok(m) => m.id,
        Err(AppError::Unauthorized) => return Redirect::to("/login").into_response(),
        Err(e) => return back(&e.to_string()),
    };
    let mut kind = String::new();
    let mut files: Vec<Vec<u8>> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return back(&format!(
                    "The upload was cut off or too large. Each photo can be at most {} MB.",
                    MAX_PHOTO_BYTES / 1024 / 1024
                ))
            }
        };
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("photo") => {
                let mut field = field;
                let mut buf = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            buf.extend_from_slice(&chunk);
                            if buf.len() > MAX_PHOTO_BYTES {
                                return back(&format!(
                                    "That photo is over {} MB. Take it at a lower resolution or choose a smaller file.",
                                    MAX_PHOTO_BYTES / 1024 / 1024
                                ));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return back("The upload was interrupted. Try again."),
                    }
                }
                if !buf.is_empty() {
                    files.push(buf);
                }
                if files.len() > MAX_PHOTOS_PER_UPLOAD {
                    return back(&format!(
                        "Add at most {MAX_PHOTOS_PER_UPLOAD} photos at a time."
                    ));
                }
            }
            _ => {}
        }
    }
    if !matches!(kind.as_str(), "before" | "after") {
        return back("Choose whether these are before or after photos.");
    }
    if files.is_empty() {
        return back("Choose or take a photo to upload.");
    }
    // Check the job first, so nothing is stored for a job that is not ours.
    let org = match async {
        let mut tx = cx.tx().await?;
        let found = repo::jobs::get(&mut tx, job_id).await?.is_some();
        tx.commit().await?;
        Ok::<_, AppError>(found.then_some(cx.tenant_id()?))
    }
    .await
    {
        Ok(Some(org)) => org,
        Ok(None) => return super::context::not_found(),
        Err(e) => return back(&e.to_string()),
    };
    let mut processed = Vec::new();
    for bytes in files {
        let size = bytes.len();
        let result =
            tokio::task::spawn_blocking(move || photos::process(&bytes).map(|p| (p, bytes)))
                .await
                .map_err(|_| "That photo could not be processed.".to_string())
                .and_then(|r| r);
        match result {
            Ok((p, bytes)) => processed.push((Uuid::new_v4(), p, bytes, size)),
            Err(msg) => return back(&msg),
        }
    }
    // Store the objects, then record them in one transaction; if the
    // transaction fails, the stored objects are removed again.
    let storage = &cx.state.storage;
    for (id, p, bytes, _) in &processed {
        let stored = async {
            storage.put(&key(org, "photos", *id), bytes.clone()).await?;
            storage
                .put(&key(org, "photo-thumbs", *id), p.thumbnail.clone())
                .await
        }
        .await;
        if stored.is_err() {
            return back("The photo could not be stored. Try again in a moment.");
        }
    }
    let recorded = async {
        let mut tx = cx.tx().await?;
        for (id, p, _, size) in &processed {
            let ok = repo::jobs::add_photo(
                &mut tx,
                &repo::jobs::NewPhoto {
                    id: *id,
                    job_id,
                    kind: &kind,
                    content_type: p.content_type,
                    size_bytes: *size as i32,
                    width: p.width as i32,
                    height: p.height as i32,
                    taken_at: p.taken_at,
                    location: p.location,
                    by: member,
                },
            )
            .await?;
            if !ok {
                return Err(AppError::NotFound);
            }
        }
        repo::audit::record(
            &mut tx,
            Some(member),
            "job.photos_added",
            Some(job_id),
            serde_json::json!({ "kind": kind, "count": processed.len() }),
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = recorded {
        for (id, ..) in &processed {
            let _ = storage.delete(&key(org, "photos", *id)).await;
            let _ = storage.delete(&key(org, "photo-thumbs", *id)).await;
        }
        return back(&e.to_string());
    }
    Redirect::to(&format!("{page}#photos")).into_response()
}

async fn serve(cx: RequestCtx, id: Uuid, thumb: bool) -> Response {
    if cx.member().is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let found = async {
        let mut tx = cx.tx().await?;
        let t = repo::jobs::photo_type(&mut tx, id).await?;
        tx.commit().await?;
        Ok::<_, AppError>(t)
    }
    .await;
    let content_type = match found {
        Ok(Some(t)) => t,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let Ok(org) = cx.tenant_id() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (kind, content_type) = if thumb {
        ("photo-thumbs", "image/jpeg".to_string())
    } else {
        ("photos", content_type)
    };
    match cx.state.storage.get(&key(org, kind, id)).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /photos/{id}`: the original, for the tenant's own members only.
pub async fn photo(Extension(cx): Extension<RequestCtx>, Path(id): Path<Uuid>) -> Response {
    serve(cx, id, false).await
}

/// `GET /photos/{id}/thumb`.
pub async fn photo_thumb(Extension(cx): Extension<RequestCtx>, Path(id): Path<Uuid>) -> Response {
    serve(cx, id, true).await
}
