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

/// One old table in an import's dry run or report: what the plan said for
/// its rows, and (after the import) how many old ids the workspace maps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportTable {
    pub name: String,
    pub old_rows: i64,
    pub create: i64,
    pub merge: i64,
    pub skip: i64,
    /// Imported by an earlier run.
    pub already: i64,
    /// Old ids of this table the workspace holds after the import.
    #[serde(default)]
    pub here: Option<i64>,
}

/// One old row the owner should look at (merged, skipped, or read with a
/// doubt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportLine {
    pub table: String,
    pub old_id: String,
    pub action: String,
    pub detail: String,
}

/// The dry run kept with an import: per table, and the lines to look at
/// (the first few hundred; the CSV has them all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ImportPlanSummary {
    pub tables: Vec<ImportTable>,
    pub attention: Vec<ImportLine>,
    pub attention_total: i64,
    /// What happens to the old settings.
    #[serde(default)]
    pub settings: Vec<String>,
}

/// A sum of money on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoneyCheck {
    pub what: String,
    /// All the old rows' amounts.
    pub old_total: String,
    /// The old amounts of the rows imported (now or by an earlier run).
    pub old_imported: String,
    /// The same rows' amounts here.
    pub here: String,
    /// The old amounts of the rows skipped (each skip is in the plan).
    pub old_skipped: String,
}

/// The verification report kept with a finished import: counts per kind,
/// money on both sides, photo checksums, and every difference explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub finished_at: chrono::DateTime<chrono::Utc>,
    pub tables: Vec<ImportTable>,
    pub money: Vec<MoneyCheck>,
    /// Photos whose stored file was read back and compared with the old
    /// file's SHA-256.
    pub photos_checked: i64,
    pub photos_matching: i64,
    /// What was not imported although the plan meant to (a photo that
    /// would not decode), with the reason.
    pub problems: Vec<String>,
    /// Differences nothing above explains: none when the import is whole.
    pub unexplained: Vec<String>,
    pub settings: Vec<String>,
}

/// One import as Settings → Import lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub id: Uuid,
    /// `planned` (the dry run, waiting to be confirmed), `queued`,
    /// `running`, `ready` or `failed`.
    pub status: String,
    pub file: String,
    pub requested_by: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub done: i32,
    pub total: i32,
    pub plan: ImportPlanSummary,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
}

impl ImportRow {
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running")
    }

    pub fn plan_csv_path(&self) -> String {
        format!("/settings/import/{}/plan.csv", self.id)
    }
}

/// Settings → Import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOverview {
    /// The newest first: a dry run waiting, one under way, those done.
    pub imports: Vec<ImportRow>,
}
