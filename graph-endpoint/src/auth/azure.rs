//! Azure SDK credentials as a token source: `DefaultAzureCredential`, managed
//! identity and Azure CLI credentials work unchanged.

use std::fmt;
use std::sync::{Arc, OnceLock};

use azure_core::credentials::TokenCredential;

use crate::auth::secret::AccessToken;
use crate::auth::{TokenFuture, TokenSource};
use crate::cloud::Cloud;
use crate::error::identity::TokenError;
use crate::http_stack::HttpStack;

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
    /// Set by [`cloud`](Self::cloud) or [`scope`](Self::scope); otherwise the
    /// Graph scope of the attached client's cloud.
    scope: Option<String>,
    /// The cloud of the client this source was first attached to.
    attached_cloud: OnceLock<Cloud>,
    /// The scope asked for, worked out on first use (after attaching), not
    /// on every call.
    scope_in_use: OnceLock<String>,
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("credential", &self.credential)
            // Not `scope_in_use`: printing must not fix the scope before the
            // source is attached.
            .field("scope", &self.scope)
            .field("attached_cloud", &self.attached_cloud.get())
            .finish()
    }
}

impl AzureCredential {
    /// Wraps an Azure SDK credential, for the Graph of the cloud of the
    /// client it is attached to (the global cloud when used alone).
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential {
            credential,
            scope: None,
            attached_cloud: OnceLock::new(),
            scope_in_use: OnceLock::new(),
        }
    }

    /// Asks for the Graph scope of this cloud, whatever the client's.
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.scope = Some(format!("{}/.default", cloud.graph_root()));
        self
    }

    /// Asks for an explicit scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The scope asked for: set, or the attached client's cloud's Graph.
    fn scope_in_use(&self) -> &str {
        self.scope_in_use.get_or_init(|| match &self.scope {
            Some(scope) => scope.clone(),
            None => format!(
                "{}/.default",
                self.attached_cloud
                    .get()
                    .copied()
                    .unwrap_or_default()
                    .graph_root()
            ),
        })
    }
}

impl TokenSource for AzureCredential {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let token = self
                .credential
                .get_token(&[self.scope_in_use()], None)
                .await
                .map_err(|e| Box::new(e) as TokenError)?;
            Ok(AccessToken::new(token.token.secret().to_owned()))
        })
    }

    fn attach(&self, stack: &HttpStack) {
        // The first client to attach wins.
        let _ = self.attached_cloud.set(stack.cloud);
    }
}
