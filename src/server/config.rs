//! Configuration: one typed struct, loaded once at start from `Leptos.toml`'s
//! `[platform]` and `[login_throttle]` tables, each value overridable by an
//! environment variable (all listed in the README).

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PlatformSettings {
    /// The bare platform domain; tenants live on `<subdomain>.<domain>`.
    pub domain: String,
    /// The public base URL of the platform domain, for links in emails.
    pub public_url: String,
    pub name: String,
    pub trial_days: i32,
    pub session_days: i64,
    pub invitation_days: i64,
    pub trusted_proxies: Vec<IpAddr>,
    pub password_hash_concurrency: usize,
    pub db_pool_size: u32,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        PlatformSettings {
            domain: "localhost".into(),
            public_url: "http://localhost:3000".into(),
            name: "Fenceline".into(),
            trial_days: 14,
            session_days: 14,
            invitation_days: 7,
            trusted_proxies: Vec::new(),
            password_hash_concurrency: 2,
            db_pool_size: 16,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ThrottleSettings {
    pub window_seconds: i64,
    pub max_failures_per_account: i64,
    pub max_failures_per_client: i64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            window_seconds: 900,
            max_failures_per_account: 5,
            max_failures_per_client: 20,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    platform: PlatformSettings,
    #[serde(default)]
    login_throttle: ThrottleSettings,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The owner's connection: migrations and the demo seed only.
    pub database_url: SecretString,
    /// The application role's connection: everything at run time.
    pub app_database_url: SecretString,
    pub platform: PlatformSettings,
    pub throttle: ThrottleSettings,
    /// Where photos are kept (local folder or S3-compatible bucket).
    pub storage: super::storage::StorageSettings,
    /// An optional XYZ tile URL template for the boundary designer's map
    /// background, e.g. `https://tiles.example/{z}/{x}/{y}.png`.
    pub map_tile_url: Option<String>,
}

impl Config {
    /// Reads `FENCE_CONFIG` (default `Leptos.toml`), then the environment.
    pub fn load() -> Result<Config, String> {
        let path = std::env::var("FENCE_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let file: File = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?,
            Err(_) => File::default(),
        };
        let database_url = std::env::var("DATABASE_URL").map_err(|_| {
            "DATABASE_URL is not set (the owner connection used for migrations)".to_string()
        })?;
        let app_database_url = std::env::var("APP_DATABASE_URL")
            .unwrap_or_else(|_| app_url_from_owner_url(&database_url));
        let mut c = Config {
            database_url: database_url.into(),
            app_database_url: app_database_url.into(),
            platform: file.platform,
            throttle: file.login_throttle,
            storage: super::storage::StorageSettings::from_env(),
            map_tile_url: None,
        };
        c.map_tile_url = std::env::var("MAP_TILE_URL")
            .ok()
            .filter(|v| v.starts_with("https://") || v.starts_with("http://"));
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("PLATFORM_DOMAIN") {
            c.platform.domain = v.to_lowercase();
        }
        if let Some(v) = env("PUBLIC_URL") {
            c.platform.public_url = v.trim_end_matches('/').to_string();
        }
        if let Some(v) = env("TRUSTED_PROXIES") {
            c.platform.trusted_proxies = v
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse()
                        .map_err(|_| format!("TRUSTED_PROXIES: bad address {s}"))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("DB_POOL_SIZE") {
            c.platform.db_pool_size = v.parse().map_err(|_| "DB_POOL_SIZE must be a number")?;
        }
        if let Some(v) = env("LOGIN_MAX_FAILURES_PER_ACCOUNT") {
            c.throttle.max_failures_per_account = v
                .parse()
                .map_err(|_| "LOGIN_MAX_FAILURES_PER_ACCOUNT must be a number")?;
        }
        if let Some(v) = env("LOGIN_MAX_FAILURES_PER_CLIENT") {
            c.throttle.max_failures_per_client = v
                .parse()
                .map_err(|_| "LOGIN_MAX_FAILURES_PER_CLIENT must be a number")?;
        }
        Ok(c)
    }

    /// `http` or `https`, from the public URL.
    pub fn scheme(&self) -> &str {
        if self.platform.public_url.starts_with("https://") {
            "https"
        } else {
            "http"
        }
    }

    /// `:3000` when the public URL names a port, else empty.
    pub fn port_suffix(&self) -> String {
        let rest = self.platform.public_url.split("://").nth(1).unwrap_or("");
        let authority = rest.split('/').next().unwrap_or("");
        match authority.rsplit_once(':') {
            Some((_, port)) if port.chars().all(|c| c.is_ascii_digit()) => format!(":{port}"),
            _ => String::new(),
        }
    }

    /// A tenant's base URL, from configuration (never from a request).
    pub fn tenant_url(&self, subdomain: &str) -> String {
        format!(
            "{}://{}.{}{}",
            self.scheme(),
            subdomain,
            self.platform.domain,
            self.port_suffix()
        )
    }

    /// Cookies carry `Secure` when the platform is served over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.scheme() == "https"
    }

    pub fn owner_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    pub fn app_url(&self) -> &str {
        self.app_database_url.expose_secret()
    }
}

/// The owner URL with the user replaced by `fence_app` and no password.
pub fn app_url_from_owner_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let after_user = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            format!("{scheme}://fence_app@{after_user}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_url_swaps_the_user_and_drops_the_password() {
        assert_eq!(
            app_url_from_owner_url("postgres://owner:secret@127.0.0.1:5432/fence"),
            "postgres://fence_app@127.0.0.1:5432/fence"
        );
        assert_eq!(
            app_url_from_owner_url("postgresql://localhost/fence?host=/tmp"),
            "postgresql://fence_app@localhost/fence?host=/tmp"
        );
    }

    #[test]
    fn tenant_urls_come_from_configuration() {
        let c = Config {
            database_url: "x".to_string().into(),
            app_database_url: "x".to_string().into(),
            platform: PlatformSettings::default(),
            throttle: ThrottleSettings::default(),
            storage: Default::default(),
            map_tile_url: None,
        };
        assert_eq!(c.tenant_url("acme"), "http://acme.localhost:3000");
        assert!(!c.secure_cookies());
    }
}
