//! Server-side secrets every instance shares, kept in `platform.secrets`:
//! created with random bytes by `fence migrate` (as the owner), read by the
//! serving process. Today: the key that signs device cookies.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::PgPool;

/// The device-cookie signing key's name.
pub const DEVICE_COOKIE: &str = "device_cookie";

/// Creates every missing secret (idempotent; never replaces one).
pub async fn ensure(owner: &PgPool) -> Result<(), String> {
    let mut key = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    sqlx::query!(
        "insert into platform.secrets (name, value) values ($1, $2) on conflict (name) do nothing",
        DEVICE_COOKIE,
        key
    )
    .execute(owner)
    .await
    .map_err(|e| format!("cannot create the server secrets: {e}"))?;
    Ok(())
}

/// The secrets the serving process needs.
pub struct Keys {
    pub device_cookie: SecretSlice<u8>,
}

impl Keys {
    pub async fn load(pool: &PgPool) -> Result<Keys, String> {
        let value = sqlx::query_scalar!(
            "select value from platform.secrets where name = $1",
            DEVICE_COOKIE
        )
        .fetch_optional(pool)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the server secrets are missing; run `fence migrate` first")?;
        Ok(Keys {
            device_cookie: value.into(),
        })
    }

    pub fn device_cookie(&self) -> &[u8] {
        self.device_cookie.expose_secret()
    }
}
