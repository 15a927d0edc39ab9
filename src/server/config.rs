//! Configuration: one typed struct, loaded once at start from the settings
//! file (`FENCE_CONFIG`, default `Leptos.toml`: its `[platform]`,
//! `[login_throttle]` and `[uploads]` tables) and then the environment.
//! This is the only place the server reads an environment variable
//! ([`ENV_VARS`] lists them all; a test holds the README's table to it).
//! Secrets are wrapped so they never print.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Every environment variable the server reads, with what it means.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        "the owner connection: `fence migrate` and `fence seed` only",
    ),
    (
        "APP_DATABASE_URL",
        "the application role's connection, the only one `fence serve` uses",
    ),
    ("FENCE_CONFIG", "the settings file"),
    ("PLATFORM_DOMAIN", "the bare platform domain"),
    ("PUBLIC_URL", "the platform's public URL"),
    (
        "TRUSTED_PROXIES",
        "proxies whose X-Forwarded-* headers are believed",
    ),
    ("DB_POOL_SIZE", "application pool size"),
    ("CELL_NAME", "this deployment's cell (with CELL_URL and CELL_DIRECTORY_URL)"),
    ("CELL_URL", "where this cell's app instances answer, for the other cells"),
    (
        "CELL_DIRECTORY_URL",
        "the directory of tenant -> cell all cells share",
    ),
    (
        "REPLICA_DATABASE_URL",
        "the application role's connection to a streaming replica, for list reads",
    ),
    (
        "REPLICA_MAX_LAG_SECONDS",
        "how far behind the replica may be before every read goes to the primary",
    ),
    (
        "CACHE_SECONDS",
        "how long hosts, users and sessions are kept in memory (0: not at all)",
    ),
    (
        "TENANT_REQUESTS_PER_MINUTE",
        "request budget a minute per plan: starter,growth,enterprise",
    ),
    (
        "LOGIN_MAX_FAILURES_PER_ACCOUNT",
        "login attempts per account and device",
    ),
    (
        "LOGIN_MAX_FAILURES_PER_CLIENT",
        "login attempts per client network",
    ),
    (
        "PASSWORD_HASH_CONCURRENCY",
        "password hashes running at once",
    ),
    ("PHOTO_DECODE_CONCURRENCY", "photo decodes running at once"),
    ("UPLOAD_TMP_DIR", "where uploads are spooled"),
    ("STORAGE_DIR", "the local object folder"),
    ("S3_BUCKET", "the S3-compatible bucket"),
    ("S3_ENDPOINT", "the S3 endpoint"),
    ("S3_REGION", "the S3 region"),
    ("AWS_ACCESS_KEY_ID", "S3 credentials"),
    ("AWS_SECRET_ACCESS_KEY", "S3 credentials"),
    (
        "MAIL_DIR",
        "a folder the mail worker writes `.eml` files to (development; SMTP_HOST wins)",
    ),
    ("SMTP_HOST", "the SMTP server the mail worker delivers through"),
    (
        "SMTP_PORT",
        "its port (default 587 with STARTTLS, 465 with TLS, 25 without)",
    ),
    (
        "SMTP_TLS",
        "`starttls` (default), `tls` (implicit TLS) or `none` (loopback and tests only)",
    ),
    ("SMTP_USERNAME", "SMTP login (optional)"),
    ("SMTP_PASSWORD", "SMTP password"),
    (
        "MAIL_FROM",
        "the platform's sending address (default no-reply@PLATFORM_DOMAIN); tenants' names go before it",
    ),
    (
        "TWILIO_ACCOUNT_SID",
        "Twilio account SID: with TWILIO_AUTH_TOKEN and TWILIO_FROM, texts (the SMS add-on) go through Twilio",
    ),
    (
        "TWILIO_AUTH_TOKEN",
        "Twilio auth token (also verifies Twilio's webhooks)",
    ),
    (
        "TWILIO_FROM",
        "the sending number in E.164 (+15551234567) or a Messaging Service SID (MG...)",
    ),
    (
        "TWILIO_API_URL",
        "Twilio's API base URL (default https://api.twilio.com; the tests point it at a local fake)",
    ),
    (
        "SMS_DIR",
        "a folder the SMS worker writes each text to (development; Twilio wins)",
    ),
    (
        "BACKUP_KEEP_DAYS",
        "days each daily cloud backup is kept (Growth and Enterprise; default 7)",
    ),
    ("METRICS_TOKEN", "bearer token for /metrics"),
    ("MAP_TILE_URL", "XYZ tile URL template for the designer"),
    (
        "ROUTING_URL",
        "OSRM-compatible routing server for road distances",
    ),
    (
        "STRIPE_SECRET_KEY",
        "Stripe secret key (test mode); without it the built-in Stripe stand-in serves billing",
    ),
    (
        "STRIPE_WEBHOOK_SECRET",
        "Stripe webhook signing secret(s), comma-separated while rotating",
    ),
    ("STRIPE_API_BASE", "another Stripe API base URL"),
    (
        "STRIPE_FAKE_ADDR",
        "where the built-in Stripe stand-in listens (default 127.0.0.1:0)",
    ),
    (
        "STRIPE_FAKE_STATE",
        "a file the built-in Stripe stand-in keeps its state in between runs",
    ),
    (
        "BILLING_GRACE_DAYS",
        "days a tenant stays usable after a failed payment (default 7)",
    ),
    (
        "DNS_RESOLVER",
        "the DNS server (ip:port) custom domains are checked against",
    ),
    (
        "CUSTOM_DOMAIN_TARGET",
        "the name custom domains point their CNAME at",
    ),
    ("LEPTOS_SITE_ADDR", "the address the server listens on"),
    (
        "LEPTOS_OUTPUT_NAME",
        "set by cargo-leptos; without it Leptos's settings come from Cargo.toml",
    ),
    ("RUST_LOG", "log filter"),
    ("LOG_FORMAT", "`json` for one JSON object per log line"),
    ("DEMO_OWNER_EMAIL", "the demo seed's owner login"),
    ("DEMO_OWNER_PASSWORD", "the demo seed's owner password"),
    (
        "PLATFORM_ADMIN_EMAIL",
        "the demo seed's platform admin login",
    ),
    (
        "PLATFORM_ADMIN_PASSWORD",
        "the demo seed's platform admin password",
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Requests a minute each tenant may make, by plan (Starter, Growth,
    /// Enterprise): see `server::budget`.
    pub requests_per_minute: [u32; 3],
    /// How long hosts, users and sessions may be served from memory (see
    /// `server::cache`); 0 turns the caches off.
    pub cache_seconds: u64,
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
            requests_per_minute: super::budget::DEFAULT_PER_MINUTE,
            cache_seconds: super::cache::TTL.as_secs(),
        }
    }
}

