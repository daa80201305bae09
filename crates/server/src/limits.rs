//! The size limits every request is held to, configured once and read by the header check and
//! the body reader, so a client cannot make the server buffer more than the operator allows.

/// Request size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body; clients send `{}` or nothing.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers, as sent); past it the answer is 431.
    pub max_header_bytes: usize,
}

impl Limits {
    /// The default body limit, 64 KiB.
    pub const DEFAULT_BODY_BYTES: usize = 64 * 1024;
    /// The default head limit, 32 KiB: room for a 16 KiB token and the usual headers.
    pub const DEFAULT_HEADER_BYTES: usize = 32 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: Self::DEFAULT_BODY_BYTES,
            max_header_bytes: Self::DEFAULT_HEADER_BYTES,
        }
    }
}
