//! Restoring a workspace from an archive (issue 13): one of its own exports
//! or daily backups, or an archive file an owner uploads (made here or on
//! another installation).
//!
//! The archive is untrusted input: it is read from a file on disk with the
//! manifest's sizes and SHA-256s checked for every entry as it is read (a
//! zip bomb is cut off at the size its manifest declares), the CSV files
//! are parsed by PostgreSQL (`COPY … (format csv, header match)`, so a
//! column the archive renamed or a value of the wrong type is refused),
//! every photo is decoded again within the photo limits to make its
//! thumbnail, and names inside the zip are only ever looked up, never used
//! as paths.
//!
//! The rows go back in one transaction as the tenant: the archive's tables
//! are copied into temporary tables, the workspace's business data is
//! emptied (`platform.clear_tenant_data`, this tenant only) and the rows
//! are inserted from the temporary tables, keeping their ids. Team members
//! are matched by id, then by email; references to people who are not in
//! this workspace become empty (and are counted in the report). The same
//! transaction marks the restore done, so a worker that dies half-way
//! leaves the workspace as it was. Kept as they are: the team, the
//! subscription and its invoices, texts sent, the activity log, quote
//! links and reminder links of records that come back, and every number
//! that replied STOP (those in the archive are added).

use std::collections::{HashMap, HashSet};

use async_zip::tokio::read::seek::ZipFileReader;
use chrono::{DateTime, Utc};
use futures::AsyncReadExt as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::BufReader;
use uuid::Uuid;

use super::exports::{Progress, FORMAT_VERSION, TABLES};
use super::repo::exports::Claim;
use super::storage::key;
use super::{photos, repo, AppState, TenantTx};
use crate::error::AppError;
use crate::model::export::{RestoreReport, RestoredTable};

/// Largest archive an owner may upload.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024 * 1024;
/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// The tables a restore puts back, in an order their references allow,
/// with the insert that copies each from its temporary table. `$1` is the
/// tenant; `um(x)` is replaced by the matched team member's id.
const RESTORED: &[(&str, &str)] = &[
    (
        "crews",
        "insert into crews (org_id, id, name, color, mpg, start_lat, start_lon, end_lat, end_lon, \
         hours, days_off, created_at, updated_at) \
         select $1, id, name, color, mpg, start_lat, start_lon, end_lat, end_lon, hours, days_off, \
         created_at, updated_at from restore_crews",
    ),
    (
        "crew_members",
        "insert into crew_members (org_id, crew_id, user_id) \
         select distinct $1, r.crew_id, m.new from restore_crew_members r \
         join restore_user_map m on m.old = r.user_id where m.new is not null",
    ),
    (
        "customers",
        "insert into customers (org_id, id, name, email, phone, street, city, state, zip, notes, \
         reminders, archived_at, created_by, created_at, updated_at, reminder_token) \
         select $1, r.id, r.name, r.email, r.phone, r.street, r.city, r.state, r.zip, r.notes, \
         r.reminders, r.archived_at, um(r.created_by), r.created_at, r.updated_at, \
         coalesce(k.reminder_token, gen_random_uuid()) \
         from restore_customers r left join restore_keep_tokens k on k.id = r.id",
    ),
    (
        "properties",
        "insert into properties (org_id, id, customer_id, label, street, city, state, zip, lat, lon, \
         lot_sqft, gate_notes, notes, drawing, created_at, updated_at) \
         select $1, id, customer_id, label, street, city, state, zip, lat, lon, lot_sqft, gate_notes, \
         notes, drawing, created_at, updated_at from restore_properties",
    ),
    (
        "pets",
        "insert into pets (org_id, id, property_id, name, breed, weight_lb, collar_model, \
         battery_installed, created_at) \
         select $1, id, property_id, name, breed, weight_lb, collar_model, battery_installed, \
         created_at from restore_pets",
    ),
    (
        "quotes",
        "insert into quotes (org_id, id, number, customer_id, property_id, status, version, total, \
         manager_approved_version, manager_approved_by, decided_name, decline_reason, decided_at, \
         created_by, created_at, updated_at) \
         select $1, id, number, customer_id, property_id, status, version, total, \
         manager_approved_version, um(manager_approved_by), decided_name, decline_reason, \
         decided_at, um(created_by), created_at, updated_at from restore_quotes",
    ),
    (
        "quote_versions",
        "insert into quote_versions (org_id, quote_id, version, total, drawing, terms, takeoff, \
         priced, created_by, created_at) \
         select $1, quote_id, version, total, drawing, terms, takeoff, priced, um(created_by), \
         created_at from restore_quote_versions",
    ),
    (
        "jobs",
        "insert into jobs (org_id, id, number, kind, status, quote_id, customer_id, property_id, \
         scheduled_for, starts_at, duration_minutes, time_window, crew_id, total, invoiced_amount, \
         paid_amount, checklist_done, pet_ids, created_by, created_at, updated_at) \
         select $1, id, number, kind, status, quote_id, customer_id, property_id, scheduled_for, \
         starts_at, duration_minutes, time_window, crew_id, total, invoiced_amount, paid_amount, \
         checklist_done, pet_ids, um(created_by), created_at, updated_at from restore_jobs",
    ),
    (
        "job_events",
        "insert into job_events (org_id, id, job_id, from_status, to_status, by_user, note, at) \
         select $1, id, job_id, from_status, to_status, um(by_user), note, at from restore_job_events",
    ),
    (
        "photos",
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height, \
         taken_at, lat, lon, uploaded_by, created_at, thumb_bytes) \
         select $1, r.id, r.job_id, r.kind, t.content_type, t.size_bytes, t.width, t.height, \
         r.taken_at, r.lat, r.lon, um(r.uploaded_by), r.created_at, t.thumb_bytes \
         from restore_photos r join restore_photo_files t on t.id = r.id",
    ),
    (
        "route_savings",
        "insert into route_savings (org_id, crew_id, day, miles_before, miles_after, gallons_saved, \
         dollars_saved, by_user, optimised_at) \
         select $1, crew_id, day, miles_before, miles_after, gallons_saved, dollars_saved, \
         um(by_user), optimised_at from restore_route_savings",
    ),
    (
        "zone_overrides",
        "insert into zone_overrides (org_id, state_code, multiplier) \
         select $1, state_code, multiplier from restore_zone_overrides",
    ),
    (
        "email_templates",
        "insert into email_templates (org_id, kind, subject, body, updated_by, updated_at) \
         select $1, kind, subject, body, um(updated_by), updated_at from restore_email_templates",
    ),
    (
        "legacy_ids",
        "insert into legacy_ids (org_id, kind, old_id, new_id, import_id, sha256, amount, created_at) \
         select $1, kind, old_id, new_id, import_id, sha256, amount, created_at from restore_legacy_ids \
         on conflict (org_id, kind, old_id) do update set new_id = excluded.new_id, \
         import_id = excluded.import_id, sha256 = excluded.sha256, amount = excluded.amount, \
         created_at = excluded.created_at",
    ),
    (
        "price_book",
        "insert into catalogues (org_id, data, updated_at) \
         select $1, data, updated_at from restore_price_book limit 1 \
         on conflict (org_id) do update set data = excluded.data, updated_at = excluded.updated_at",
    ),
];