/// The login throttle (README, "Login throttling"): each key may make
/// `max_*` attempts at once, then one more every `window / max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

/// Photo uploads: where they are spooled and how many decode at once.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    pub tmp_dir: PathBuf,
    /// 0: one per core.
    pub decode_concurrency: usize,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            tmp_dir: std::env::temp_dir().join("fence-uploads"),
            decode_concurrency: 0,
        }
    }
}

impl UploadSettings {
    /// Decodes allowed at once: the setting, or one per core.
    pub fn decodes(&self) -> usize {
        if self.decode_concurrency > 0 {
            self.decode_concurrency
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        }
    }
}

/// Where queued email goes.
#[derive(Debug, Clone, Default)]
pub struct MailSettings {
    /// A folder the delivery worker writes each message to as an `.eml`
    /// file (development); with neither this nor `smtp`, no worker runs and
    /// mail stays queued.
    pub dir: Option<PathBuf>,
    pub smtp: Option<SmtpSettings>,
    /// The sending address (`MAIL_FROM`; default `no-reply@` the platform
    /// domain).
    pub from: Option<String>,
}

/// Where queued texts go.
#[derive(Debug, Clone, Default)]
pub struct SmsSettings {
    pub twilio: Option<TwilioSettings>,
    /// A folder the SMS worker writes each text to (development).
    pub dir: Option<PathBuf>,
}

