//! The Azure SDK adapter: any `azure_core` `TokenCredential` signs the calls.
#![cfg(feature = "azure")]

use std::sync::{Arc, Mutex};

use graph_endpoint::azure_core;
use graph_endpoint::azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use graph_endpoint::{AzureCredential, Cloud, GraphClient};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::Emulator;

/// Stands in for DefaultAzureCredential: hands out a fixed token and records the scopes asked.
#[derive(Debug)]
struct FakeAzureCredential {
    token: Option<String>,
    asked: Mutex<Vec<Vec<String>>>,
}

#[async_trait::async_trait]
impl TokenCredential for FakeAzureCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.asked
            .lock()
            .unwrap()
            .push(scopes.iter().map(|s| s.to_string()).collect());
        match &self.token {
            Some(token) => Ok(AccessToken::new(
                token.clone(),
                azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
            )),
            None => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no credential available in this environment",
            )),
        }
    }
}

#[tokio::test]
async fn an_azure_credential_signs_the_calls() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FakeAzureCredential {
        token: Some(emulator.token()),
        asked: Mutex::new(Vec::new()),
    });
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(AzureCredential::new(credential.clone()).cloud(Cloud::UsGovL4))
        .build()
        .unwrap();
    graph.list_profiles(None).await.unwrap();
    assert_eq!(
        *credential.asked.lock().unwrap(),
        [["https://graph.microsoft.us/.default"]]
    );
    assert_eq!(
        emulator.last_request().unwrap().header("authorization"),
        Some("Bearer emulator-token")
    );
}

#[tokio::test]
async fn an_azure_credential_without_a_cloud_asks_for_the_clients_clouds_graph() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FakeAzureCredential {
        token: Some(emulator.token()),
        asked: Mutex::new(Vec::new()),
    });
    let graph = GraphClient::builder()
        .cloud(Cloud::China)
        .base_url(emulator.base_url())
        .token_source(AzureCredential::new(credential.clone()))
        .build()
        .unwrap();
    graph.list_profiles(None).await.unwrap();
    assert_eq!(
        *credential.asked.lock().unwrap(),
        [["https://microsoftgraph.chinacloudapi.cn/.default"]]
    );
}

#[tokio::test]
async fn an_azure_credential_failure_is_reported() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FakeAzureCredential {
        token: None,
        asked: Mutex::new(Vec::new()),
    });
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(AzureCredential::new(credential))
        .build()
        .unwrap();
    let err = graph.list_profiles(None).await.unwrap_err();
    assert!(matches!(err, graph_endpoint::Error::Token(_)), "{err:?}");
    assert!(err.to_string().contains("no credential available"), "{err}");
    assert_eq!(emulator.request_count(), 0);
}
