//! Job photos over plain HTTP: multipart upload from a phone's camera (works
//! without JavaScript) and fetching a photo or its thumbnail. Every access
//! runs in the signed-in member's tenant transaction; the object key is built
//! from that tenant's id, never from the request.
//!
//! An upload is streamed to a temporary file as it arrives (never held in
//! memory), checked against the tenant's storage quota, decoded within
//! limits while holding one of the machine's decode permits, stored
//! streamed, and recorded in one transaction.

use std::time::Duration;

use axum::extract::{Multipart, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::context::urlencode;
use super::photos::{self, Processed, MAX_PHOTO_BYTES};
use super::redirect::see_other;
use super::repo::jobs::MAX_PHOTOS_PER_JOB;
use super::storage::key;
use super::{repo, RequestCtx};
use crate::error::AppError;
use crate::model::storage_limit_message;

/// Photos one request may carry.
pub const MAX_PHOTOS_PER_UPLOAD: usize = 10;
/// Upload requests one tenant may make: 30 at once, then one every 2 s.
/// A crew adding ten photos in one request makes one request.
const UPLOADS: super::throttle::Limit = super::throttle::Limit {
    burst: 30,
    window_seconds: 60,
};

/// How long an upload waits for a decode permit before it is refused.
const DECODE_WAIT: Duration = Duration::from_secs(60);

/// One uploaded file on disk.
struct Spooled {
    file: NamedTempFile,
    size: u64,
}

/// Why an upload stops: a message for the job page, or a 404.
enum Stop {
    Back(String),
    NotFound,
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Stop::NotFound,
            e => Stop::Back(e.to_string()),
        }
    }
}

/// `POST /jobs/{id}/photos` (multipart `kind` = before|after, one or more
/// `photo` files). Errors come back to the job page as `?photo_error=`.
pub async fn upload_photo(
    Extension(cx): Extension<RequestCtx>,
    Path(job_id): Path<Uuid>,
    form: Multipart,
) -> Response {
    let page = format!("/jobs/{job_id}");
    let member = match cx.member_who(crate::model::Role::works_jobs, "add photos") {
        Ok(m) => m.clone(),
        Err(AppError::Unauthorized) => return see_other("/login"),
        Err(e) => return see_other(&format!("{page}?photo_error={}", urlencode(&e.to_string()))),
    };
    // A crew member adds photos to their crews' jobs only.
    if let Err(e) = super::jobs::ensure_visible(&cx, &member, job_id).await {
        return match e {
            AppError::NotFound => super::context::not_found(),
            e => see_other(&format!("{page}?photo_error={}", urlencode(&e.to_string()))),
        };
    }
    let member = member.id;
    match upload(&cx, job_id, member, form).await {
        Ok(()) => see_other(&format!("{page}#photos")),
        Err(Stop::NotFound) => super::context::not_found(),
        Err(Stop::Back(msg)) => see_other(&format!("{page}?photo_error={}", urlencode(&msg))),
    }
}

