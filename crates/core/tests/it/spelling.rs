//! The two spellings of a token (OCC's standard base64 with padding, strict JWS's base64url):
//! both verify whatever the service writes, the service writes the one configured, and anything
//! in between (mixed alphabets, wrong padding, unused bits set, whitespace) is malformed.

use base64::Engine;
use base64::alphabet::{STANDARD as STANDARD_ALPHABET, URL_SAFE};
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ccstore_core::{TokenEncoding, TokenError};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use crate::handmade::{JWS, OCC, open_in, shopper_claims, sign_in, sign_segments_in};
use crate::{ISSUER, KEY, NOW, now, policy, service, service_with, sessions_with};

/// Claims whose JSON is `3n + remainder` bytes long and whose encodings, in both alphabets,
/// contain at least one character only that alphabet has.
fn claims_of_length(remainder: usize) -> Value {
    let mut claims = shopper_claims(NOW, 900);
    for filler in fillers() {
        claims["aud"] = json!(filler);
        let text = claims.to_string();
        if text.len() % 3 == remainder && OCC.encode(&text).contains(['+', '/']) {
            return claims;
        }
    }
    unreachable!("fillers() never ends")
}

/// Claim values that shift `??>` (bytes that encode to `+`, `/`, `-` or `_` at some alignment)
/// through every alignment.
fn fillers() -> impl Iterator<Item = String> {
    (0..).map(|length| format!("{}??>", "x".repeat(length)))
}

#[test]
fn handmade_tokens_in_either_spelling_verify_whatever_the_service_writes() {
    for encoding in TokenEncoding::ALL {
        let (service, _) = service_with(ccstore_core::TokenPolicy {
            encoding,
            ..policy()
        });
        for remainder in 0..3 {
            let claims = claims_of_length(remainder);
            for engine in [&OCC, &JWS] {
                let token = sign_in(engine, &claims, KEY);
                let verified = service.verify(&token).unwrap();
                assert_eq!(verified.other["aud"], claims["aud"], "{token}");
            }
        }
    }
}

#[test]
fn a_token_mixing_the_alphabets_is_malformed() {
    let (service, _) = service();
    // Claims whose OCC payload has a `+` and whose signature, spelled in base64url, a `-` or `_`.
    let (input, url_signature) = fillers()
        .find_map(|filler| {
            let mut claims = shopper_claims(NOW, 900);
            claims["aud"] = json!(filler);
            let occ = sign_in(&OCC, &claims, KEY);
            assert!(service.verify(&occ).is_ok());
            let (input, signature) = occ.rsplit_once('.').unwrap();
            let url_signature = JWS.encode(OCC.decode(signature).unwrap());
            (input.contains('+') && url_signature.contains(['-', '_']))
                .then(|| (input.to_owned(), url_signature))
        })
        .unwrap();
    // The right signature, spelled in the other alphabet.
    let mixed = format!("{input}.{url_signature}");
    assert_eq!(service.verify(&mixed), Err(TokenError::Malformed));
    // One segment mixing the two, correctly signed as presented.
    let token = sign_segments_in(&OCC, &input.replacen('+', "-", 1), KEY);
    assert_eq!(service.verify(&token), Err(TokenError::Malformed));
}

#[test]
fn padding_is_required_in_occs_spelling_and_refused_in_jwss() {
    let (service, _) = service();
    for remainder in [1, 2] {
        let claims = claims_of_length(remainder);
        let occ = sign_in(&OCC, &claims, KEY);
        let (header, rest) = occ.split_once('.').unwrap();
        let payload = rest.split_once('.').unwrap().0;
        assert!(payload.ends_with('='));
        let unpadded = payload.trim_end_matches('=');
        for wrong in [
            unpadded.to_owned(),
            format!("{unpadded}="),
            format!("{payload}="),
        ] {
            if wrong == payload {
                continue;
            }
            let token = sign_segments_in(&OCC, &format!("{header}.{wrong}"), KEY);
            assert_eq!(
                service.verify(&token),
                Err(TokenError::Malformed),
                "{token}"
            );
        }
        // The signature unpadded, the rest padded.
        let (input, signature) = occ.rsplit_once('.').unwrap();
        let bare = format!("{input}.{}", signature.trim_end_matches('='));
        assert_eq!(service.verify(&bare), Err(TokenError::Malformed));

        let jws = sign_in(&JWS, &claims, KEY);
        let (input, signature) = jws.rsplit_once('.').unwrap();
        let padded = format!("{input}.{signature}=");
        assert_eq!(service.verify(&padded), Err(TokenError::Malformed));
    }
}

