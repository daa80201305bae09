//! The size and time limits every request is held to, configured once and read by the header
//! check and the body reader, so a client can make the server neither buffer more nor wait longer
//! than the operator allows.

use std::time::Duration;

/// Request size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body; clients send `{}` or nothing.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers, as sent); past it the answer is 431.
    pub max_header_bytes: usize,
    /// Longest the server waits for a body once it starts waiting (after the token was
    /// verified); past it the answer is 408.
    pub body_timeout: Duration,
}

impl Limits {
    /// The default body limit, 64 KiB.
    pub const DEFAULT_BODY_BYTES: usize = 64 * 1024;
    /// The default head limit, 32 KiB: room for a 16 KiB token and the usual headers.
    pub const DEFAULT_HEADER_BYTES: usize = 32 * 1024;
    /// The default body deadline, 5 s, as for the request head.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: Self::DEFAULT_BODY_BYTES,
            max_header_bytes: Self::DEFAULT_HEADER_BYTES,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
        }
    }
}
