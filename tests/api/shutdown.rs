//! A rolling restart loses nothing: on SIGTERM the real `fence serve`
//! process stops taking connections, ends the live event streams (browsers
//! reconnect elsewhere) instead of waiting on them, finishes the request in
//! flight, and exits cleanly.

use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::mail::free_port;

#[tokio::test]
async fn sigterm_drains_requests_in_flight_ends_live_streams_and_exits() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fence"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env(
            "APP_DATABASE_URL",
            app.state.config.app_database_url.expose_secret(),
        )
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("STRIPE_FAKE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the fence binary");
    let health = format!("http://localhost:{port}/health");
    let probe = app.client();
    let mut up = false;
    for _ in 0..200 {
        if probe
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");

    // A member's live stream (the session lives in the shared database).
    let mut events = a
        .client
        .get(format!("http://alpha.localhost:{port}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let first = tokio::time::timeout(Duration::from_secs(10), events.chunk())
        .await
        .expect("the stream's first event")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("resync"));

    // A request in flight: its headers sent, half its body.
    let body = "form%5Bemail%5D=nobody%40alpha.example&form%5Bpassword%5D=not+the+password";
    let (head, tail) = body.split_at(body.len() / 2);
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    slow.write_all(
        format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: alpha.localhost:{port}\r\n\
             Origin: http://alpha.localhost:{port}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{head}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    tokio::time::sleep(Duration::from_millis(500)).await;

    // No new connections...
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "still accepting after SIGTERM"
    );
    // ... the live stream ends at once rather than holding the shutdown ...
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.chunk().await {
                Ok(Some(_)) => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the live stream held the shutdown");
    // ... and the request in flight is answered.
    slow.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    assert!(
        !answer.starts_with("HTTP/1.1 5"),
        "the request failed: {answer}"
    );

    // The process exits by itself, cleanly.
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("still running 10 s after SIGTERM");
    };
    assert!(status.success(), "{status}");
}
