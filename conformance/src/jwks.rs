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

use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

/// The JWKS of an RSA private key in PEM form (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
/// `PRIVATE KEY`), as RS256 key `kid`.
pub fn from_private_pem(pem: &[u8], kid: &str) -> Result<Value, String> {
    let block = pem::parse(pem).map_err(|e| format!("not a PEM block: {e}"))?;
    let key = match block.tag() {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
        other => {
            return Err(format!(
                "a PEM block of {other:?}: give an RSA private key (RSA PRIVATE KEY or PRIVATE KEY)"
            ))
        }
    }
    .map_err(|e| format!("not a usable RSA private key: {e}"))?;
    from_key_pair(&key, kid)
}

/// The JWKS of an RSA private key in DER form (PKCS#1 or PKCS#8), as RS256 key `kid`.
pub fn from_private_der(der: &[u8], kid: &str) -> Result<Value, String> {
    let key = RsaKeyPair::from_der(der)
        .or_else(|_| RsaKeyPair::from_pkcs8(der))
        .map_err(|e| format!("not a usable RSA private key in PKCS#1 or PKCS#8 DER: {e}"))?;
    from_key_pair(&key, kid)
}

fn from_key_pair(key: &RsaKeyPair, kid: &str) -> Result<Value, String> {
    let public = key.public_key();
    from_rsa_components(
        public.modulus().big_endian_without_leading_zero(),
        public.exponent().big_endian_without_leading_zero(),
        kid,
    )
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
            "an RSA modulus of about {} bits is too short for RS256 (at least 2048)",
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
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::RSA_PKCS1_SHA256;

    const PEM: &[u8] = include_bytes!("../tests/data/test-rsa-2048.pem");
    const PKCS8_PEM: &[u8] = include_bytes!("../tests/data/test-rsa-2048-pkcs8.pem");

    /// An RS256 JWT signed with `key`, header kid `kid`.
    fn token(key: &RsaKeyPair, kid: &str) -> String {
        let header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        let signed = format!("{header}.{payload}");
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signed.as_bytes(),
            &mut signature,
        )
        .unwrap();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn a_jwks_from_a_pem_verifies_what_the_key_signs() {
        let block = pem::parse(PEM).unwrap();
        let key = RsaKeyPair::from_der(block.contents()).unwrap();
        let jwks = from_private_pem(PEM, "k1").unwrap();
        let signed = token(&key, "k1");
        assert_eq!(crate::compare::verify_signature(&signed, &jwks), Ok(()));
        // The same key in PKCS#8 and in DER gives the same JWKS.
        assert_eq!(from_private_pem(PKCS8_PEM, "k1").unwrap(), jwks);
        assert_eq!(from_private_der(block.contents(), "k1").unwrap(), jwks);
        // Another key, another kid, a changed payload: refused.
        let other = from_rsa_components(&[0x80; 256], &[1, 0, 1], "k1").unwrap();
        assert!(crate::compare::verify_signature(&signed, &other).is_err());
        let err = crate::compare::verify_signature(&token(&key, "k2"), &jwks).unwrap_err();
        assert!(err.contains("no key \"k2\""), "{err}");
        let mut parts: Vec<&str> = signed.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"y"}"#);
        parts[1] = &forged;
        assert!(crate::compare::verify_signature(&parts.join("."), &jwks).is_err());
        assert!(!jwks.to_string().contains("\"d\""), "no private parameter");
    }

    #[test]
    fn a_key_s_certificate_must_be_over_that_key() {
        use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
        use base64::engine::general_purpose::STANDARD;
        // Self-signed with openssl over test-rsa-2048.pem, and over a key generated for it.
        const CERTIFICATE: &[u8] = include_bytes!("../tests/data/test-rsa-2048-cert.der");
        const OTHER: &[u8] = include_bytes!("../tests/data/other-rsa-2048-cert.der");
        let block = pem::parse(PEM).unwrap();
        let signed = token(&RsaKeyPair::from_der(block.contents()).unwrap(), "k1");
        let with = |fields: Value| {
            let mut jwks = from_private_pem(PEM, "k1").unwrap();
            for (name, value) in fields.as_object().unwrap() {
                jwks["keys"][0][name] = value.clone();
            }
            crate::compare::verify_signature(&signed, &jwks)
        };
        let good = json!({
            "x5c": [STANDARD.encode(CERTIFICATE)],
            "x5t": URL_SAFE_NO_PAD.encode(digest(&SHA1_FOR_LEGACY_USE_ONLY, CERTIFICATE)),
            "x5tS256": URL_SAFE_NO_PAD.encode(digest(&SHA256, CERTIFICATE)),
        });
        assert_eq!(with(good.clone()), Ok(()));
        // Only the first certificate of the chain is the key's.
        let mut chain = good.clone();
        chain["x5c"] = json!([STANDARD.encode(CERTIFICATE), "not read"]);
        assert_eq!(with(chain), Ok(()));
        let refused = |fields: Value, why: &str| {
            let err = with(fields.clone()).expect_err(&fields.to_string());
            assert!(err.contains(why), "{fields}: {err}");
        };
        refused(
            json!({ "x5c": [STANDARD.encode(OTHER)] }),
            "over another key",
        );
        refused(json!({ "x5c": [""] }), "not a DER X.509 certificate");
        refused(
            json!({ "x5c": [STANDARD.encode(&CERTIFICATE[..400])] }),
            "not a DER",
        );
        let mut trailing = CERTIFICATE.to_vec();
        trailing.push(0);
        refused(
            json!({ "x5c": [STANDARD.encode(trailing)] }),
            "1 bytes after",
        );
        refused(
            json!({ "x5c": [URL_SAFE_NO_PAD.encode(CERTIFICATE)] }),
            "standard base64",
        );
        refused(json!({ "x5c": [] }), "non-empty array");
        refused(
            json!({ "x5c": STANDARD.encode(CERTIFICATE) }),
            "non-empty array",
        );
        refused(json!({ "x5c": [5] }), "non-empty array");
        let mut thumbprint = good.clone();
        thumbprint["x5tS256"] = json!(URL_SAFE_NO_PAD.encode(digest(&SHA256, OTHER)));
        refused(thumbprint, "x5tS256 is");
        let mut sha1 = good;
        sha1["x5t"] = sha1["x5tS256"].clone();
        refused(sha1, "x5t is");
    }

    #[test]
    fn bad_keys_are_refused_with_a_reason() {
        assert!(from_private_pem(b"not a key", "k")
            .unwrap_err()
            .contains("PEM"));
        let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(from_private_pem(public.as_bytes(), "k")
            .unwrap_err()
            .contains("\"PUBLIC KEY\""));
        assert!(from_private_der(b"\x30\x03\x02\x01\x00", "k").is_err());
        assert!(from_rsa_components(&[1; 64], &[3], "k")
            .unwrap_err()
            .contains("512 bits"));
        let one = from_rsa_components(&[0x80; 256], &[3], "k").unwrap();
        let twice = set(vec![one["keys"][0].clone(), one["keys"][0].clone()]);
        assert!(twice.unwrap_err().contains("twice"));
    }
}
