//! Prints how serde_json reads a request whose claims hold numbers that its features decide
//! (`float_roundtrip` changes the rounding of some 17-digit numbers, `arbitrary_precision`
//! the representation, `preserve_order` the key order), then a JWT signed by jsonwebtoken
//! (a second crypto backend turned on by someone else makes it panic).

fn main() {
    #[cfg(feature = "with-suite")]
    let _linked = migrate_conformance::model::DURATION_RANGE;
    let body = r#"{"session_token":"t","organization_id":"o","session_custom_claims":{
        "z":65281517519135030e-14,"a":60402102123842989e11,"m":73575876580499574e18,
        "b":85233071271705465e1,"big":18446744073709551616,"neg":-0,"tiny":5e-324,
        "u":9007199254740993,"dec":0.1}}"#;
    let value: serde_json::Value = serde_json::from_str(body).expect("valid JSON");
    for (key, v) in value["session_custom_claims"].as_object().expect("an object") {
        let bits = v.as_f64().map(f64::to_bits);
        println!("{key} {v} {bits:?} u64={:?} i64={:?}", v.as_u64(), v.as_i64());
    }
    match serde_json::from_str::<serde_json::Value>("1e400") {
        Ok(v) => println!("1e400 -> {v}"),
        Err(e) => println!("1e400 -> error {e}"),
    }
    let key = jsonwebtoken::EncodingKey::from_secret(b"probe");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let claims = serde_json::json!({"sub": "member-1", "exp": 1_700_000_300});
    match jsonwebtoken::encode(&header, &claims, &key) {
        Ok(token) => println!("jwt {token}"),
        Err(e) => println!("jwt error {e}"),
    }
}
