//! Azure SDK credentials as a token source: `DefaultAzureCredential`, managed
//! identity and Azure CLI credentials work unchanged.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;

use crate::{AccessToken, Cloud, TokenError, TokenFuture, TokenSource};

/// Adapts an Azure SDK [`TokenCredential`] to a [`TokenSource`], asking it
/// for the Graph scope (`{graph root}/.default`) of the chosen cloud. The
/// Azure credential does its own caching and refresh.
///
/// ```
/// # fn demo(credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>) {
/// use graph_endpoint::{AzureCredential, Cloud, GraphClient};
///
/// // `credential` is, for example, azure_identity's DeveloperToolsCredential or ManagedIdentityCredential.
/// let graph = GraphClient::builder()
///     .token_source(AzureCredential::new(credential).cloud(Cloud::Global))
///     .build()
///     .unwrap();
/// # drop(graph);
/// # }
/// ```
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
    scope: String,
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("credential", &self.credential)
            .field("scope", &self.scope)
            .finish()
    }
}

impl AzureCredential {
    /// Wraps an Azure SDK credential, for the global cloud's Graph.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential {
            credential,
            scope: format!("{}/.default", Cloud::Global.graph_root()),
        }
    }

    /// Asks for the Graph scope of this cloud.
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.scope = format!("{}/.default", cloud.graph_root());
        self
    }

    /// Asks for an explicit scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }
}

impl TokenSource for AzureCredential {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let token = self
                .credential
                .get_token(&[self.scope.as_str()], None)
                .await
                .map_err(|e| Box::new(e) as TokenError)?;
            Ok(AccessToken::new(token.token.secret().to_owned()))
        })
    }
}
