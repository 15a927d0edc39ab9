//! The server binary: `fence` serves; `fence seed` migrates and seeds the
//! demo tenant and platform administrator; `fence migrate` only migrates.

/// mimalloc returns freed memory to the system: with glibc's allocator the
/// argon2 buffers (19 MiB a hash) stayed resident in per-thread arenas.
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use fence::server::{config::Config, db, router, seed};
    use leptos::config::get_configuration;
    use tracing_subscriber::EnvFilter;

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let fail = |m: String| -> ! {
        eprintln!("error: {m}");
        std::process::exit(1)
    };
    let config = Config::load().unwrap_or_else(|e| fail(e));
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "migrate" {
        db::migrate(config.owner_url())
            .await
            .unwrap_or_else(|e| fail(e));
        println!("migrations applied");
        return;
    }
    let conf_file = std::env::var("LEPTOS_OUTPUT_NAME")
        .is_err()
        .then_some("Cargo.toml");
    let options = get_configuration(conf_file)
        .unwrap_or_else(|e| fail(e.to_string()))
        .leptos_options;
    let addr = options.site_addr;
    let (app, state) = router::build(config, options)
        .await
        .unwrap_or_else(|e| fail(e));
    match command.as_str() {
        "seed" => {
            let s = seed::run(&state).await.unwrap_or_else(|e| fail(e));
            println!(
                "Demo tenant:    {}  (log in as {} / {})",
                s.demo_url, s.owner_email, s.owner_password
            );
            println!("Crew member:    crew@demo.example / {}", s.owner_password);
            println!(
                "Platform admin: {}/admin  ({} / {})",
                state.config.platform.public_url, s.admin_email, s.admin_password
            );
        }
        "serve" => {
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .unwrap_or_else(|e| fail(e.to_string()));
            tracing::info!(
                "listening on http://{addr} (platform: {})",
                state.config.platform.public_url
            );
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
        }
        other => fail(format!(
            "unknown command {other}; use serve, seed or migrate"
        )),
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {}
