//! Any bytes as an `Authorization` header value: never a panic, and a token only when the value is
//! `Bearer` and a `token68`.
#![no_main]

use ccstore_core::{TokenError, bearer_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    match bearer_token(Some(value)) {
        Ok(token) => {
            assert!(!token.is_empty());
            assert!(
                token
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte))
            );
            let text = std::str::from_utf8(value).expect("a token comes from ASCII");
            assert!(text.trim().to_ascii_lowercase().starts_with("bearer"));
            assert!(text.trim_end().ends_with(token));
        }
        Err(error) => assert!(matches!(error, TokenError::Missing | TokenError::Malformed)),
    }
});