/// A Twilio account (REST API and webhooks).
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: SecretString,
    /// An E.164 number or a Messaging Service SID (`MG...`).
    pub from: String,
    /// `https://api.twilio.com` unless pointed elsewhere.
    pub api_url: String,
}

/// An SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on loopback, the tests).
    None,
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(v: &str) -> Result<SmtpTls, String> {
        match v.trim().to_ascii_lowercase().as_str() {
            "" | "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "ssl" | "smtps" => Ok(SmtpTls::Tls),
            "none" | "plain" | "off" => Ok(SmtpTls::None),
            other => Err(format!(
                "SMTP_TLS must be starttls, tls or none, not {other:?}"
            )),
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// Billing on Stripe: real Stripe with a secret key, else the built-in
/// stand-in (`server::billing::fake`) on a loopback port.
#[derive(Debug, Clone)]
pub struct BillingSettings {
    pub stripe_secret_key: Option<SecretString>,
    /// Every secret a webhook may be signed with (more than one while a
    /// secret is rotated).
    pub webhook_secrets: Vec<SecretString>,
    pub api_base: Option<String>,
    pub fake_addr: SocketAddr,
    /// A file the stand-in keeps its state in between runs (the demo).
    pub fake_state: Option<PathBuf>,
    /// Days a tenant stays fully usable after a failed renewal.
    pub grace_days: i64,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            stripe_secret_key: None,
            webhook_secrets: Vec::new(),
            api_base: None,
            fake_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            fake_state: None,
            grace_days: 7,
        }
    }
}

/// The logins `fence seed` creates.
#[derive(Debug, Clone)]
pub struct SeedSettings {
    pub owner_email: String,
    pub owner_password: SecretString,
    pub admin_email: String,
    pub admin_password: SecretString,
}

