//! The session JWT signing key (RS256, generated once at start), the JWKS that publishes it,
//! signing, and random identifiers.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// The RSA modulus size.
const KEY_BITS: usize = 2048;

/// The process's signing key.
struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

static SIGNING_KEY: OnceLock<Result<SigningKey, String>> = OnceLock::new();

fn signing_key() -> Result<&'static SigningKey, String> {
    SIGNING_KEY
        .get_or_init(generate)
        .as_ref()
        .map_err(Clone::clone)
}

fn generate() -> Result<SigningKey, String> {
    let private = RsaPrivateKey::new(&mut rand::thread_rng(), KEY_BITS)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|e| format!("RSA key encoding failed: {e}"))?;
    let n = private.n().to_bytes_be();
    let e = private.e().to_bytes_be();
    // The kid is a thumbprint-like digest of the modulus: stable for the key, opaque to clients.
    let kid = format!(
        "jwk-test-{}",
        URL_SAFE_NO_PAD.encode(&Sha256::digest(&n)[..16])
    );
    let jwk = json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(&n),
        "e": URL_SAFE_NO_PAD.encode(&e),
    });
    Ok(SigningKey {
        kid,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk,
    })
}

/// The JWKS (`{"keys": [...]}`) publishing the signing key, generating it at first use.
pub fn jwks() -> Result<Value, String> {
    signing_key().map(|key| json!({ "keys": [key.jwk] }))
}

/// Signs `claims` as an RS256 JWT with header `{alg, typ: "JWT", kid}`.
pub fn sign<T: Serialize>(claims: &T) -> Result<String, String> {
    let key = signing_key()?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| e.to_string())
}

/// A random identifier shaped like a UUID (version 4).
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A new opaque session token: 44 URL-safe characters.
pub fn random_session_token() -> String {
    let mut b = [0u8; 33];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}
