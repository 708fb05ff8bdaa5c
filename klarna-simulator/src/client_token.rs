//! The `client_token` a session hands to the browser: a JSON Web Token (HS256) naming
//! the session, as Klarna's is a JWT, so that the browser library can refuse a token
//! that is not one (`InvalidClientTokenError`). The browser endpoints accept a token
//! only when it is the one the session holds, so a token outlives a restart of a
//! simulator with a state file although the signing key is new each run.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Signs client tokens; a random key per simulator.
pub(crate) struct TokenSigner {
    key: [u8; 32],
}

impl TokenSigner {
    /// A signer with a fresh random key.
    pub(crate) fn new() -> Self {
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(16) {
            chunk.copy_from_slice(&fastrand::u128(..).to_le_bytes()[..chunk.len()]);
        }
        Self { key }
    }

    /// A token for `session_id`, listing the categories offered (the library checks a
    /// category against them before asking the simulator).
    pub(crate) fn issue(&self, session_id: &str, categories: &[&str], issued_at: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = json!({
            "iss": "klarna-simulator",
            "session_id": session_id,
            "payment_method_categories": categories,
            "iat": issued_at,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signed.as_bytes()));
        format!("{signed}.{signature}")
    }
}

/// The session a client token names, if it is shaped like a JWT with a `session_id`
/// claim. Whether it is that session's token is for the caller to check.
pub(crate) fn session_of(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("session_id")?.as_str().map(str::to_owned)
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key` (at most one block long).
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut inner_pad = [0x36u8; BLOCK];
    let mut outer_pad = [0x5cu8; BLOCK];
    for (i, byte) in key.iter().enumerate() {
        inner_pad[i] ^= byte;
        outer_pad[i] ^= byte;
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2 has a short key; this key is test case 1's 20 bytes of
        // 0x0b, padded with zeros to 32 (HMAC pads short keys with zeros itself).
        let mut key = [0u8; 32];
        key[..20].fill(0x0b);
        let mac = hmac_sha256(&key, b"Hi There");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn a_token_is_a_jwt_naming_its_session() {
        let signer = TokenSigner::new();
        let token = signer.issue("s-1", &["pay_later"], 1_900_000_000);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(session_of(&token).as_deref(), Some("s-1"));
        for bad in ["", "abc", "a.b", "a.b.c.d", "x.eyJmb28iOjF9.y"] {
            assert_eq!(session_of(bad), None, "{bad}");
        }
        // Signed: another key gives another signature.
        let other = TokenSigner::new().issue("s-1", &["pay_later"], 1_900_000_000);
        assert_ne!(token, other);
        assert_eq!(
            token.rsplit_once('.').unwrap().0,
            other.rsplit_once('.').unwrap().0
        );
    }
}
