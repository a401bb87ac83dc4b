//! Secrets at rest (API tokens, refresh tokens, private keys): sealed with ChaCha20-Poly1305
//! under one installation key, each bound to where it belongs, so a sealed value copied into
//! another row or organization does not open.
//!
//! The key comes from `CLEARLINE_SECRET_KEY` (32 bytes, base64) or from a key file that is
//! created on first start with mode 600 (`data/secret.key` by default). Sealed values and the
//! key never appear in `Debug` output or logs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::fmt;
use std::path::Path;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// Format marker, so a later key rotation or algorithm change can tell versions apart.
const VERSION: &str = "v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes in base64 ({0})")]
    BadKey(String),
    #[error("cannot read or create the secret key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("a stored secret could not be opened (wrong key, or it was moved or altered)")]
    Unsealable,
}

/// The installation's key. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(***)")
    }
}

impl Vault {
    pub fn from_key(key: &[u8]) -> Result<Vault, SecretError> {
        if key.len() != KEY_LEN {
            return Err(SecretError::BadKey(format!("got {} bytes", key.len())));
        }
        Ok(Vault {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        })
    }

    pub fn from_base64(text: &str) -> Result<Vault, SecretError> {
        let key = STANDARD
            .decode(text.trim())
            .map_err(|e| SecretError::BadKey(e.to_string()))?;
        Vault::from_key(&key)
    }

    /// Reads the key file, creating it (mode 600) with a fresh random key if it is missing.
    pub fn from_key_file(path: &Path) -> Result<Vault, SecretError> {
        let fail = |e: &dyn fmt::Display| SecretError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Vault::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_LEN];
                rand::rngs::OsRng.fill_bytes(&mut key);
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
                }
                write_private(path, STANDARD.encode(key).as_bytes()).map_err(|e| fail(&e))?;
                Vault::from_key(&key)
            }
            Err(e) => Err(fail(&e)),
        }
    }

    /// Seals `plain` for the place named by `context` (e.g. `org:7/qbo/refresh_token`).
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}:{}", STANDARD.encode(out))
    }

    /// Opens what [`Vault::seal`] sealed for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SecretError> {
        let body = sealed
            .strip_prefix(&format!("{VERSION}:"))
            .ok_or(SecretError::Unsealable)?;
        let bytes = STANDARD.decode(body).map_err(|_| SecretError::Unsealable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Unsealable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Unsealable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Unsealable)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::from_key(&[7u8; 32]).unwrap()
    }

    #[test]
    fn opens_what_it_sealed_in_the_same_place_only() {
        let v = vault();
        let sealed = v.seal("org:1/wise/token", "wise-personal-token-123");
        assert!(!sealed.contains("wise-personal-token-123"));
        assert_eq!(
            v.open("org:1/wise/token", &sealed).unwrap(),
            "wise-personal-token-123"
        );
        assert_eq!(
            v.open("org:2/wise/token", &sealed),
            Err(SecretError::Unsealable)
        );
        let other = Vault::from_key(&[8u8; 32]).unwrap();
        assert_eq!(
            other.open("org:1/wise/token", &sealed),
            Err(SecretError::Unsealable)
        );
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let v = vault();
        assert_ne!(v.seal("c", "s"), v.seal("c", "s"));
    }

    #[test]
    fn altered_or_garbage_input_does_not_open() {
        let v = vault();
        let mut sealed = v.seal("c", "secret");
        sealed.pop();
        sealed.push('A');
        for bad in [sealed.as_str(), "", "v1:", "v1:!!!", "v0:AAAA", "v1:AAAA"] {
            assert_eq!(v.open("c", bad), Err(SecretError::Unsealable), "{bad:?}");
        }
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(matches!(
            Vault::from_key(&[0u8; 16]),
            Err(SecretError::BadKey(_))
        ));
        assert!(matches!(
            Vault::from_base64("not base64"),
            Err(SecretError::BadKey(_))
        ));
        let encoded = STANDARD.encode([1u8; 32]);
        assert!(Vault::from_base64(&encoded).is_ok());
    }

    #[test]
    fn debug_shows_nothing() {
        assert_eq!(format!("{:?}", vault()), "Vault(***)");
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("clearline-key-{}", std::process::id()));
        let path = dir.join("secret.key");
        let _ = std::fs::remove_dir_all(&dir);
        let first = Vault::from_key_file(&path).unwrap();
        let sealed = first.seal("c", "s");
        let again = Vault::from_key_file(&path).unwrap();
        assert_eq!(again.open("c", &sealed).unwrap(), "s");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