#[tracing::instrument(skip_all, fields(org_id = %cx.tenant_id().unwrap_or_default(), %job_id))]
async fn upload(cx: &RequestCtx, job_id: Uuid, member: Uuid, form: Multipart) -> Result<(), Stop> {
    let org = cx.tenant_id()?;
    super::throttle::hit(&cx.state, &format!("uploads:{org}"), UPLOADS, "uploads").await?;
    // The job first, so nothing is read or stored for a job that is not ours.
    {
        let mut tx = cx.tx().await?;
        if repo::jobs::get(&mut tx, job_id).await?.is_none() {
            return Err(Stop::NotFound);
        }
        tx.commit().await?;
    }
    let (kind, op, files) = spool(cx, form).await?;
    let existing = {
        let mut tx = cx.tx().await?;
        // Sent before (a phone's queue after being offline): already here.
        if let Some(op) = op {
            if repo::jobs::op_applied(&mut tx, op).await? {
                return Ok(());
            }
        }
        let n = repo::jobs::photo_count(&mut tx, job_id).await?;
        tx.commit().await?;
        n
    };
    if !matches!(kind.as_str(), "before" | "after") {
        return Err(Stop::Back(
            "Choose whether these are before or after photos.".into(),
        ));
    }
    if files.is_empty() {
        return Err(Stop::Back("Choose or take a photo to upload.".into()));
    }
    if existing + files.len() as i64 > MAX_PHOTOS_PER_JOB {
        return Err(Stop::Back(format!(
            "A job can have at most {MAX_PHOTOS_PER_JOB} photos; this one has {existing}. Remove some first or add fewer."
        )));
    }
    // A quick quota check before the slow work (the binding one is below).
    let incoming: i64 = files.iter().map(|f| f.size as i64).sum();
    let usage = {
        let mut tx = cx.tx().await?;
        let u = repo::storage::usage(&mut tx).await?;
        tx.commit().await?;
        u
    };
    if !usage.fits(incoming) {
        return Err(Stop::Back(storage_limit_message(
            usage.plan,
            usage.quota.unwrap_or_default(),
        )));
    }
    let mut processed = Vec::new();
    for f in files {
        let p = decode(cx, &f).await?;
        processed.push((Uuid::new_v4(), p, f));
    }
    store_and_record(cx, org, job_id, member, &kind, op, processed).await
}

/// Streams the form's files to temporary files, enforcing the limits as
/// the bytes arrive.
async fn spool(cx: &RequestCtx, mut form: Multipart) -> Result<SpooledForm, Stop> {
    let dir = &cx.state.config.uploads.tmp_dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Stop::from(super::db::internal(&e)))?;
    let mut kind = String::new();
    let mut op = None;
    let mut files = Vec::new();
    let cut_off = || {
        Stop::Back(format!(
            "The upload was cut off or too large. Each photo can be at most {} MB.",
            MAX_PHOTO_BYTES / 1024 / 1024
        ))
    };
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(cut_off()),
        };
        match field.name() {
            Some("kind") => {
                let text = field.text().await.map_err(|_| cut_off())?;
                kind = text.chars().take(16).collect();
            }
            Some("op") => {
                let text = field.text().await.map_err(|_| cut_off())?;
                op = text.trim().parse::<Uuid>().ok();
            }
            Some("photo") => {
                if files.len() >= MAX_PHOTOS_PER_UPLOAD {
                    return Err(Stop::Back(format!(
                        "Add at most {MAX_PHOTOS_PER_UPLOAD} photos at a time."
                    )));
                }
                let tmp =
                    NamedTempFile::new_in(dir).map_err(|e| Stop::from(super::db::internal(&e)))?;
                let std_file = tmp
                    .reopen()
                    .map_err(|e| Stop::from(super::db::internal(&e)))?;
                let mut out = tokio::fs::File::from_std(std_file);
                let mut size = 0u64;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size += chunk.len() as u64;
                            if size > MAX_PHOTO_BYTES as u64 {
                                return Err(Stop::Back(format!(
                                    "That photo is over {} MB. Take it at a lower resolution or choose a smaller file.",
                                    MAX_PHOTO_BYTES / 1024 / 1024
                                )));
                            }
                            out.write_all(&chunk)
                                .await
                                .map_err(|e| Stop::from(super::db::internal(&e)))?;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return Err(Stop::Back("The upload was interrupted. Try again.".into()))
                        }
                    }
                }
                out.flush()
                    .await
                    .map_err(|e| Stop::from(super::db::internal(&e)))?;
                if size > 0 {
                    files.push(Spooled { file: tmp, size });
                }
            }
            _ => {}
        }
    }
    Ok((kind, op, files))
}

/// The form as spooled: the photos' kind, the sender's id for this upload
/// (see `client_ops`), the files.
type SpooledForm = (String, Option<Uuid>, Vec<Spooled>);

