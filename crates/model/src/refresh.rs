//! The refresh operation's request and response bodies (`refresh_request`, `refresh_response`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The only token type this API issues, spelled as OCC spells it.
pub const TOKEN_TYPE_BEARER: &str = "bearer";

/// The refresh request carries no fields: the current access token, sent as a Bearer credential,
/// is the whole request. Clients send `{}`, nothing, or fields of their own; all are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = refresh_request)]
pub struct RefreshRequest {}

/// The refreshed token. The server always sends all three fields; like OCC's documentation, the
/// schema lists none as required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = refresh_response)]
pub struct RefreshResponse {
    /// Refreshable OAuth token.
    #[schema(required = false)]
    pub access_token: String,
    /// OAuth token type.
    #[schema(required = false)]
    pub token_type: Cow<'static, str>,
    /// Time in seconds until token expires.
    #[schema(required = false)]
    pub expires_in: u64,
}

impl RefreshResponse {
    /// A bearer token that expires in `expires_in` seconds.
    pub fn bearer(access_token: String, expires_in: u64) -> Self {
        Self {
            access_token,
            token_type: Cow::Borrowed(TOKEN_TYPE_BEARER),
            expires_in,
        }
    }

    /// Appends this body as JSON to `out`, byte for byte what `serde_json` writes for it.
    ///
    /// A refresh answers with a token of several hundred bytes that never needs escaping
    /// (base64url and dots), so rather than have serde check it byte by byte for characters to
    /// escape, the body is copied in whole after one check that vectorizes; a string that does
    /// need escaping goes through `serde_json`.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        if needs_escaping(&self.access_token) || needs_escaping(&self.token_type) {
            return serde_json::to_writer(out, self);
        }
        out.extend_from_slice(br#"{"access_token":""#);
        out.extend_from_slice(self.access_token.as_bytes());
        out.extend_from_slice(br#"","token_type":""#);
        out.extend_from_slice(self.token_type.as_bytes());
        out.extend_from_slice(br#"","expires_in":"#);
        out.extend_from_slice(itoa::Buffer::new().format(self.expires_in).as_bytes());
        out.push(b'}');
        Ok(())
    }
}

/// Whether JSON needs `text` escaped inside a string: a quote, a backslash or a control character
/// (RFC 8259 §7, and exactly the bytes `serde_json` escapes).
#[allow(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose, so that it vectorizes"
)]
fn needs_escaping(text: &str) -> bool {
    text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_serializes_with_documented_names_and_integer_expiry() {
        let body = serde_json::to_value(RefreshResponse::bearer("t".into(), 930)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"access_token": "t", "token_type": "bearer", "expires_in": 930})
        );
    }

    #[test]
    fn the_written_body_is_what_serde_writes_for_a_token() {
        let response = RefreshResponse::bearer("eyJ0eXAi.eyJzdWIi.c2ln-_".into(), 930);
        let mut written = Vec::new();
        response.write_json(&mut written).unwrap();
        assert_eq!(written, serde_json::to_vec(&response).unwrap());
        assert_eq!(
            String::from_utf8(written).unwrap(),
            r#"{"access_token":"eyJ0eXAi.eyJzdWIi.c2ln-_","token_type":"bearer","expires_in":930}"#
        );
    }

    proptest::proptest! {
        /// Any strings, those that need escaping included, and any expiry.
        #[test]
        fn the_written_body_is_always_what_serde_writes(
            access_token in "\\PC*|[\\x00-\\x7f]{0,40}",
            token_type in "\\PC{0,8}|[\\x00-\\x20\"\\\\]{0,4}",
            expires_in: u64,
        ) {
            let response = RefreshResponse { access_token, token_type: token_type.into(), expires_in };
            let mut written = Vec::new();
            response.write_json(&mut written).unwrap();
            proptest::prop_assert_eq!(written, serde_json::to_vec(&response).unwrap());
        }
    }

    #[test]
    fn request_accepts_an_empty_object_and_unknown_fields() {
        let empty: RefreshRequest = serde_json::from_str("{}").unwrap();
        let extra: RefreshRequest = serde_json::from_str(r#"{"refresh_token":"x"}"#).unwrap();
        assert_eq!(empty, extra);
    }
}