/// A table archives made before it existed do not have (read as empty).
const OPTIONAL: &str = "legacy_ids";

/// The archive tables a restore reads (the others are the workspace's own
/// record and stay as they are).
fn read_tables() -> impl Iterator<Item = &'static super::exports::Table> {
    const READ: &[&str] = &[
        "company",
        "users",
        "customers",
        "properties",
        "pets",
        "quotes",
        "quote_versions",
        "jobs",
        "job_events",
        "photos",
        "crews",
        "crew_members",
        "route_savings",
        "price_book",
        "zone_overrides",
        "email_templates",
        "text_opt_outs",
        OPTIONAL,
    ];
    TABLES.iter().filter(|t| READ.contains(&t.name))
}

fn user_map_sql(sql: &str) -> String {
    // `um(x)`: the team member in this workspace for the archive's user x.
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(i) = rest.find("um(") {
        // Only the helper, not a longer word ending in "um(".
        let word_start = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        out.push_str(&rest[..i]);
        rest = &rest[i + 3..];
        if !word_start {
            out.push_str("um(");
            continue;
        }
        let close = rest.find(')').expect("um( is closed");
        let arg = &rest[..close];
        out.push_str(&format!(
            "(select m.new from restore_user_map m where m.old = {arg})"
        ));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The manifest as an archive carries it.
#[derive(Deserialize)]
struct ManifestIn {
    format: String,
    version: u32,
    created_at: DateTime<Utc>,
    company: String,
    tables: Vec<TableIn>,
    files: Vec<FileIn>,
    #[serde(default)]
    photos_missing: Vec<Uuid>,
}

#[derive(Deserialize)]
struct TableIn {
    name: String,
    rows: i64,
    csv: String,
}

#[derive(Deserialize, Clone)]
struct FileIn {
    path: String,
    bytes: u64,
    sha256: String,
}

type Zip = ZipFileReader<BufReader<tokio::fs::File>>;

/// An archive opened for a restore, its manifest read and checked.
pub struct Opened {
    zip: Zip,
    entries: HashMap<String, usize>,
    files: HashMap<String, FileIn>,
    manifest: ManifestIn,
}

/// A message for the owner: the archive is not one a restore can use.
fn refused(msg: impl Into<String>) -> AppError {
    AppError::Conflict(msg.into())
}

fn damaged(what: &str) -> AppError {
    refused(format!(
        "The archive is damaged: {what}. Download it again, or restore from another backup."
    ))
}

impl Opened {
    /// Opens `path` as an archive and reads its manifest.
    pub async fn open(path: &std::path::Path) -> Result<Opened, AppError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| super::db::internal(&e))?;
        let zip = ZipFileReader::with_tokio(BufReader::new(file))
            .await
            .map_err(|_| {
                refused("That file is not a Fenceline export archive (it is not a complete zip file). Choose the .zip file from Settings → Data → Export.")
            })?;
        let mut entries = HashMap::new();
        for (i, e) in zip.file().entries().iter().enumerate() {
            if let Ok(name) = e.filename().as_str() {
                entries.insert(name.to_string(), i);
            }
        }
        let mut opened = Opened {
            zip,
            entries,
            files: HashMap::new(),
            manifest: ManifestIn {
                format: String::new(),
                version: 0,
                created_at: Utc::now(),
                company: String::new(),
                tables: Vec::new(),
                files: Vec::new(),
                photos_missing: Vec::new(),
            },
        };
        let not_ours = || {
            refused("That file is not a Fenceline export archive (it has no manifest.json). Choose the .zip file from Settings → Data → Export.")
        };
        let Some(&i) = opened.entries.get("manifest.json") else {
            return Err(not_ours());
        };
        let raw = opened
            .read(i, MAX_MANIFEST_BYTES)
            .await
            .map_err(|_| damaged("its manifest cannot be read"))?;
        let manifest: ManifestIn = serde_json::from_slice(&raw).map_err(|_| not_ours())?;
        if manifest.format != "fenceline-export" {
            return Err(not_ours());
        }
        if manifest.version != FORMAT_VERSION {
            return Err(refused(format!(
                "This archive is in format version {}, which this installation cannot read (it reads version {FORMAT_VERSION}).",
                manifest.version
            )));
        }
        for t in read_tables() {
            if t.name != OPTIONAL && !manifest.tables.iter().any(|m| m.name == t.name) {
                return Err(damaged(&format!("the table {} is missing", t.name)));
            }
        }
        opened.files = manifest
            .files
            .iter()
            .map(|f| (f.path.clone(), f.clone()))
            .collect();
        opened.manifest = manifest;
        Ok(opened)
    }

    /// When the archive was made, and of which company.
    pub fn made(&self) -> (DateTime<Utc>, &str) {
        (self.manifest.created_at, &self.manifest.company)
    }

    /// Reads a whole entry of at most `cap` bytes.
    async fn read(&mut self, index: usize, cap: u64) -> Result<Vec<u8>, AppError> {
        let mut r = self
            .zip
            .reader_without_entry(index)
            .await
            .map_err(|_| damaged("an entry cannot be read"))?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = r
                .read(&mut buf)
                .await
                .map_err(|_| damaged("an entry cannot be read"))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if out.len() as u64 > cap {
                return Err(damaged("an entry is larger than it should be"));
            }
        }
        Ok(out)
    }

    /// A file the manifest lists: its entry, declared size and checksum.
    fn listed(&self, path: &str) -> Result<(usize, FileIn), AppError> {
        let f = self
            .files
            .get(path)
            .ok_or_else(|| damaged(&format!("{path} is not in its manifest")))?;
        let i = *self
            .entries
            .get(path)
            .ok_or_else(|| damaged(&format!("{path} is missing")))?;
        Ok((i, f.clone()))
    }

    /// Reads a listed file whole, checking its size and checksum.
    async fn read_checked(&mut self, path: &str, cap: u64) -> Result<Vec<u8>, AppError> {
        let (i, f) = self.listed(path)?;
        if f.bytes > cap {
            return Err(refused(format!(
                "{path} in the archive is {} bytes, over the limit of {cap}.",
                f.bytes
            )));
        }
        let data = self.read(i, f.bytes).await?;
        if data.len() as u64 != f.bytes || hex::encode(Sha256::digest(&data)) != f.sha256 {
            return Err(damaged(&format!("{path} does not match its checksum")));
        }
        Ok(data)
    }

    /// Streams a listed CSV file into `COPY … FROM STDIN` on `pg`, checking
    /// its size and checksum as it goes; the rows copied.
    async fn copy_into(
        &mut self,
        path: &str,
        copy_sql: &str,
        pg: &mut sqlx::PgConnection,
    ) -> Result<u64, AppError> {
        let (i, f) = self.listed(path)?;
        let mut r = self
            .zip
            .reader_without_entry(i)
            .await
            .map_err(|_| damaged(&format!("{path} cannot be read")))?;
        let mut copy = pg.copy_in_raw(copy_sql).await?;
        let mut hash = Sha256::new();
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        let fed: Result<(), AppError> = async {
            loop {
                let n = r
                    .read(&mut buf)
                    .await
                    .map_err(|_| damaged(&format!("{path} cannot be read")))?;
                if n == 0 {
                    break;
                }
                bytes += n as u64;
                if bytes > f.bytes {
                    return Err(damaged(&format!("{path} is larger than it should be")));
                }
                hash.update(&buf[..n]);
                copy.send(&buf[..n]).await?;
            }
            if bytes != f.bytes || hex::encode(hash.finalize_reset()) != f.sha256 {
                return Err(damaged(&format!("{path} does not match its checksum")));
            }
            Ok(())
        }
        .await;
        match fed {
            Ok(()) => copy.finish().await.map_err(|e| bad_rows(path, &e)),
            Err(e) => {
                let _ = copy.abort("the archive was refused").await;
                Err(e)
            }
        }
    }
}

