//! A certificate's key, for signing in as an app with a signed client
//! assertion instead of a secret.

use std::fmt;

use aws_lc_rs::signature::RsaKeyPair;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Error;
use crate::error::identity::IdentityError;

/// A certificate's private key and the SHA-1 thumbprint of the certificate,
/// for signed client assertions. Its `Debug` is redacted.
///
/// ```no_run
/// use graph_endpoint::{ClientCertificate, ClientCredentials};
///
/// let key = std::fs::read_to_string("app.key.pem").unwrap();   // PKCS#8 or PKCS#1 RSA key
/// let cert = std::fs::read_to_string("app.cert.pem").unwrap(); // the certificate uploaded to the app
/// let certificate = ClientCertificate::from_pem(&key, &cert).unwrap();
/// let sign_in = ClientCredentials::with_certificate("contoso.onmicrosoft.com", "app-id", certificate);
/// # drop(sign_in);
/// ```
pub struct ClientCertificate {
    key: RsaKeyPair,
    thumbprint: [u8; 20],
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClientCertificate(x5t {}, key <redacted>)",
            URL_SAFE_NO_PAD.encode(self.thumbprint)
        )
    }
}

impl ClientCertificate {
    /// From an RSA private key (PKCS#8 or PKCS#1 DER) and the SHA-1 thumbprint
    /// of its certificate, as the Azure portal shows it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `key_der` is not an RSA private key in PKCS#8 or
    /// PKCS#1 DER.
    pub fn from_key_and_thumbprint(
        key_der: &[u8],
        sha1_thumbprint: [u8; 20],
    ) -> Result<Self, Error> {
        let key = RsaKeyPair::from_pkcs8(key_der)
            .or_else(|_| RsaKeyPair::from_der(key_der))
            .map_err(|e| {
                Error::Config(format!(
                    "the certificate's private key is not an RSA key: {e}"
                ))
            })?;
        Ok(ClientCertificate {
            key,
            thumbprint: sha1_thumbprint,
        })
    }

    /// From an RSA private key (PKCS#8 or PKCS#1 DER) and the certificate (DER).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `key_der` is not an RSA private key in PKCS#8 or
    /// PKCS#1 DER. The certificate is only hashed for its thumbprint, not checked.
    pub fn from_der(key_der: &[u8], certificate_der: &[u8]) -> Result<Self, Error> {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            certificate_der,
        );
        let mut thumbprint = [0u8; 20];
        thumbprint.copy_from_slice(digest.as_ref());
        ClientCertificate::from_key_and_thumbprint(key_der, thumbprint)
    }

    /// From PEM text: a `PRIVATE KEY` or `RSA PRIVATE KEY` block and a `CERTIFICATE` block.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when either text has no block with the expected label,
    /// a block is not closed or not base64, or the key is not an RSA private key.
    pub fn from_pem(key_pem: &str, certificate_pem: &str) -> Result<Self, Error> {
        let key = pem_block(key_pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let certificate = pem_block(certificate_pem, &["CERTIFICATE"])?;
        ClientCertificate::from_der(&key, &certificate)
    }

    /// The signed JWT the identity platform accepts as proof of the app.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<String, Box<IdentityError>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": URL_SAFE_NO_PAD.encode(self.thumbprint)});
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| {
                Box::new(IdentityError::undescribed(
                    "client_error",
                    "the client assertion could not be signed".to_owned(),
                    0,
                ))
            })?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The first PEM block with one of these labels, decoded.
fn pem_block(pem: &str, labels: &[&str]) -> Result<Vec<u8>, Error> {
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        if let Some(start) = pem.find(&begin) {
            let body = &pem[start + begin.len()..];
            let stop = body
                .find(&end)
                .ok_or_else(|| Error::Config(format!("the PEM block `{label}` is not closed")))?;
            let text: String = body[..stop]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            return base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| Error::Config(format!("the PEM block `{label}` is not base64: {e}")));
        }
    }
    Err(Error::Config(format!(
        "no PEM block labelled {}",
        labels.join(" or ")
    )))
}