#[test]
fn whitespace_anywhere_in_a_token_is_malformed() {
    let (service, _) = service();
    for engine in [&OCC, &JWS] {
        let token = sign_in(engine, &claims_of_length(1), KEY);
        for at in [0, 10, token.len() / 2] {
            for space in [" ", "\n", "\t", "\r\n"] {
                let mut spaced = token.clone();
                spaced.insert_str(at, space);
                assert_eq!(
                    service.verify(&spaced),
                    Err(TokenError::Malformed),
                    "{spaced:?}"
                );
                // Signed with the whitespace, too.
                let input = spaced.rsplit_once('.').unwrap().0;
                let signed = sign_segments_in(engine, input, KEY);
                assert_eq!(
                    service.verify(&signed),
                    Err(TokenError::Malformed),
                    "{signed:?}"
                );
            }
        }
    }
}

#[test]
fn a_payload_is_read_only_in_its_canonical_spelling() {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    for (engine, lenient) in [
        (&OCC, GeneralPurpose::new(&STANDARD_ALPHABET, config)),
        (&JWS, GeneralPurpose::new(&URL_SAFE, config)),
    ] {
        let (service, _) = service();
        // Claims of 3n+1 bytes: the payload's last data character carries 2 bits of data and 4
        // unused bits, which a lenient decoder ignores, so 16 spellings read as the same claims.
        let claims = claims_of_length(1);
        let token = sign_in(engine, &claims, KEY);
        let (header, rest) = token.split_once('.').unwrap();
        let payload = rest.split_once('.').unwrap().0;
        let data = payload.trim_end_matches('=');
        let padding = &payload[data.len()..];
        let (kept, canonical) = data.split_at(data.len() - 1);
        let mut accepted = Vec::new();
        let mut same_claims = 0;
        for last in (0..=u8::MAX).map(char::from).filter(char::is_ascii_graphic) {
            let candidate = format!("{kept}{last}{padding}");
            let signed = sign_segments_in(engine, &format!("{header}.{candidate}"), KEY);
            match service.verify(&signed) {
                Ok(_) => accepted.push(last),
                Err(error) => assert_eq!(error, TokenError::Malformed, "{last:?}"),
            }
            if lenient.decode(&candidate).ok() == Some(claims.to_string().into_bytes()) {
                same_claims += 1;
            }
        }
        assert_eq!(accepted, [canonical.chars().next().unwrap()]);
        assert_eq!(same_claims, 16);
    }
}

#[test]
fn a_refresh_answers_in_the_configured_spelling_whatever_it_was_given() {
    for (encoding, engine) in [(TokenEncoding::Occ, &OCC), (TokenEncoding::Jws, &JWS)] {
        for given in [&OCC, &JWS] {
            let (sessions, _) = sessions_with(
                ccstore_core::TokenPolicy {
                    encoding,
                    ..policy()
                },
                ccstore_core::ReuseDetection::On { grace: 30 },
                10,
            );
            let claims = claims_of_length(2);
            let issued = now(sessions.refresh(&sign_in(given, &claims, KEY))).unwrap();
            let (header, renewed) = open_in(engine, &issued.token, KEY);
            assert_eq!(header, json!({"typ": "JWT", "alg": "HS256"}));
            assert_eq!(renewed["aud"], claims["aud"]);
        }
    }
}