impl Default for SeedSettings {
    fn default() -> Self {
        SeedSettings {
            owner_email: "owner@demo.example".into(),
            owner_password: "demo-fence-2026".to_string().into(),
            admin_email: "admin@platform.example".into(),
            admin_password: "admin-fence-2026".to_string().into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct File {
    platform: PlatformSettings,
    login_throttle: ThrottleSettings,
    uploads: UploadSettings,
}

/// A deployment that is one cell of several (see `cells`).
#[derive(Debug, Clone)]
pub struct CellSettings {
    pub name: String,
    /// Where this cell's app instances answer.
    pub url: String,
    pub directory_url: SecretString,
}

impl CellSettings {
    pub fn directory(&self) -> &str {
        self.directory_url.expose_secret()
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The owner's connection: migrations and the demo seed only. The
    /// serving process is given `None` and never sees the owner's password.
    pub database_url: Option<SecretString>,
    /// The application role's connection: everything at run time.
    pub app_database_url: SecretString,
    /// The same role on a streaming replica of that database: lists and
    /// reports may be read there (see `replica`).
    pub replica_database_url: Option<SecretString>,
    /// How far behind the replica may be before nobody reads from it.
    pub replica_max_lag: std::time::Duration,
    /// This deployment's cell and the shared directory (see `cells`).
    pub cell: Option<CellSettings>,
    pub platform: PlatformSettings,
    pub throttle: ThrottleSettings,
    /// Where photos are kept (local folder or S3-compatible bucket).
    pub storage: super::storage::StorageSettings,
    pub uploads: UploadSettings,
    pub mail: MailSettings,
    pub sms: SmsSettings,
    /// Bearer token for `/metrics`; without one only loopback may scrape.
    pub metrics_token: Option<SecretString>,
    /// An optional XYZ tile URL template for the boundary designer's map
    /// background, e.g. `https://tiles.example/{z}/{x}/{y}.png`.
    pub map_tile_url: Option<String>,
    /// An optional OSRM-compatible routing server (its base URL, e.g.
    /// `http://127.0.0.1:5000`) for road distances and drive times when
    /// routes are optimised; without one, the documented estimate.
    pub routing_url: Option<String>,
    /// The DNS server custom domains are checked against (`ip:port`);
    /// `None`: the system's resolvers.
    pub dns_resolver: Option<SocketAddr>,
    /// The name a custom domain's CNAME must point at (default
    /// `domains.` + the platform domain): the reverse proxy's address.
    pub custom_domain_target: Option<String>,
    /// Overrides Leptos's `site-addr`.
    pub site_addr: Option<SocketAddr>,
    /// Where Leptos reads its own settings: the environment cargo-leptos
    /// sets when it runs the binary, else `Cargo.toml`.
    pub leptos_conf_file: Option<&'static str>,
    pub log_filter: String,
    pub log_json: bool,
    pub seed: SeedSettings,
    pub billing: BillingSettings,
    /// Days each daily cloud backup is kept (`BACKUP_KEEP_DAYS`, 1 to 365).
    pub backup_keep_days: i64,
}

/// What the process is about to do: only migrations and the seed get the
/// owner's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Serve,
    Migrate,
}

impl Config {
    /// Reads the settings file, then the process environment.
    pub fn load(purpose: Purpose) -> Result<Config, String> {
        Config::from_env(purpose, &|k| std::env::var(k).ok())
    }

    /// The same from any environment (tests pass a map).
    pub fn from_env(
        purpose: Purpose,
        getenv: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let env = |k: &str| {
            debug_assert!(ENV_VARS.iter().any(|(n, _)| *n == k), "{k} is not listed");
            getenv(k).filter(|v| !v.is_empty())
        };
        let file = read_file(env("FENCE_CONFIG"))?;
        let owner = env("DATABASE_URL");
        let app_database_url = match (env("APP_DATABASE_URL"), &owner) {
            (Some(app), _) => app,
            (None, Some(owner)) => app_url_from_owner_url(owner),
            (None, None) => {
                return Err(
                    "APP_DATABASE_URL is not set (the application role's connection); \
                     DATABASE_URL (the owner's) may stand in for it with the user fence_app"
                        .into(),
                )
            }
        };
        let database_url = match purpose {
            Purpose::Serve => None,
            Purpose::Migrate => Some(owner.ok_or(
                "DATABASE_URL is not set (the owner connection used for migrations and the seed)",
            )?),
        };
        let number = |k: &str| -> Result<Option<i64>, String> {
            env(k)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| format!("{k} must be a whole number, not {v:?}"))
                })
                .transpose()
        };
        let mut c = Config {
            database_url: database_url.map(SecretString::from),
            app_database_url: app_database_url.into(),
            replica_database_url: env("REPLICA_DATABASE_URL").map(SecretString::from),
            replica_max_lag: std::time::Duration::from_secs(5),
            cell: match (env("CELL_NAME"), env("CELL_URL"), env("CELL_DIRECTORY_URL")) {
                (None, None, None) => None,
                (Some(name), Some(url), Some(directory)) => Some(CellSettings {
                    name,
                    url,
                    directory_url: directory.into(),
                }),
                _ => return Err(
                    "CELL_NAME, CELL_URL and CELL_DIRECTORY_URL go together: set all three or none"
                        .into(),
                ),
            },
            platform: file.platform,
            throttle: file.login_throttle,
            storage: super::storage::StorageSettings {
                dir: env("STORAGE_DIR").unwrap_or_else(|| ".data/objects".into()),
                s3_bucket: env("S3_BUCKET"),
                s3_endpoint: env("S3_ENDPOINT"),
                s3_region: env("S3_REGION"),
                s3_access_key_id: env("AWS_ACCESS_KEY_ID"),
                s3_secret_access_key: env("AWS_SECRET_ACCESS_KEY").map(SecretString::from),
            },
            uploads: file.uploads,
            mail: MailSettings {
                dir: env("MAIL_DIR").map(PathBuf::from),
                smtp: match env("SMTP_HOST") {
                    None => None,
                    Some(host) => Some(SmtpSettings {
                        host,
                        port: env("SMTP_PORT")
                            .map(|p| {
                                p.parse::<u16>().map_err(|_| {
                                    format!("SMTP_PORT must be a port number, not {p:?}")
                                })
                            })
                            .transpose()?,
                        tls: SmtpTls::parse(&env("SMTP_TLS").unwrap_or_default())?,
                        username: env("SMTP_USERNAME"),
                        password: env("SMTP_PASSWORD").map(SecretString::from),
                    }),
                },
                from: env("MAIL_FROM"),
            },
            sms: SmsSettings {
                dir: env("SMS_DIR").map(PathBuf::from),
                twilio: match (
                    env("TWILIO_ACCOUNT_SID"),
                    env("TWILIO_AUTH_TOKEN"),
                    env("TWILIO_FROM"),
                ) {
                    (None, None, None) => None,
                    (Some(sid), Some(token), Some(from)) => Some(TwilioSettings {
                        account_sid: sid,
                        auth_token: SecretString::from(token),
                        from,
                        api_url: env("TWILIO_API_URL")
                            .unwrap_or_else(|| "https://api.twilio.com".into())
                            .trim_end_matches('/')
                            .to_string(),
                    }),
                    _ => {
                        return Err(
                            "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM together"
                                .into(),
                        )
                    }
                },
            },
            backup_keep_days: match number("BACKUP_KEEP_DAYS")? {
                None => 7,
                Some(n) if (1..=365).contains(&n) => n,
                Some(n) => return Err(format!("BACKUP_KEEP_DAYS must be 1 to 365 days, not {n}")),
            },
            metrics_token: env("METRICS_TOKEN").map(SecretString::from),
            map_tile_url: env("MAP_TILE_URL")
                .filter(|v| v.starts_with("https://") || v.starts_with("http://")),
            routing_url: env("ROUTING_URL")
                .map(|v| {
                    if v.starts_with("https://") || v.starts_with("http://") {
                        Ok(v)
                    } else {
                        Err(format!("ROUTING_URL must be an http(s) URL, not {v:?}"))
                    }
                })
                .transpose()?,
            dns_resolver: env("DNS_RESOLVER")
                .map(|v| {
                    v.parse::<SocketAddr>()
                        .or_else(|_| v.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                        .map_err(|_| format!("DNS_RESOLVER must be ip or ip:port, not {v:?}"))
                })
                .transpose()?,
            custom_domain_target: env("CUSTOM_DOMAIN_TARGET"),
            site_addr: env("LEPTOS_SITE_ADDR")
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("LEPTOS_SITE_ADDR must be host:port, not {v:?}"))
                })
                .transpose()?,
            leptos_conf_file: env("LEPTOS_OUTPUT_NAME").is_none().then_some("Cargo.toml"),
            log_filter: env("RUST_LOG").unwrap_or_else(|| "info,sqlx=warn".into()),
            log_json: env("LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")),
            seed: SeedSettings::default(),
            billing: BillingSettings {
                stripe_secret_key: env("STRIPE_SECRET_KEY").map(SecretString::from),
                webhook_secrets: env("STRIPE_WEBHOOK_SECRET")
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| SecretString::from(s.to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
                api_base: env("STRIPE_API_BASE"),
                fake_addr: env("STRIPE_FAKE_ADDR")
                    .map(|v| {
                        v.parse()
                            .map_err(|_| format!("STRIPE_FAKE_ADDR must be host:port, not {v:?}"))
                    })
                    .transpose()?
                    .unwrap_or_else(|| BillingSettings::default().fake_addr),
                fake_state: env("STRIPE_FAKE_STATE").map(PathBuf::from),
                grace_days: match number("BILLING_GRACE_DAYS")? {
                    Some(n) if n >= 0 => n,
                    Some(n) => {
                        return Err(format!("BILLING_GRACE_DAYS must be 0 or more, not {n}"))
                    }
                    None => 7,
                },
            },
        };
        if c.billing.stripe_secret_key.is_some() && c.billing.webhook_secrets.is_empty() {
            return Err("STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: without it no webhook can be verified".into());
        }
        if let Some(v) = env("PLATFORM_DOMAIN") {
            c.platform.domain = v.to_lowercase();
        }
        if let Some(v) = env("PUBLIC_URL") {
            c.platform.public_url = v.trim_end_matches('/').to_string();
        }
        if let Some(v) = env("TRUSTED_PROXIES") {
            c.platform.trusted_proxies = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(str::trim)
                .map(|s| {
                    s.parse()
                        .map_err(|_| format!("TRUSTED_PROXIES: {s:?} is not an IP address"))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("TENANT_REQUESTS_PER_MINUTE") {
            c.platform.requests_per_minute = requests_per_minute(&v)?;
        }
        if let Some(n) = number("CACHE_SECONDS")? {
            if !(0..=3600).contains(&n) {
                return Err("CACHE_SECONDS must be a whole number from 0 to 3600".into());
            }
            c.platform.cache_seconds = n as u64;
        }
        if let Some(n) = number("REPLICA_MAX_LAG_SECONDS")? {
            if !(1..=300).contains(&n) {
                return Err("REPLICA_MAX_LAG_SECONDS must be a whole number from 1 to 300".into());
            }
            c.replica_max_lag = std::time::Duration::from_secs(n as u64);
        }
        if let Some(n) = number("DB_POOL_SIZE")? {
            c.platform.db_pool_size = positive("DB_POOL_SIZE", n)? as u32;
        }
        if let Some(n) = number("PASSWORD_HASH_CONCURRENCY")? {
            c.platform.password_hash_concurrency =
                positive("PASSWORD_HASH_CONCURRENCY", n)? as usize;
        }
        if let Some(n) = number("LOGIN_MAX_FAILURES_PER_ACCOUNT")? {
            c.throttle.max_failures_per_account = positive("LOGIN_MAX_FAILURES_PER_ACCOUNT", n)?;
        }
        if let Some(n) = number("LOGIN_MAX_FAILURES_PER_CLIENT")? {
            c.throttle.max_failures_per_client = positive("LOGIN_MAX_FAILURES_PER_CLIENT", n)?;
        }
        if let Some(n) = number("PHOTO_DECODE_CONCURRENCY")? {
            c.uploads.decode_concurrency = positive("PHOTO_DECODE_CONCURRENCY", n)? as usize;
        }
        if let Some(v) = env("UPLOAD_TMP_DIR") {
            c.uploads.tmp_dir = PathBuf::from(v);
        }
        if let Some(v) = env("DEMO_OWNER_EMAIL") {
            c.seed.owner_email = v;
        }
        if let Some(v) = env("DEMO_OWNER_PASSWORD") {
            c.seed.owner_password = v.into();
        }
        if let Some(v) = env("PLATFORM_ADMIN_EMAIL") {
            c.seed.admin_email = v;
        }
        if let Some(v) = env("PLATFORM_ADMIN_PASSWORD") {
            c.seed.admin_password = v.into();
        }
        c.check()?;
        Ok(c)
    }

    /// Settings that parse but cannot work.
    fn check(&self) -> Result<(), String> {
        let p = &self.platform;
        if !(p.public_url.starts_with("http://") || p.public_url.starts_with("https://")) {
            return Err(format!(
                "PUBLIC_URL must start with http:// or https://, not {:?}",
                p.public_url
            ));
        }
        if p.domain.is_empty() || p.domain.contains(['/', ':', ' ']) {
            return Err(format!(
                "PLATFORM_DOMAIN is not a domain name: {:?}",
                p.domain
            ));
        }
        if self.throttle.window_seconds <= 0 {
            return Err("login_throttle.window_seconds must be positive".into());
        }
        Ok(())
    }

    /// A configuration for tests and benchmarks: defaults, the given
    /// connections, nothing read from the environment.
    pub fn for_tests(owner_url: &str) -> Config {
        Config {
            database_url: Some(owner_url.to_string().into()),
            app_database_url: app_url_from_owner_url(owner_url).into(),
            replica_database_url: None,
            replica_max_lag: std::time::Duration::from_secs(5),
            cell: None,
            platform: PlatformSettings::default(),
            throttle: ThrottleSettings::default(),
            storage: Default::default(),
            uploads: UploadSettings::default(),
            mail: MailSettings::default(),
            sms: SmsSettings::default(),
            metrics_token: None,
            map_tile_url: None,
            routing_url: None,
            dns_resolver: None,
            custom_domain_target: None,
            site_addr: None,
            leptos_conf_file: Some("Cargo.toml"),
            log_filter: "warn".into(),
            log_json: false,
            seed: SeedSettings::default(),
            billing: BillingSettings::default(),
            backup_keep_days: 7,
        }
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

    /// The name custom domains point their CNAME at.
    pub fn domain_target(&self) -> String {
        self.custom_domain_target
            .clone()
            .unwrap_or_else(|| format!("domains.{}", self.platform.domain))
    }

    /// A tenant's base URL on its verified custom domain, else on its
    /// subdomain.
    pub fn tenant_base(&self, subdomain: &str, custom_domain: Option<&str>) -> String {
        match custom_domain {
            Some(d) => format!("{}://{}{}", self.scheme(), d, self.port_suffix()),
            None => self.tenant_url(subdomain),
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

    /// Cookies carry `Secure` (and responses HSTS) when the platform is
    /// served over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.scheme() == "https"
    }

    /// The owner's connection; an error in the serving process, which never
    /// has it.
    pub fn owner_url(&self) -> Result<&str, String> {
        self.database_url
            .as_ref()
            .map(|s| s.expose_secret())
            .ok_or_else(|| "the owner's connection is not available to this command".into())
    }

    pub fn app_url(&self) -> &str {
        self.app_database_url.expose_secret()
    }

    pub fn replica_url(&self) -> Option<&str> {
        self.replica_database_url
            .as_ref()
            .map(|s| s.expose_secret())
    }
}

/// "600,3000,12000": the Starter, Growth and Enterprise budgets.
fn requests_per_minute(v: &str) -> Result<[u32; 3], String> {
    const SAYS: &str = "TENANT_REQUESTS_PER_MINUTE must be three whole numbers of at least 1, \
                        for Starter, Growth and Enterprise, e.g. 600,3000,12000";
    let n: Vec<u32> = v
        .split(',')
        .map(|s| s.trim().parse::<u32>().ok().filter(|n| *n > 0))
        .collect::<Option<_>>()
        .ok_or_else(|| SAYS.to_string())?;
    n.try_into().map_err(|_| SAYS.to_string())
}

fn positive(name: &str, n: i64) -> Result<i64, String> {
    if n > 0 {
        Ok(n)
    } else {
        Err(format!("{name} must be at least 1"))
    }
}

/// The settings file: `FENCE_CONFIG` when set (it must then be readable),
/// else `Leptos.toml` when present, else the defaults.
fn read_file(named: Option<String>) -> Result<File, String> {
    let (path, required) = match named {
        Some(p) => (p, true),
        None => ("Leptos.toml".to_string(), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("settings file {path}: {e}")),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(File::default()),
        Err(e) => Err(format!(
            "cannot read the settings file {path} (FENCE_CONFIG): {e}"
        )),
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
    use std::collections::HashMap;

    fn load(purpose: Purpose, vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(purpose, &|k| map.get(k).cloned())
    }

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
        let c = Config::for_tests("postgres://x@h/db");
        assert_eq!(c.tenant_url("acme"), "http://acme.localhost:3000");
        assert!(!c.secure_cookies());
    }

    #[test]
    fn the_serving_process_never_holds_the_owners_password() {
        let c = load(
            Purpose::Serve,
            &[("DATABASE_URL", "postgres://owner:hunter2@db/fence")],
        )
        .unwrap();
        assert!(c.database_url.is_none());
        assert!(c.owner_url().is_err());
        assert_eq!(c.app_url(), "postgres://fence_app@db/fence");
        assert!(!format!("{c:?}").contains("hunter2"));
        let c = load(
            Purpose::Migrate,
            &[("DATABASE_URL", "postgres://owner:hunter2@db/fence")],
        )
        .unwrap();
        assert_eq!(c.owner_url().unwrap(), "postgres://owner:hunter2@db/fence");
        assert!(!format!("{c:?}").contains("hunter2"), "secrets never print");
    }

    #[test]
    fn a_named_settings_file_that_cannot_be_read_stops_start_up() {
        let e = load(
            Purpose::Serve,
            &[
                ("APP_DATABASE_URL", "postgres://fence_app@db/fence"),
                ("FENCE_CONFIG", "/nonexistent/fence.toml"),
            ],
        )
        .unwrap_err();
        assert!(
            e.contains("cannot read the settings file /nonexistent/fence.toml"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_say_which_variable_to_fix() {
        let base = ("APP_DATABASE_URL", "postgres://fence_app@db/fence");
        for (var, value, says) in [
            (
                "DB_POOL_SIZE",
                "many",
                "DB_POOL_SIZE must be a whole number",
            ),
            ("DB_POOL_SIZE", "0", "DB_POOL_SIZE must be at least 1"),
            (
                "TENANT_REQUESTS_PER_MINUTE",
                "600,3000",
                "TENANT_REQUESTS_PER_MINUTE must be three whole numbers",
            ),
            (
                "TENANT_REQUESTS_PER_MINUTE",
                "600,0,9000",
                "of at least 1, for Starter, Growth and Enterprise",
            ),
            (
                "TRUSTED_PROXIES",
                "10.0.0.1, proxy",
                "\"proxy\" is not an IP address",
            ),
            (
                "PUBLIC_URL",
                "fenceline.app",
                "PUBLIC_URL must start with http",
            ),
            (
                "LEPTOS_SITE_ADDR",
                "localhost",
                "LEPTOS_SITE_ADDR must be host:port",
            ),
        ] {
            let e = load(Purpose::Serve, &[base, (var, value)]).unwrap_err();
            assert!(e.contains(says), "{var}={value}: {e}");
        }
        assert!(load(Purpose::Serve, &[])
            .unwrap_err()
            .contains("APP_DATABASE_URL"));
    }

    #[test]
    fn the_readme_lists_every_environment_variable() {
        let readme = include_str!("../../README.md");
        for (name, _) in ENV_VARS {
            assert!(readme.contains(&format!("`{name}`")), "README lacks {name}");
        }
    }

    #[test]
    fn no_other_module_reads_the_environment() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && !p.ends_with("server/config.rs")
                {
                    let text = std::fs::read_to_string(&p).unwrap();
                    if text.contains("env::var(") || text.contains("env::var_os(") {
                        out.push(p.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut found,
        );
        assert_eq!(found, Vec::<String>::new());
    }
}