/// A table whose rows PostgreSQL refused (a wrong type, a broken
/// reference, a value out of range): the owner sees which and why.
fn bad_rows(what: &str, e: &sqlx::Error) -> AppError {
    match e {
        sqlx::Error::Database(d)
            if d.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")) =>
        {
            refused(format!(
                "The archive could not be restored: {what} holds rows this workspace cannot take ({}).",
                d.message()
            ))
        }
        other => super::db::internal(other),
    }
}

/// Restores `archive` into the tenant of `tx` (which the caller commits),
/// reporting progress; the report of what came back. Photo objects are
/// stored before the rows change; `stored` collects the keys this restore
/// wrote that did not exist before (the caller deletes them if the
/// transaction does not commit), `dropped` the photos that no longer
/// belong to the workspace (the caller deletes them after the commit).
pub async fn restore_into(
    state: &AppState,
    tx: &mut TenantTx,
    archive: &mut Opened,
    mut progress: Option<&mut Progress>,
    stored: &mut Vec<Uuid>,
    dropped: &mut Vec<Uuid>,
) -> Result<RestoreReport, AppError> {
    let org = tx.org_id();
    // The archive's tables into temporary tables shaped like the export's
    // queries (so the header must match and the values must parse).
    let mut archived: HashMap<&'static str, i64> = HashMap::new();
    for t in read_tables() {
        let temp = format!("restore_{}", t.name);
        sqlx::query(&format!(
            "create temp table {temp} on commit drop as select * from ({}) t limit 0",
            t.sql
        ))
        .execute(tx.conn())
        .await?;
        let Some(listed) = archive
            .manifest
            .tables
            .iter()
            .find(|m| m.name == t.name)
            .map(|m| (m.csv.clone(), m.rows))
        else {
            // An optional table an older archive lacks (checked on open).
            archived.insert(t.name, 0);
            continue;
        };
        let copy = format!("copy {temp} from stdin with (format csv, header match)");
        let rows = archive.copy_into(&listed.0, &copy, tx.conn()).await?;
        if rows as i64 != listed.1 {
            return Err(damaged(&format!(
                "{} has {rows} rows where its manifest says {}",
                listed.0, listed.1
            )));
        }
        archived.insert(t.name, listed.1);
        if let Some(p) = progress.as_deref_mut() {
            if !p.add(rows.min(i32::MAX as u64) as i32).await? {
                return Err(AppError::Conflict("taken over".into()));
            }
        }
    }

    // Team members: by id (this workspace's own archive), then by email.
    sqlx::query(
        "create temp table restore_user_map on commit drop as
         select r.id as old, coalesce(
           (select u.id from users u where u.org_id = $1 and u.id = r.id),
           (select u.id from users u where u.org_id = $1 and lower(u.email) = lower(r.email)
             order by u.created_at limit 1)) as new
         from restore_users r",
    )
    .bind(org)
    .execute(tx.conn())
    .await?;

    // The photos: those this workspace already stores (same id and size)
    // stay as they are; the others are checked, decoded for a thumbnail
    // and stored before any row changes.
    let current: HashMap<Uuid, (i32, i32, String, i32, i32)> = sqlx::query_as::<
        _,
        (Uuid, i32, i32, String, i32, i32),
    >(
        "select id, size_bytes, thumb_bytes, content_type, width, height from photos where org_id = $1",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|(id, s, t, c, w, h)| (id, (s, t, c, w, h)))
    .collect();
    let archived_photos: Vec<(Uuid, i32, String)> =
        sqlx::query_as("select id, size_bytes, file from restore_photos")
            .fetch_all(tx.conn())
            .await?;
    sqlx::query(
        "create temp table restore_photo_files (id uuid primary key, content_type text not null,
           size_bytes int not null, width int not null, height int not null,
           thumb_bytes int not null) on commit drop",
    )
    .execute(tx.conn())
    .await?;
    let missing_in_archive: HashSet<Uuid> =
        archive.manifest.photos_missing.iter().copied().collect();
    let mut photos_missing = 0;
    for (id, size, file) in archived_photos {
        let kept = current.get(&id).filter(|c| c.0 == size).cloned();
        let row = if let Some((s, t, c, w, h)) = kept {
            Some((c, s, w, h, t))
        } else if missing_in_archive.contains(&id) || !archive.files.contains_key(&file) {
            photos_missing += 1;
            None
        } else {
            let bytes = archive
                .read_checked(&file, photos::MAX_PHOTO_BYTES as u64)
                .await?;
            let permit = state.decodes.clone().acquire_owned().await;
            let (processed, bytes) = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                (photos::process(&bytes), bytes)
            })
            .await
            .map_err(|e| super::db::internal(&e))?;
            let p = processed.map_err(|m| refused(format!("{file} in the archive: {m}")))?;
            let len = bytes.len() as i32;
            if !current.contains_key(&id) {
                stored.push(id);
            }
            state.storage.put(&key(org, "photos", id), bytes).await?;
            let thumb = p.thumbnail.len() as i32;
            state
                .storage
                .put(&key(org, "photo-thumbs", id), p.thumbnail)
                .await?;
            Some((
                p.content_type.to_string(),
                len,
                p.width as i32,
                p.height as i32,
                thumb,
            ))
        };
        if let Some((c, s, w, h, t)) = row {
            sqlx::query("insert into restore_photo_files values ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(c)
                .bind(s)
                .bind(w)
                .bind(h)
                .bind(t)
                .execute(tx.conn())
                .await?;
        }
        if let Some(p) = progress.as_deref_mut() {
            if !p.add(1).await? {
                return Err(AppError::Conflict("taken over".into()));
            }
        }
    }

    // What the workspace keeps of records that come back: the homeowners'
    // reminder links, the quotes' approval links and the crew phones'
    // applied operations.
    for sql in [
        "create temp table restore_keep_tokens on commit drop as
           select id, reminder_token from customers where org_id = $1",
        "create temp table restore_keep_links on commit drop as
           select org_id, token_hash, quote_id, expires_at, revoked_at, created_at
             from quote_links where org_id = $1",
        "create temp table restore_keep_ops on commit drop as
           select org_id, op_id, user_id, kind, job_id, applied_at from client_ops where org_id = $1",
    ] {
        sqlx::query(sql).bind(org).execute(tx.conn()).await?;
    }
    let bytes_before: i64 = sqlx::query_scalar(
        "select coalesce(sum(size_bytes + thumb_bytes), 0)::bigint from photos where org_id = $1",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await?;

    tx.identity_changed();
    sqlx::query("select platform.clear_tenant_data($1)")
        .bind(org)
        .execute(tx.conn())
        .await?;
    let mut tables = Vec::new();
    for (name, sql) in RESTORED {
        let n = sqlx::query(&user_map_sql(sql))
            .bind(org)
            .execute(tx.conn())
            .await
            .map_err(|e| bad_rows(name, &e))?
            .rows_affected() as i64;
        tables.push(RestoredTable {
            name: name.to_string(),
            archived: archived.get(name).copied().unwrap_or(0),
            restored: n,
        });
    }
    sqlx::query(
        "insert into quote_links (org_id, token_hash, quote_id, expires_at, revoked_at, created_at)
         select k.org_id, k.token_hash, k.quote_id, k.expires_at, k.revoked_at, k.created_at
           from restore_keep_links k
          where exists (select 1 from quotes q where q.org_id = $1 and q.id = k.quote_id)",
    )
    .bind(org)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into client_ops (org_id, op_id, user_id, kind, job_id, applied_at)
         select k.org_id, k.op_id, k.user_id, k.kind, k.job_id, k.applied_at
           from restore_keep_ops k
          where k.job_id is null
             or exists (select 1 from jobs j where j.org_id = $1 and j.id = k.job_id)",
    )
    .bind(org)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "select platform.restore_opt_outs($1,
           array(select phone from restore_text_opt_outs order by phone),
           array(select opted_out_at from restore_text_opt_outs order by phone))",
    )
    .bind(org)
    .execute(tx.conn())
    .await?;
    // The company's settings (not its address on the web, plan or status).
    tx.identity_changed();
    sqlx::query(
        "update organizations o
            set company_name = r.company_name, support_email = r.support_email, phone = r.phone,
                brand_color = r.brand_color, home_state = r.home_state,
                custom_markup = r.custom_markup,
                time_zone = case when exists (select 1 from pg_timezone_names z where z.name = r.time_zone)
                                 then r.time_zone else o.time_zone end
           from (select * from restore_company limit 1) r
          where o.id = $1",
    )
    .bind(org)
    .execute(tx.conn())
    .await
    .map_err(|e| bad_rows("company", &e))?;

    // Stored bytes follow the photos.
    let bytes_after: i64 = sqlx::query_scalar(
        "select coalesce(sum(size_bytes + thumb_bytes), 0)::bigint from photos where org_id = $1",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await?;
    repo::storage::adjust(tx, bytes_after - bytes_before).await?;

    let unmatched: i64 =
        sqlx::query_scalar("select count(*) from restore_user_map where new is null")
            .fetch_one(tx.conn())
            .await?;
    let restored_ids: HashSet<Uuid> =
        sqlx::query_scalar::<_, Uuid>("select id from photos where org_id = $1")
            .bind(org)
            .fetch_all(tx.conn())
            .await?
            .into_iter()
            .collect();
    dropped.extend(current.keys().filter(|id| !restored_ids.contains(id)));

    Ok(RestoreReport {
        archive_made: archive.manifest.created_at,
        company: archive.manifest.company.clone(),
        tables,
        photos: restored_ids.len() as i64,
        photos_missing,
        people_unmatched: unmatched,
    })
}

