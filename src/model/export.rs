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
        format!(
            "Preparing: {} of {} rows and photos ({pct}%)",
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
    /// Whether the plan includes daily cloud backups.
    pub backups_included: bool,
    pub backup_keep_days: i64,
}

impl DataOverview {
    pub fn busy(&self) -> bool {
        self.exports
            .iter()
            .chain(&self.backups)
            .any(ArchiveRow::in_progress)
    }
}
