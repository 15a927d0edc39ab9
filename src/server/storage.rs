//! Object storage for photos: one bucket (or folder), keys
//! `{org_id}/{resource_type}/{file_id}`. A local folder by default; any
//! S3-compatible store when `S3_BUCKET` is set. Keys are built only here,
//! from the tenant id of the transaction that authorised the access.
//! Large objects are streamed both ways, never held whole in memory.

use std::sync::Arc;

use axum::body::Body;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::error::AppError;

#[derive(Debug, Clone, Default)]
pub struct StorageSettings {
    /// Local folder (default `.data/objects`).
    pub dir: String,
    pub s3_bucket: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<SecretString>,
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    pub kind: &'static str,
}

/// The object key for a tenant's file.
pub fn key(org_id: Uuid, resource_type: &str, file_id: Uuid) -> Path {
    Path::from(format!("{org_id}/{resource_type}/{file_id}"))
}

fn failed(e: object_store::Error) -> AppError {
    super::db::internal(&e)
}

impl Storage {
    pub fn open(s: &StorageSettings) -> Result<Storage, String> {
        if let Some(bucket) = &s.s3_bucket {
            let mut b = AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(s.s3_region.clone().unwrap_or_else(|| "us-east-1".into()));
            if let Some(e) = &s.s3_endpoint {
                b = b
                    .with_endpoint(e)
                    .with_allow_http(e.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            if let (Some(k), Some(v)) = (&s.s3_access_key_id, &s.s3_secret_access_key) {
                b = b
                    .with_access_key_id(k)
                    .with_secret_access_key(v.expose_secret());
            }
            let store = b.build().map_err(|e| format!("S3 storage: {e}"))?;
            Ok(Storage {
                store: Arc::new(store),
                kind: "s3",
            })
        } else {
            std::fs::create_dir_all(&s.dir)
                .map_err(|e| format!("storage folder {}: {e}", s.dir))?;
            let store = LocalFileSystem::new_with_prefix(&s.dir)
                .map_err(|e| format!("storage folder {}: {e}", s.dir))?;
            Ok(Storage {
                store: Arc::new(store),
                kind: "local",
            })
        }
    }

    /// Stores a small object from memory.
    pub async fn put(&self, key: &Path, bytes: Vec<u8>) -> Result<(), AppError> {
        self.store
            .put(key, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(failed)
    }

    /// Stores a file's content, streamed in parts (a multipart upload for
    /// a large file), so memory use does not grow with its size.
    pub async fn put_file(&self, key: &Path, file: &std::path::Path) -> Result<(), AppError> {
        let mut source = tokio::fs::File::open(file)
            .await
            .map_err(|e| super::db::internal(&e))?;
        let mut sink = BufWriter::new(self.store.clone(), key.clone());
        let copied = tokio::io::copy(&mut source, &mut sink).await;
        match copied {
            Ok(_) => sink.shutdown().await.map_err(|e| super::db::internal(&e)),
            Err(e) => {
                let _ = sink.abort().await;
                Err(super::db::internal(&e))
            }
        }
    }

    /// The whole object (thumbnails and logos: small).
    pub async fn get(&self, key: &Path) -> Result<Option<Vec<u8>>, AppError> {
        match self.store.get(key).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(failed)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// The object as a response body streamed from the store, with its size.
    pub async fn get_stream(&self, key: &Path) -> Result<Option<(Body, u64)>, AppError> {
        match self.store.get(key).await {
            Ok(r) => {
                let size = r.meta.size;
                let stream = r
                    .into_stream()
                    .map(|chunk| chunk.map_err(std::io::Error::other));
                Ok(Some((Body::from_stream(stream), size)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// Copies an object into a local file, streamed; `false` when there is
    /// no such object.
    pub async fn get_to_file(&self, key: &Path, file: &std::path::Path) -> Result<bool, AppError> {
        let r = match self.store.get(key).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(failed(e)),
        };
        let mut out = tokio::fs::File::create(file)
            .await
            .map_err(|e| super::db::internal(&e))?;
        let mut stream = r.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(failed)?;
            tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                .await
                .map_err(|e| super::db::internal(&e))?;
        }
        tokio::io::AsyncWriteExt::flush(&mut out)
            .await
            .map_err(|e| super::db::internal(&e))?;
        Ok(true)
    }

    pub async fn delete(&self, key: &Path) -> Result<(), AppError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }

    /// Deletes every object of a tenant (its whole `{org_id}/` prefix);
    /// returns how many there were.
    pub async fn delete_tenant(&self, org_id: Uuid) -> Result<usize, AppError> {
        let prefix = Path::from(org_id.to_string());
        let keys: Vec<Path> = self
            .store
            .list(Some(&prefix))
            .map(|m| m.map(|m| m.location))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        for k in &keys {
            self.delete(k).await?;
        }
        Ok(keys.len())
    }
}
