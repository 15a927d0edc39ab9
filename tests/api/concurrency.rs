//! The pool-leak case: many tenants' requests interleaved over a pool of two
//! connections must never see each other's rows.

use fence::api::customers::ListCustomers;
use fence::api::shell::GetDashboard;

use crate::helpers::TestApp;

#[tokio::test]
async fn interleaved_requests_over_two_connections_never_mix_tenants() {
    let app = TestApp::spawn_with(|c| c.platform.db_pool_size = 2).await;
    let mut tenants = Vec::new();
    for i in 0..8 {
        let t = app.signup(&format!("tenant{i}"), "starter").await;
        for j in 0..3 {
            app.customer(&t, &format!("{} customer {j}", t.sub), "")
                .await;
        }
        tenants.push(t);
    }
    let app = std::sync::Arc::new(app);
    let tenants = std::sync::Arc::new(tenants);
    let mut tasks = Vec::new();
    for round in 0..200 {
        let app = app.clone();
        let tenants = tenants.clone();
        tasks.push(tokio::spawn(async move {
            let t = &tenants[round % tenants.len()];
            // The customer names each answer carries, and its count.
            let (names, count): (Vec<String>, i64) = if round % 2 == 0 {
                let page = app
                    .as_owner(
                        t,
                        ListCustomers {
                            q: String::new(),
                            page: 1,
                            archived: false,
                        },
                    )
                    .await
                    .unwrap();
                (page.rows.into_iter().map(|c| c.name).collect(), page.total)
            } else {
                let d = app.as_owner(t, GetDashboard {}).await.unwrap();
                (d.recent.into_iter().map(|c| c.name).collect(), d.customers)
            };
            for other in tenants.iter().filter(|o| o.sub != t.sub) {
                assert!(
                    !names
                        .iter()
                        .any(|n| n.contains(&format!("{} customer", other.sub))),
                    "{} saw {}: {names:?}",
                    t.sub,
                    other.sub
                );
            }
            assert!(
                names
                    .iter()
                    .any(|n| n.contains(&format!("{} customer", t.sub))),
                "{} sees its own rows: {names:?}",
                t.sub
            );
            assert_eq!(count, 3, "{} counts only its own rows", t.sub);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    match std::sync::Arc::try_unwrap(app) {
        Ok(app) => app.cleanup().await,
        Err(_) => panic!("app still shared"),
    }
}

/// Pages render while another server in the same process is being built.
/// Building one generates the route list, which used to raise
/// leptos_server's process-wide "suppress resource loads" flag each time:
/// a page whose resource was first polled then never answered (the API
/// suite's rare 90-second hangs). The other thread here does what each
/// test's server build did, as fast as it can; every page must still
/// answer, and in time.
#[tokio::test]
async fn pages_answer_while_another_server_is_built() {
    let app = TestApp::spawn().await;
    let t = app.signup("pages", "starter").await;
    let id = app.customer(&t, "Pat Pages", "").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let builder = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let _in = rt.enter();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fence::server::router::route_list();
            }
        }
    });
    let mut failures = Vec::new();
    for _ in 0..40 {
        match t
            .client
            .get(app.url(Some(&t.sub), &format!("/customers/{id}")))
            .timeout(std::time::Duration::from_secs(20))
            .send()
            .await
        {
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                if status != 200 || !body.contains("Pat Pages") {
                    failures.push(format!("{status}"));
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    builder.join().unwrap();
    assert!(failures.is_empty(), "pages that failed: {failures:?}");
}
