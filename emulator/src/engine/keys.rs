//! The session JWT signing key (RS256, generated once per process), the JWKS that publishes
//! it, signing, and random identifiers.
//!
//! Signing goes straight to AWS-LC (`aws-lc-rs`): constant-time RSA, and the parsed key is
//! kept for the life of the process, so a signature costs one private-key operation.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::RngCore as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// The process's signing key.
struct SigningKey {
    kid: String,
    pair: KeyPair,
    /// The JWT header, already base64url-encoded with its trailing dot.
    header_segment: String,
    jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

static SIGNING_KEY: OnceLock<Result<SigningKey, String>> = OnceLock::new();

fn signing_key() -> Result<&'static SigningKey, String> {
    SIGNING_KEY
        .get_or_init(generate)
        .as_ref()
        .map_err(Clone::clone)
}

fn generate() -> Result<SigningKey, String> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    let public = pair.public_key();
    let n = public.modulus().big_endian_without_leading_zero().to_vec();
    let e = public.exponent().big_endian_without_leading_zero().to_vec();
    // The kid is a digest of the modulus: stable for the key, opaque to clients.
    let kid = format!(
        "jwk-test-{}",
        URL_SAFE_NO_PAD.encode(&Sha256::digest(&n)[..16])
    );
    let n = URL_SAFE_NO_PAD.encode(&n);
    let e = URL_SAFE_NO_PAD.encode(&e);
    let certificate = self_signed_certificate(&pair)?;
    // Every field the official GetJWKSResponse schema requires of a key (api_session_v1_JWK):
    // the Rust SDK's typed JWK has no optional fields. As Stytch does, a self-signed
    // certificate over the same key backs it (RFC 7517: `x5c` in standard base64, `x5tS256`
    // the base64url SHA-256 thumbprint of the certificate).
    let jwk = json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "key_ops": ["verify"],
        "x5c": [STANDARD.encode(&certificate)],
        "x5tS256": URL_SAFE_NO_PAD.encode(Sha256::digest(&certificate)),
        "n": n,
        "e": e,
    });
    let header = json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
    let header_segment = format!("{}.", URL_SAFE_NO_PAD.encode(header.to_string()));
    Ok(SigningKey {
        kid,
        pair,
        header_segment,
        jwk,
    })
}

/// A self-signed X.509 certificate (DER) for the key pair: organization "Stytch emulator",
/// for digital signatures, not a CA.
fn self_signed_certificate(pair: &KeyPair) -> Result<Vec<u8>, String> {
    let pkcs8 = pair
        .as_der()
        .map_err(|e| format!("RSA key encoding failed: {e}"))?;
    // From PKCS#8, rcgen signs an RSA key with RSASSA-PKCS1-v1_5 SHA-256.
    let key = rcgen::KeyPair::try_from(pkcs8.as_ref().to_vec())
        .map_err(|e| format!("the certificate key cannot be read: {e}"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| format!("certificate parameters: {e}"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Stytch emulator");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let certificate = params
        .self_signed(&key)
        .map_err(|e| format!("the certificate cannot be signed: {e}"))?;
    Ok(certificate.der().to_vec())
}

/// The JWKS (`{"keys": [...]}`) publishing the signing key, generating it at first use.
pub fn jwks() -> Result<Value, String> {
    signing_key().map(|key| json!({ "keys": [key.jwk] }))
}

/// A compact RS256 JWS of `payload` (JSON bytes) under the emulator's key, with header
/// `{alg, kid, typ: "JWT"}`.
pub fn sign_payload(payload: &[u8]) -> Result<String, String> {
    let key = signing_key()?;
    let mut token = key.header_segment.clone();
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mut signature = vec![0; key.pair.public_modulus_len()];
    key.pair
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            token.as_bytes(),
            &mut signature,
        )
        .map_err(|e| format!("RSA signing failed: {e}"))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
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