/// The restore worker's part: restores the claimed restore's archive, or
/// marks it failed with the reason.
#[tracing::instrument(skip_all, fields(org_id = %claim.org_id, restore_id = %claim.id))]
pub async fn run(state: &AppState, claim: &Claim) -> Result<(), AppError> {
    let started = std::time::Instant::now();
    match run_inner(state, claim).await {
        Ok(Some(report)) => {
            metrics::counter!("fence_restores_total", "result" => "done").increment(1);
            tracing::info!(
                rows = report.tables.iter().map(|t| t.restored).sum::<i64>(),
                photos = report.photos,
                seconds = started.elapsed().as_secs_f64(),
                "workspace restored"
            );
        }
        Ok(None) => {}
        Err(e) => {
            metrics::counter!("fence_restores_total", "result" => "failed").increment(1);
            let message = match &e {
                AppError::Conflict(m) => m.clone(),
                AppError::Internal(r) => format!(
                    "The restore could not be completed, and nothing was changed. Please try again; if it fails again, give support this reference: {r}."
                ),
                other => other.to_string(),
            };
            let mut tx = TenantTx::begin(&state.pool, claim.org_id).await?;
            repo::exports::fail(&mut tx, claim.id, &message).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

async fn run_inner(state: &AppState, claim: &Claim) -> Result<Option<RestoreReport>, AppError> {
    let org = claim.org_id;
    let source = {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        let s = repo::exports::restore_source(&mut tx, claim.id).await?;
        tx.commit().await?;
        s
    };
    let Some(source) = source else {
        return Ok(None);
    };
    let by = source.requested_by;
    let object = match source.archive {
        Some(archive) => key(org, "exports", archive),
        None => key(org, "restore-uploads", claim.id),
    };
    let dir = state.config.uploads.tmp_dir.clone();
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| super::db::internal(&e))?;
    let tmp = tempfile::Builder::new()
        .prefix("restore-")
        .suffix(".zip")
        .tempfile_in(&dir)
        .map_err(|e| super::db::internal(&e))?;
    if !state.storage.get_to_file(&object, tmp.path()).await? {
        return Err(refused(
            "The archive is no longer stored (it expired). Choose another backup, or upload the file.",
        ));
    }
    let mut archive = Opened::open(tmp.path()).await?;
    let read: Vec<&str> = read_tables().map(|t| t.name).collect();
    let total = archive
        .manifest
        .tables
        .iter()
        .filter(|t| read.contains(&t.name.as_str()))
        .map(|t| t.rows.max(0))
        .sum::<i64>()
        + archive
            .files
            .keys()
            .filter(|p| p.starts_with("photos/"))
            .count() as i64;
    let mut progress = Progress::new(state, org, claim.id, total);
    if !progress.report().await? {
        return Ok(None);
    }
    let report = apply(
        state,
        org,
        &mut archive,
        Some(&mut progress),
        Some((claim.id, by)),
    )
    .await?;
    if report.is_some() {
        let _ = state
            .storage
            .delete(&key(org, "restore-uploads", claim.id))
            .await;
    }
    Ok(report)
}

/// Restores `archive` into `org` in one transaction and commits it, with
/// the activity log's line; for a worker's claim (its id and requester),
/// the same transaction marks the restore done. Photo objects the
/// archive's rows no longer hold are deleted after the commit; those this
/// restore stored are deleted again if it does not commit. `None` when
/// the claim was taken over by another worker.
async fn apply(
    state: &AppState,
    org: Uuid,
    archive: &mut Opened,
    progress: Option<&mut Progress>,
    claim: Option<(Uuid, Option<Uuid>)>,
) -> Result<Option<RestoreReport>, AppError> {
    let mut stored = Vec::new();
    let mut dropped = Vec::new();
    let result = async {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        let report =
            restore_into(state, &mut tx, archive, progress, &mut stored, &mut dropped).await?;
        let mut detail = serde_json::json!({
            "archive_made": report.archive_made,
            "rows": report.tables.iter().map(|t| t.restored).sum::<i64>(),
            "photos": report.photos,
        });
        if claim.is_none() {
            detail["by"] = "command line".into();
        }
        let (subject, by) = claim.map_or((None, None), |(id, by)| (Some(id), by));
        repo::audit::record(&mut tx, by, "data.restored", subject, detail).await?;
        if let Some(id) = subject {
            let report_json = serde_json::to_value(&report).map_err(|e| super::db::internal(&e))?;
            if !repo::exports::finish_restore(&mut tx, id, &report_json).await? {
                return Ok(None);
            }
        }
        tx.commit().await?;
        Ok::<_, AppError>(Some(report))
    }
    .await;
    let forget = if matches!(result, Ok(Some(_))) {
        dropped
    } else {
        stored
    };
    for id in forget {
        let _ = state.storage.delete(&key(org, "photos", id)).await;
        let _ = state.storage.delete(&key(org, "photo-thumbs", id)).await;
    }
    match result {
        Err(AppError::Conflict(m)) if m == "taken over" => Ok(None),
        other => other,
    }
}

/// What the Settings → Data confirmation shows: what the workspace holds
/// now, against what the archive holds.
#[tracing::instrument(skip_all)]
pub async fn preview(
    cx: &super::RequestCtx,
    archive: Uuid,
) -> Result<crate::model::export::RestorePreview, AppError> {
    let mut tx = cx.tx().await?;
    let Some(a) = repo::exports::archive_counts(&mut tx, archive).await? else {
        return Err(AppError::NotFound);
    };
    let now = repo::exports::current_counts(&mut tx).await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    tx.commit().await?;
    let lines = crate::model::export::PREVIEWED
        .iter()
        .map(|(table, label)| crate::model::export::PreviewLine {
            what: label.to_string(),
            now: now.get(*table).copied().unwrap_or(0),
            archive: a.counts.as_ref().and_then(|c| c.get(*table)).copied(),
        })
        .collect();
    Ok(crate::model::export::RestorePreview {
        id: archive,
        source: source_label(&a.kind, a.created_at, &zone),
        lines,
    })
}

fn source_label(kind: &str, at: DateTime<Utc>, zone: &str) -> String {
    let what = if kind == "backup" {
        "the daily backup"
    } else {
        "the export"
    };
    format!("{what} of {}", crate::model::time::date_time(at, zone))
}

/// The confirmation an owner types before a restore.
pub const CONFIRM_WORD: &str = "RESTORE";

fn confirmed(typed: &str) -> Result<(), AppError> {
    if typed.trim().eq_ignore_ascii_case(CONFIRM_WORD) {
        Ok(())
    } else {
        Err(AppError::field(
            "confirm",
            format!("Type {CONFIRM_WORD} to confirm that everything listed will be replaced."),
        ))
    }
}

/// Queues a restore from one of the workspace's own archives (owners).
#[tracing::instrument(skip_all)]
pub async fn request(
    cx: &super::RequestCtx,
    me: &super::context::UserRef,
    archive: Uuid,
    typed: &str,
) -> Result<crate::model::export::DataOverview, AppError> {
    confirmed(typed)?;
    let mut tx = cx.tx().await?;
    let Some(a) = repo::exports::archive_counts(&mut tx, archive).await? else {
        return Err(AppError::NotFound);
    };
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let label = source_label(&a.kind, a.created_at, &zone);
    let Some(id) = repo::exports::request_restore(&mut tx, me.id, Some(archive), &label).await?
    else {
        return Err(AppError::Conflict(
            "A restore is already under way. It is listed below.".into(),
        ));
    };
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "data.restore_requested",
        Some(id),
        serde_json::json!({ "archive": archive }),
    )
    .await?;
    tx.commit().await?;
    super::exports::overview(cx).await
}

/// `POST /settings/data/restore` (multipart: `archive`, the file, and
/// `confirm`): an owner restores the workspace from an archive file. The
/// file is spooled to disk within [`MAX_UPLOAD_BYTES`], opened and its
/// manifest checked before anything is queued; errors come back to the
/// page as `?restore_error=`.
pub async fn upload(
    axum::Extension(cx): axum::Extension<super::RequestCtx>,
    mut form: axum::extract::Multipart,
) -> axum::response::Response {
    use super::context::urlencode;
    use super::redirect::see_other;
    let back = |msg: &str| see_other(&format!("/settings/data?restore_error={}", urlencode(msg)));
    let me = match cx.member_who(
        |r| r == crate::model::Role::Owner,
        "restore the workspace's data",
    ) {
        Ok(m) => m.clone(),
        Err(AppError::Unauthorized) => return see_other("/login"),
        Err(e) => return back(&e.to_string()),
    };
    let dir = cx.state.config.uploads.tmp_dir.clone();
    if tokio::fs::create_dir_all(&dir).await.is_err() {
        return back(&AppError::Internal(super::telemetry::current_request_id()).to_string());
    }
    let Ok(tmp) = tempfile::Builder::new()
        .prefix("restore-upload-")
        .suffix(".zip")
        .tempfile_in(&dir)
    else {
        return back(&AppError::Internal(super::telemetry::current_request_id()).to_string());
    };
    let mut typed = String::new();
    let mut name = String::new();
    let mut size = 0usize;
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("confirm") => typed = field.text().await.unwrap_or_default(),
            Some("archive") => {
                name = field
                    .file_name()
                    .unwrap_or("archive.zip")
                    .chars()
                    .take(120)
                    .collect();
                let Ok(mut out) = tokio::fs::File::create(tmp.path()).await else {
                    return back(
                        &AppError::Internal(super::telemetry::current_request_id()).to_string(),
                    );
                };
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size += chunk.len();
                            if size > MAX_UPLOAD_BYTES {
                                return back("That file is over 2 GB, the largest archive that can be uploaded. Ask support to restore it for you.");
                            }
                            if tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                                .await
                                .is_err()
                            {
                                return back(
                                    &AppError::Internal(super::telemetry::current_request_id())
                                        .to_string(),
                                );
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return back("The upload was interrupted. Try again."),
                    }
                }
                let _ = tokio::io::AsyncWriteExt::flush(&mut out).await;
            }
            _ => {}
        }
    }
    if let Err(e) = confirmed(&typed) {
        let msg = e
            .fields()
            .and_then(|f| f.get("confirm").map(str::to_string))
            .unwrap_or_else(|| e.to_string());
        return back(&msg);
    }
    if size == 0 {
        return back("Choose the archive file (.zip) to restore from.");
    }
    // Refused now rather than in the background: not a zip, not ours, a
    // version this installation cannot read.
    let made = match Opened::open(tmp.path()).await {
        Ok(a) => a.made().0,
        Err(e) => return back(&e.to_string()),
    };
    let result = async {
        let org = cx.tenant_id()?;
        let mut tx = cx.tx().await?;
        let zone = repo::orgs::time_zone(&mut tx).await?;
        let label = format!(
            "the file {name} (made {})",
            crate::model::time::date_time(made, &zone)
        );
        let Some(id) = repo::exports::request_restore(&mut tx, me.id, None, &label).await? else {
            return Err(AppError::Conflict(
                "A restore is already under way. It is listed below.".into(),
            ));
        };
        cx.state
            .storage
            .put_file(&key(org, "restore-uploads", id), tmp.path())
            .await?;
        repo::audit::record(
            &mut tx,
            Some(me.id),
            "data.restore_requested",
            Some(id),
            serde_json::json!({ "file": name, "bytes": size }),
        )
        .await?;
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => see_other("/settings/data?restore=queued"),
        Err(e) => back(&e.to_string()),
    }
}