/// Decodes one spooled photo on a blocking thread, holding a decode permit.
async fn decode(cx: &RequestCtx, f: &Spooled) -> Result<Processed, Stop> {
    let busy = || Stop::Back("The server is busy processing photos; try again in a minute.".into());
    let permit = tokio::time::timeout(DECODE_WAIT, cx.state.decodes.clone().acquire_owned())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let path = f.file.path().to_path_buf();
    metrics::gauge!("photo_decodes_running").increment(1.0);
    let result = tokio::task::spawn_blocking(move || {
        let r = photos::process_file(&path);
        drop(permit);
        r
    })
    .await;
    metrics::gauge!("photo_decodes_running").decrement(1.0);
    match result {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(msg)) => Err(Stop::Back(msg)),
        Err(_) => Err(Stop::Back("That photo could not be processed.".into())),
    }
}

/// Stores the objects, then records them (and their bytes against the
/// quota) in one transaction; if that fails, the objects are removed.
async fn store_and_record(
    cx: &RequestCtx,
    org: Uuid,
    job_id: Uuid,
    member: Uuid,
    kind: &str,
    op: Option<Uuid>,
    processed: Vec<(Uuid, Processed, Spooled)>,
) -> Result<(), Stop> {
    let storage = &cx.state.storage;
    let remove_all = || async {
        for (id, ..) in &processed {
            let _ = storage.delete(&key(org, "photos", *id)).await;
            let _ = storage.delete(&key(org, "photo-thumbs", *id)).await;
        }
    };
    for (id, p, f) in &processed {
        let stored = async {
            storage
                .put_file(&key(org, "photos", *id), f.file.path())
                .await?;
            storage
                .put(&key(org, "photo-thumbs", *id), p.thumbnail.clone())
                .await
        }
        .await;
        if stored.is_err() {
            remove_all().await;
            return Err(Stop::Back(
                "The photo could not be stored. Try again in a moment.".into(),
            ));
        }
    }
    let recorded = async {
        let mut tx = cx.tx().await?;
        // Two copies of one upload in flight: the second finds the first's
        // claim (waiting for its commit) and records nothing.
        if let Some(op) = op {
            if !repo::jobs::claim_op(&mut tx, op, member, "photos", job_id).await? {
                return Ok(false);
            }
        }
        let bytes: i64 = processed
            .iter()
            .map(|(_, p, f)| f.size as i64 + p.thumbnail.len() as i64)
            .sum();
        if !repo::storage::reserve(&mut tx, bytes).await? {
            let u = repo::storage::usage(&mut tx).await?;
            return Err(AppError::Limit(storage_limit_message(
                u.plan,
                u.quota.unwrap_or_default(),
            )));
        }
        for (id, p, f) in &processed {
            let ok = repo::jobs::add_photo(
                &mut tx,
                &repo::jobs::NewPhoto {
                    id: *id,
                    job_id,
                    kind,
                    content_type: p.content_type,
                    size_bytes: f.size as i32,
                    thumb_bytes: p.thumbnail.len() as i32,
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
        super::live::notify_job(&mut tx, "job.photos", job_id).await?;
        repo::audit::record(
            &mut tx,
            Some(member),
            "job.photos_added",
            Some(job_id),
            serde_json::json!({ "kind": kind, "count": processed.len(), "bytes": bytes }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match recorded {
        Ok(true) => Ok(()),
        // Recorded by the other copy: these objects are spare.
        Ok(false) => {
            remove_all().await;
            Ok(())
        }
        Err(e) => {
            remove_all().await;
            Err(e.into())
        }
    }
}

async fn serve(cx: RequestCtx, id: Uuid, thumb: bool) -> Response {
    let Ok(me) = cx.member().cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let found = async {
        let mut tx = cx.tx().await?;
        let mut t = repo::jobs::photo_type(&mut tx, id).await?;
        // A crew member sees the photos of their crews' jobs only, as the
        // jobs themselves.
        if let Some((_, job)) = t {
            if me.role == crate::model::Role::Crew
                && !repo::schedule::on_jobs_crew(&mut tx, me.id, job).await?
            {
                t = None;
            }
        }
        tx.commit().await?;
        Ok::<_, AppError>(t.map(|(content_type, _)| content_type))
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
    match cx.state.storage.get_stream(&key(org, kind, id)).await {
        Ok(Some((body, size))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_LENGTH, size.to_string()),
                (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            body,
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
