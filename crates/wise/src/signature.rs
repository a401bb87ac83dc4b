//! RSA PKCS#1 v1.5 with SHA-256, the one signature scheme Wise uses: SCA one-time tokens are
//! signed with it (`X-Signature`), and webhooks are signed with it (`X-Signature-SHA256`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::fmt;

/// Why a key could not be loaded. Never includes key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an RSA private key in PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`)")]
    PrivateKey,
    #[error("not an RSA public key in PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`)")]
    PublicKey,
    #[error("RSA key generation failed")]
    Generate,
}

/// A private key that signs; its `Debug` shows nothing secret.
#[derive(Clone)]
pub struct PrivateKey(RsaPrivateKey);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(RSA, redacted)")
    }
}

impl PrivateKey {
    /// Accepts both PEM forms OpenSSL produces: PKCS#1 (`genrsa` before 3.0) and PKCS#8 (3.0+).
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        let pem = pem.trim();
        RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .map(PrivateKey)
            .map_err(|_| KeyError::PrivateKey)
    }

    /// A fresh key pair (the emulator's webhook key, test SCA keys).
    pub fn generate(bits: usize) -> Result<PrivateKey, KeyError> {
        let mut rng = rand::thread_rng();
        RsaPrivateKey::new(&mut rng, bits)
            .map(PrivateKey)
            .map_err(|_| KeyError::Generate)
    }

    /// PKCS#1 PEM of the private key (for handing a generated test key to a client).
    pub fn to_pkcs1_pem(&self) -> String {
        self.0
            .to_pkcs1_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .unwrap_or_default()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.to_public_key())
    }

    /// Base64 (standard alphabet, padded, one line) of the PKCS#1 v1.5 SHA-256 signature.
    pub fn sign_base64(&self, message: &[u8]) -> String {
        let key = SigningKey::<Sha256>::new(self.0.clone());
        STANDARD.encode(key.sign(message).to_bytes())
    }
}

/// A public key that verifies.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(RsaPublicKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(RSA)")
    }
}

impl PublicKey {
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let pem = pem.trim();
        RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map(PublicKey)
            .map_err(|_| KeyError::PublicKey)
    }

    pub fn to_spki_pem(&self) -> String {
        self.0.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// Checks a Base64 PKCS#1 v1.5 SHA-256 signature over exactly `message`.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(bytes) = STANDARD.decode(signature_b64.trim()) else {
            return false;
        };
        let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(self.0.clone())
            .verify(message, &sig)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1_and_pkcs8_sign_alike_and_verify() {
        let key = PrivateKey::generate(1024).unwrap();
        let pkcs1 = key.to_pkcs1_pem();
        let again = PrivateKey::from_pem(&pkcs1).unwrap();
        let sig = again.sign_base64(b"be2f6579-9426-480b-9cb7-d8f1116cc8b9");
        assert_eq!(
            sig,
            key.sign_base64(b"be2f6579-9426-480b-9cb7-d8f1116cc8b9")
        );
        let public = PublicKey::from_pem(&key.public_key().to_spki_pem()).unwrap();
        assert!(public.verify_base64(b"be2f6579-9426-480b-9cb7-d8f1116cc8b9", &sig));
        assert!(!public.verify_base64(b"be2f6579-9426-480b-9cb7-d8f1116cc8b8", &sig));
        assert!(!public.verify_base64(b"x", "not base64!"));
        assert_eq!(format!("{key:?}"), "PrivateKey(RSA, redacted)");
        assert!(
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .is_err()
        );
    }
}