/// `fence restore --tenant SUBDOMAIN PATH`: a platform operator restores a
/// workspace from an archive file, in the foreground, with the same checks
/// and the same single transaction; prints the report.
pub async fn restore_cli(
    state: &AppState,
    org: Uuid,
    path: &std::path::Path,
) -> Result<RestoreReport, AppError> {
    let mut archive = Opened::open(path).await?;
    apply(state, org, &mut archive, None, None)
        .await?
        .ok_or_else(|| AppError::Conflict("The restore was interrupted.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_helper_becomes_a_lookup() {
        assert_eq!(
            user_map_sql("select um(r.created_by), album(x), um(by_user) from t"),
            "select (select m.new from restore_user_map m where m.old = r.created_by), album(x), \
             (select m.new from restore_user_map m where m.old = by_user) from t"
        );
    }

    #[test]
    fn every_restored_table_is_read_from_the_archive() {
        let read: Vec<_> = read_tables().map(|t| t.name).collect();
        for (name, _) in RESTORED {
            assert!(read.contains(name), "{name} is restored but not read");
        }
    }

    #[test]
    fn the_confirmation_is_the_word() {
        assert!(confirmed(" restore ").is_ok());
        assert!(confirmed("yes").is_err());
    }

    #[test]
    fn serde_of_the_report_round_trips() {
        let r = RestoreReport {
            archive_made: Utc::now(),
            company: "Acme".into(),
            tables: vec![RestoredTable {
                name: "customers".into(),
                archived: 2,
                restored: 2,
            }],
            photos: 1,
            photos_missing: 0,
            people_unmatched: 0,
        };
        let v = serde_json::to_value(&r).unwrap();
        let back: RestoreReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
