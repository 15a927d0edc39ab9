//! Exports and cloud backups as the Settings → Data page shows them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Days a finished export stays downloadable.
pub const EXPORT_KEEP_DAYS: i64 = 7;

/// One archive: an export someone asked for, or a daily backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveRow {
    pub id: Uuid,
    /// `export` or `backup`.
    pub kind: String,
    /// `queued`, `running`, `ready`, `failed` or `expired`.
    pub status: String,
    /// Rows and photos written so far, of `total` (0 before counting).
    pub done: i32,
    pub total: i32,
    pub requested_by: Option<String>,
    /// When it was asked for, in the workspace's time zone.
    pub created: String,
    pub finished: Option<String>,
    /// "12.4 MB".
    pub size: Option<String>,
    pub photos: Option<i32>,
    pub photos_missing: Option<i32>,
    pub error: Option<String>,
    /// The last day it can be downloaded.
    pub expires: Option<String>,
    /// A restore's source ("the daily backup of Dec 1, 2026 3:00 AM").
    pub source: Option<String>,
    /// A finished restore's report, in a sentence.
    pub report: Option<String>,
}

impl ArchiveRow {
    pub fn in_progress(&self) -> bool {
        self.status == "queued" || self.status == "running"
    }

    /// "Preparing: 1,204 of 3,560 rows and photos (34%)".
    pub fn progress(&self) -> String {
        if self.status == "queued" || self.total == 0 {
            return "Waiting to start…".into();
        }
        let pct = (self.done as i64 * 100 / self.total.max(1) as i64).min(100);
        let doing = if self.kind == "restore" {
            "Restoring"
        } else {
            "Preparing"
        };
        format!(
            "{doing}: {} of {} rows and photos ({pct}%)",
            crate::model::thousands(self.done as i64),
            crate::model::thousands(self.total as i64)
        )
    }

    /// Where the archive downloads from.
    pub fn download_path(&self) -> String {
        format!("/exports/{}/download", self.id)
    }
}

/// Settings → Data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOverview {
    pub exports: Vec<ArchiveRow>,
    pub backups: Vec<ArchiveRow>,
    /// The latest restores.
    pub restores: Vec<ArchiveRow>,
    /// Whether the plan includes daily cloud backups.
    pub backups_included: bool,
    pub backup_keep_days: i64,
    /// Whether the signed-in member may restore (owners).
    pub can_restore: bool,
}

impl DataOverview {
    pub fn busy(&self) -> bool {
        self.exports
            .iter()
            .chain(&self.backups)
            .chain(&self.restores)
            .any(ArchiveRow::in_progress)
    }
}

/// One table a restore put back: rows in the archive, rows restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredTable {
    pub name: String,
    pub archived: i64,
    pub restored: i64,
}

/// What a restore did, kept with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreReport {
    pub archive_made: chrono::DateTime<chrono::Utc>,
    pub company: String,
    pub tables: Vec<RestoredTable>,
    pub photos: i64,
    /// Photos the archive lists without their file.
    pub photos_missing: i64,
    /// People in the archive who are not in this workspace's team: what
    /// they did is kept, without their name.
    pub people_unmatched: i64,
}

impl RestoreReport {
    fn restored(&self, table: &str) -> i64 {
        self.tables
            .iter()
            .find(|t| t.name == table)
            .map_or(0, |t| t.restored)
    }

    /// "Restored 1,200 customers, 340 quotes, 410 jobs and 95 photos."
    pub fn summary(&self) -> String {
        use crate::model::count;
        let mut s = format!(
            "Restored {}, {}, {} and {}.",
            count(self.restored("customers"), "customer", "customers"),
            count(self.restored("quotes"), "quote", "quotes"),
            count(self.restored("jobs"), "job", "jobs"),
            count(self.photos, "photo", "photos"),
        );
        if self.photos_missing > 0 {
            s.push_str(&format!(
                " {} had no file in the archive.",
                count(self.photos_missing, "photo", "photos")
            ));
        }
        if self.people_unmatched > 0 {
            s.push_str(&format!(
                " {} in the archive {} not on this team: their records are kept without their name.",
                count(self.people_unmatched, "person", "people"),
                if self.people_unmatched == 1 { "is" } else { "are" }
            ));
        }
        s
    }
}

/// The tables the restore confirmation lists, with their labels.
pub const PREVIEWED: &[(&str, &str)] = &[
    ("customers", "Customers"),
    ("properties", "Properties"),
    ("pets", "Pets"),
    ("quotes", "Quotes (with every version)"),
    ("jobs", "Jobs (with their history)"),
    ("photos", "Job photos"),
    ("crews", "Crews"),
    ("zone_overrides", "Zone prices"),
    ("email_templates", "Email templates"),
];

/// One line of the confirmation: how many now, how many in the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewLine {
    pub what: String,
    pub now: i64,
    /// `None` for an archive made before counts were kept.
    pub archive: Option<i64>,
}

/// What a restore from one archive would replace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestorePreview {
    pub id: Uuid,
    /// "the daily backup of Dec 1, 2026 3:00 AM".
    pub source: String,
    pub lines: Vec<PreviewLine>,
}
