//! The bearer token never appears in logs, tracing fields, errors or Debug
//! output, whatever the traffic.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_endpoint::{AccessToken, GraphClient, RetryPolicy};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection, RetryAfter};
use tracing_subscriber::fmt::format::FmtSpan;

const TOKEN: &str = "eyJ0eXAiOiJKV1Qi.SECRET-payload-4f2a9c.signature-77e1";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_token_appears_nowhere() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut printed = String::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .token(TOKEN)
            .profiles(3)
            .start()
            .await
            .unwrap();
        let other = Emulator::builder().token(TOKEN).start().await.unwrap();
        let builder = GraphClient::builder()
            .base_url(emulator.base_url())
            .token(TOKEN)
            .retry(
                RetryPolicy::default()
                    .base_delay(Duration::from_millis(1))
                    .max_wait(Duration::from_millis(5)),
            );
        printed.push_str(&format!("{builder:?}\n"));
        let graph = builder.build().unwrap();
        printed.push_str(&format!("{graph:?} {:?}\n", AccessToken::new(TOKEN)));

        let mut errors = Vec::new();
        let id = graph
            .create_profile(&AndroidForWorkEnrollmentProfile::named("secret test"))
            .await
            .unwrap()
            .id()
            .unwrap()
            .to_owned();
        graph.create_token(&id, 60).await.unwrap();
        graph.revoke_token(&id).await.unwrap();
        errors.push(graph.get_profile("missing").await.unwrap_err());
        errors.push(graph.get_profile("..").await.unwrap_err());
        for fault in [
            Fault::Throttle(Some(RetryAfter::Seconds(1))),
            Fault::Unavailable(None),
            Fault::DropConnection,
            Fault::TruncatedBody { status: 200 },
            Fault::MalformedJson { status: 200 },
            Fault::HtmlError { status: 502 },
            Fault::graph_error(403, "accessDenied", "denied"),
            Fault::Respond {
                status: 307,
                headers: vec![(
                    "location".into(),
                    format!(
                        "{}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}",
                        other.base_url()
                    ),
                )],
                body: Default::default(),
            },
        ] {
            emulator.inject(Injection::times(4, fault));
            if let Err(e) = graph.get_profile(&id).await {
                errors.push(e);
            }
            if let Err(e) = graph.create_token(&id, 60).await {
                errors.push(e);
            }
            emulator.clear_injections();
        }
        let refused = GraphClient::builder()
            .base_url(emulator.base_url())
            .token("wrong")
            .no_retry()
            .build()
            .unwrap();
        errors.push(refused.list_profiles(None).await.unwrap_err());
        assert!(
            errors.len() >= 10,
            "the traffic produced errors: {}",
            errors.len()
        );
        for error in &errors {
            printed.push_str(&format!("{error:?}\n{error}\n"));
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                printed.push_str(&format!("{cause:?} {cause}\n"));
                source = cause.source();
            }
        }
        // The redirect to another origin arrived without the token.
        assert!(
            other
                .requests()
                .iter()
                .all(|r| r.header("authorization").is_none())
        );
        assert!(!other.requests().is_empty());
    });

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture worked: the calls are there, with their fields.
    assert!(logs.contains("graph.call"), "{logs}");
    assert!(
        logs.contains("endpoint=\"revoke_token\"") || logs.contains("endpoint=revoke_token"),
        "{logs}"
    );
    assert!(logs.contains("/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken"));
    assert!(
        logs.contains("attempts=") && logs.contains("elapsed_ms="),
        "{logs}"
    );
    // And the token is in none of it.
    for (what, text) in [("logs", &logs), ("errors and Debug output", &printed)] {
        assert!(!text.contains(TOKEN), "the token leaked into {what}");
        assert!(
            !text.contains("SECRET-payload"),
            "part of the token leaked into {what}"
        );
    }
}
