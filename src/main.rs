//! The server binary: `fence` (or `fence serve`) serves as the application
//! role; `fence migrate` applies the migrations as the owner; `fence seed`
//! migrates and seeds the demo tenant and platform administrator.

/// mimalloc returns freed memory to the system: with glibc's allocator the
/// argon2 buffers (19 MiB a hash) stayed resident in per-thread arenas.
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use fence::server::config::{Config, Purpose};
    use fence::server::{db, router, seed, telemetry};
    use leptos::config::get_configuration;

    let fail = |m: String| -> ! {
        eprintln!("error: {m}");
        std::process::exit(1)
    };
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let purpose = match command.as_str() {
        "serve" | "stripe-sync" | "restore" | "import-legacy" => Purpose::Serve,
        "migrate" | "seed" => Purpose::Migrate,
        other => fail(format!(
            "unknown command {other}; use serve, migrate, seed, stripe-sync, restore or import-legacy"
        )),
    };
    let config = Config::load(purpose).unwrap_or_else(|e| fail(e));
    telemetry::init_logging(&config);
    if command == "stripe-sync" {
        // Creates the catalogue's products and prices in Stripe where they
        // are missing (found by lookup key): safe to run again.
        if config.billing.stripe_secret_key.is_none() {
            fail("STRIPE_SECRET_KEY is not set: without it the built-in Stripe stand-in is used and creates its own catalogue".into());
        }
        let billing = fence::server::billing::Billing::start(&config)
            .await
            .unwrap_or_else(|e| fail(e));
        for line in billing.sync_catalogue().await.unwrap_or_else(|e| fail(e)) {
            println!("{line}");
        }
        return;
    }
    if purpose == Purpose::Migrate {
        let owner = config.owner_url().unwrap_or_else(|e| fail(e));
        db::migrate(owner).await.unwrap_or_else(|e| fail(e));
        if let Some(cell) = &config.cell {
            fence::server::cells::migrate(cell.directory())
                .await
                .unwrap_or_else(|e| fail(e));
        }
        println!("migrations applied");
        if command == "migrate" {
            return;
        }
    }
    // Leptos's own settings (site root, output name) come from cargo-leptos's
    // environment when it runs the binary, else from Cargo.toml.
    let mut options = get_configuration(config.leptos_conf_file)
        .unwrap_or_else(|e| fail(e.to_string()))
        .leptos_options;
    if let Some(addr) = config.site_addr {
        options.site_addr = addr;
    }
    let addr = options.site_addr;
    let (app, state) = router::build(config, options)
        .await
        .unwrap_or_else(|e| fail(e));
    if command == "restore" {
        // `fence restore --tenant SUBDOMAIN PATH`: replaces a workspace's
        // data with an export archive's, in one transaction.
        let args: Vec<String> = std::env::args().skip(2).collect();
        let usage = || fail("usage: fence restore --tenant SUBDOMAIN ARCHIVE.zip".into());
        let (sub, path) = match args.as_slice() {
            [flag, sub, path] if flag == "--tenant" => (sub.clone(), path.clone()),
            _ => usage(),
        };
        let Some((org, _)) =
            fence::server::platform::tenant_for_host(&state.pool, Some(&sub), None)
                .await
                .unwrap_or_else(|e| fail(e.to_string()))
        else {
            fail(format!("no workspace has the subdomain {sub}"))
        };
        let report = fence::server::restore::restore_cli(&state, org, std::path::Path::new(&path))
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        println!("{}", report.summary());
        return;
    }
    if command == "import-legacy" {
        // `fence import-legacy --tenant SUBDOMAIN PATH [--dry-run]`: imports
        // the old system's files (a zip, fence.db, or its folder) into a
        // workspace, one customer per transaction; prints the plan's
        // summary and the verification report (the row-by-row plan goes to
        // PATH's name + ".plan.csv" in the current folder).
        let args: Vec<String> = std::env::args().skip(2).collect();
        let usage =
            || fail("usage: fence import-legacy --tenant SUBDOMAIN PATH [--dry-run]".into());
        let dry = args.iter().any(|a| a == "--dry-run");
        let rest: Vec<&String> = args.iter().filter(|a| *a != "--dry-run").collect();
        let (sub, path) = match rest.as_slice() {
            [flag, sub, path] if *flag == "--tenant" => ((*sub).clone(), (*path).clone()),
            _ => usage(),
        };
        let Some((org, _)) =
            fence::server::platform::tenant_for_host(&state.pool, Some(&sub), None)
                .await
                .unwrap_or_else(|e| fail(e.to_string()))
        else {
            fail(format!("no workspace has the subdomain {sub}"))
        };
        let path = std::path::PathBuf::from(path);
        let (plan, report, csv) = fence::server::import::import_cli(&state, org, &path, dry)
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "import".into());
        let csv_path = format!("{name}.plan.csv");
        if let Err(e) = std::fs::write(&csv_path, csv) {
            fail(format!("cannot write {csv_path}: {e}"));
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        );
        if let Some(r) = report {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            println!(
                "import finished: {} unexplained difference(s); plan written to {csv_path}",
                r.unexplained.len()
            );
        } else {
            println!("dry run only: nothing was imported; plan written to {csv_path}");
        }
        return;
    }
    if command == "seed" {
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
        return;
    }
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on {addr}: {e}")));
    tracing::info!(
        "listening on http://{addr} (platform: {})",
        state.config.platform.public_url
    );
    if let Some(fake) = &state.billing.fake {
        tracing::info!(
            "no STRIPE_SECRET_KEY: billing uses the built-in Stripe stand-in at {}",
            fake.base_url()
        );
    }
    let workers = fence::server::workers::start(&state);
    // SIGTERM (a rolling restart) or Ctrl-C: stop taking connections, end
    // the live streams, let requests in flight finish (at most
    // SHUTDOWN_GRACE), then let the workers finish their round.
    let draining = std::sync::Arc::new(tokio::sync::Notify::new());
    let signalled = draining.clone();
    let live = state.live.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests in flight");
        live.close();
        signalled.notify_one();
    });
    tokio::select! {
        r = server => r.unwrap_or_else(|e| fail(e.to_string())),
        _ = async {
            draining.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway"),
    }
    workers.stop().await;
    tracing::info!("stopped");
}

/// How long requests in flight may take to finish after a shutdown signal.
#[cfg(feature = "ssr")]
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(25);

/// SIGTERM or SIGINT (Ctrl-C).
#[cfg(feature = "ssr")]
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {}