#[test]
fn tokens_issued_in_jws_spelling_decode_with_jsonwebtoken_and_occs_do_not() {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    // The test clock stands at NOW, long past; jsonwebtoken checks `exp` against the system's.
    validation.validate_exp = false;
    validation.validate_aud = false;
    let mut other = Map::new();
    other.insert("aud".into(), claims_of_length(0)["aud"].clone());
    for (encoding, decodes) in [(TokenEncoding::Jws, true), (TokenEncoding::Occ, false)] {
        let (service, _) = service_with(ccstore_core::TokenPolicy {
            encoding,
            ..policy()
        });
        let issued = service.mint("Zoë Ångström", other.clone()).unwrap();
        let decoded = jsonwebtoken::decode::<Value>(
            &issued.token,
            &DecodingKey::from_secret(KEY),
            &validation,
        );
        assert_eq!(decoded.is_ok(), decodes, "{encoding:?}: {decoded:?}");
        if let Ok(decoded) = decoded {
            assert_eq!(decoded.claims["sub"], "Zoë Ångström");
            assert_eq!(decoded.claims["aud"], other["aud"]);
        }
    }
    // The default is OCC's.
    assert_eq!(policy().encoding, TokenEncoding::default());
    assert_eq!(TokenEncoding::default(), TokenEncoding::Occ);
}

/// A base64url token whose header and payload read the same in both alphabets (letters and
/// digits only, whole groups of three bytes), so that its signature alone can be re-spelled in
/// OCC's alphabet and the copy still verifies; and that copy.
fn respellable(claims: &Value) -> (String, String) {
    let mut claims = claims.clone();
    for length in 0.. {
        claims["aud"] = json!("x".repeat(length));
        let token = sign_in(&JWS, &claims, KEY);
        let (input, signature) = token.rsplit_once('.').unwrap();
        if !input.contains(['-', '_']) && input.split('.').all(|part| part.len() % 4 == 0) {
            let respelled = format!("{input}.{}", OCC.encode(JWS.decode(signature).unwrap()));
            return (token, respelled);
        }
    }
    unreachable!()
}

#[test]
fn a_respelled_signature_is_the_same_token_to_every_session_rule() {
    // Without `sid` and `jti`, as a token minted elsewhere: identified by its signature.
    for claims in [
        shopper_claims(NOW, 900),
        json!({"sub": "1", "iss": ISSUER, "iat": NOW, "exp": NOW + 900, "sid": "s", "jti": "j"}),
    ] {
        let (token, respelled) = respellable(&claims);
        let (service, _) = service();
        assert_ne!(token, respelled);
        assert!(service.verify(&token).is_ok() && service.verify(&respelled).is_ok());

        // Replay: the copy is the already refreshed token, so once the session has moved on
        // and the grace window is over it revokes the session rather than starting a new one.
        let (sessions, clock) = crate::sessions();
        let next = now(sessions.refresh(&token)).unwrap().token;
        let successor = now(sessions.refresh(&next)).unwrap().token;
        clock.advance(crate::GRACE + 1);
        assert_eq!(now(sessions.refresh(&respelled)), Err(TokenError::Replayed));
        assert_eq!(now(sessions.verify(&successor)), Err(TokenError::Revoked));

        // Logout with one spelling ends the other.
        let (sessions, _) = crate::sessions();
        now(sessions.logout(&token)).unwrap();
        assert_eq!(now(sessions.verify(&respelled)), Err(TokenError::Revoked));
        assert_eq!(now(sessions.refresh(&respelled)), Err(TokenError::Revoked));
    }
}

#[test]
fn a_respelled_signature_does_not_escape_the_session_lifetime() {
    let claims = json!({"sub": "1", "iss": ISSUER, "iat": NOW, "exp": NOW + 900, "auth_time": NOW - crate::SESSION_MAX});
    let (token, respelled) = respellable(&claims);
    let (service, _) = service();
    for spelling in [&token, &respelled] {
        assert_eq!(
            service.verify(spelling),
            Err(TokenError::SessionLifetimeReached)
        );
    }
}
