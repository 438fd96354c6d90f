//! Building the JWKS an in-process implementation declares in
//! [`Capabilities::jwks`](crate::Capabilities::jwks), from the key it signs with.
//!
//! The suite verifies every `session_jwt` against the declared JWKS (`alg` RS256, as
//! `model/SPEC.md` rule `jwt.header` says); without one it checks no signature, and
//! [`testing`](crate::testing) refuses to pass unless told so. These helpers turn the key an
//! implementation already holds into that JWKS:
//!
//! ```
//! # fn main() -> Result<(), String> {
//! let pem = include_bytes!("../tests/data/test-rsa-2048.pem");
//! let jwks = migrate_conformance::jwks::from_private_pem(pem, "my-key-1")?;
//! assert_eq!(jwks["keys"][0]["kid"], "my-key-1");
//! assert_eq!(jwks["keys"][0]["kty"], "RSA");
//! # Ok(())
//! # }
//! ```
//!
//! The private key never leaves the function: only the public parameters (`n`, `e`) are in the
//! result.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

/// The JWKS of an RSA private key in PEM form (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
/// `PRIVATE KEY`), as RS256 key `kid`.
pub fn from_private_pem(pem: &[u8], kid: &str) -> Result<Value, String> {
    let key = EncodingKey::from_rsa_pem(pem)
        .map_err(|e| format!("not an RSA private key in PEM form: {e}"))?;
    from_encoding_key(&key, kid)
}

/// The JWKS of an RSA private key in DER form (PKCS#1), as RS256 key `kid`.
pub fn from_private_der(der: &[u8], kid: &str) -> Result<Value, String> {
    from_encoding_key(&EncodingKey::from_rsa_der(der), kid)
}

/// The JWKS of the key behind a `jsonwebtoken` RSA [`EncodingKey`], as RS256 key `kid`.
pub fn from_encoding_key(key: &EncodingKey, kid: &str) -> Result<Value, String> {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::RS256)
        .map_err(|e| format!("cannot derive the public key: {e}"))?;
    if !matches!(jwk.algorithm, AlgorithmParameters::RSA(_)) {
        return Err("not an RSA key: Stytch session JWTs are RS256".into());
    }
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    set(vec![
        serde_json::to_value(jwk).map_err(|e| format!("cannot write the JWK: {e}"))?
    ])
}

/// The JWKS of an RSA public key given by its modulus and public exponent as big-endian
/// bytes, as RS256 key `kid`.
pub fn from_rsa_components(modulus: &[u8], exponent: &[u8], kid: &str) -> Result<Value, String> {
    let strip = |b: &[u8]| -> Vec<u8> {
        let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[first..].to_vec()
    };
    let (n, e) = (strip(modulus), strip(exponent));
    if n.len() < 256 {
        return Err(format!(
            "an RSA modulus of {} bits is too short for RS256 (at least 2048)",
            n.len() * 8
        ));
    }
    if e.is_empty() {
        return Err("the RSA public exponent is zero".into());
    }
    set(vec![json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(n),
        "e": URL_SAFE_NO_PAD.encode(e),
    })])
}

/// A JWKS of several keys (for an implementation that rotates), each from one of the functions
/// above: `set(vec![a["keys"][0].clone(), b["keys"][0].clone()])`. Refuses a repeated `kid`.
pub fn set(keys: Vec<Value>) -> Result<Value, String> {
    let mut kids = std::collections::BTreeSet::new();
    for key in &keys {
        let kid = key
            .get("kid")
            .and_then(Value::as_str)
            .ok_or("every key needs a string kid")?;
        if !kids.insert(kid.to_owned()) {
            return Err(format!("kid {kid:?} appears twice"));
        }
    }
    Ok(json!({ "keys": keys }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &[u8] = include_bytes!("../tests/data/test-rsa-2048.pem");

    #[test]
    fn a_jwks_from_a_pem_verifies_what_the_key_signs() {
        let jwks = from_private_pem(PEM, "k1").unwrap();
        let key = EncodingKey::from_rsa_pem(PEM).unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        let token = jsonwebtoken::encode(&header, &json!({"sub": "x"}), &key).unwrap();
        assert_eq!(crate::compare::verify_signature(&token, &jwks), Ok(()));
        let other = from_rsa_components(&[0x80; 256], &[1, 0, 1], "k1").unwrap();
        assert!(crate::compare::verify_signature(&token, &other).is_err());
        assert!(!jwks.to_string().contains("\"d\""), "no private parameter");
    }

    #[test]
    fn bad_keys_are_refused_with_a_reason() {
        assert!(from_private_pem(b"not a key", "k")
            .unwrap_err()
            .contains("PEM"));
        assert!(from_rsa_components(&[1; 64], &[3], "k")
            .unwrap_err()
            .contains("512 bits"));
        let one = from_rsa_components(&[0x80; 256], &[3], "k").unwrap();
        let twice = set(vec![one["keys"][0].clone(), one["keys"][0].clone()]);
        assert!(twice.unwrap_err().contains("twice"));
    }
}
