//! Request ids: which id a request gets, and which one is current while it is handled, so that
//! every log line of a request, the access line and any record a handler emits, names it, and an
//! operator can join the line to the `X-Request-Id` the client saw.
//!
//! A client's `X-Request-Id` is kept when it is at most [`MAX_LEN`] visible ASCII characters
//! without quotes or backslashes: such an id cannot break a log line (no space, no control
//! character, nothing JSON or the text layout would have to escape), and no token this service
//! accepts fits in it (an HS256 JWT with the required claims is longer). Anything else is replaced.
//!
//! Generated ids are a random per-process prefix and a counter (`3f0c9a1e5d2b7c48-17`): one
//! relaxed atomic increment per request instead of a random draw, and every id names the process
//! that answered, which is what an operator behind a load balancer wants to know. The counter
//! does tell a client how many requests this process has served.

mod label;

use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::task::futures::TaskLocalFuture;

pub(crate) use label::label;

/// The request and response header carrying the id.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client-supplied id kept.
pub(crate) const MAX_LEN: usize = 128;

/// Longest generated id: 16 hex digits, a dash, a `u64` in decimal.
const GENERATED_MAX_LEN: usize = 16 + 1 + 20;

tokio::task_local! {
    /// The id of the request being handled on this task.
    static CURRENT: RequestId;
}

/// The id of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestId {
    /// Generated here: the process prefix and this counter value.
    Generated(u64),
    /// The client's own, checked by [`is_acceptable`].
    Supplied(HeaderValue),
}

impl RequestId {
    /// The client's `X-Request-Id` when it is acceptable, a new id otherwise.
    pub(crate) fn for_request(headers: &HeaderMap) -> Self {
        match headers.get(HEADER) {
            Some(value) if is_acceptable(value.as_bytes()) => Self::Supplied(value.clone()),
            _ => Self::generate(),
        }
    }

    /// A new id, unique within this process and (by its random prefix) across processes.
    pub(crate) fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        Self::Generated(COUNTER.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a response header value.
    pub(crate) fn header_value(&self) -> HeaderValue {
        match self {
            Self::Supplied(value) => value.clone(),
            Self::Generated(counter) => HeaderValue::from_bytes(&generated(*counter))
                .unwrap_or(HeaderValue::from_static("-")),
        }
    }

    /// Writes the id's text to `out`, without the formatting machinery: it is on every log line
    /// of every request.
    pub(crate) fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        match self {
            Self::Supplied(value) => out.write_all(value.as_bytes()),
            Self::Generated(counter) => out.write_all(&generated(*counter)),
        }
    }
}

/// The text of a generated id: the process prefix, `-`, the counter in decimal.
fn generated(counter: u64) -> GeneratedId {
    let mut id = GeneratedId {
        bytes: [0; GENERATED_MAX_LEN],
        len: 0,
    };
    id.push(process_prefix());
    id.push(itoa::Buffer::new().format(counter).as_bytes());
    id
}

/// A generated id's text, on the stack.
struct GeneratedId {
    bytes: [u8; GENERATED_MAX_LEN],
    len: usize,
}

impl GeneratedId {
    fn push(&mut self, more: &[u8]) {
        let end = self.len + more.len();
        if let Some(room) = self.bytes.get_mut(self.len..end) {
            room.copy_from_slice(more);
            self.len = end;
        }
    }
}

impl std::ops::Deref for GeneratedId {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Generated(counter) => &*generated(*counter),
            Self::Supplied(value) => value.as_bytes(),
        };
        // Both are visible ASCII: acceptable ids by `is_acceptable`, generated ones by making.
        f.write_str(std::str::from_utf8(text).unwrap_or_default())
    }
}

/// Whether a client-supplied id is kept: 1 to [`MAX_LEN`] visible ASCII characters, none of them
/// a quote or a backslash.
pub(crate) fn is_acceptable(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|byte| byte.is_ascii_graphic() && !matches!(byte, b'"' | b'\'' | b'\\'))
}

/// The random prefix of this process's generated ids, as text: 16 hex digits and `-`.
fn process_prefix() -> &'static [u8] {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX
        .get_or_init(|| {
            let mut bytes = [0_u8; 8];
            // Without the OS's randomness, the process id and start time still tell instances
            // apart.
            let prefix = getrandom::fill(&mut bytes).map_or_else(
                |_| {
                    let started = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |elapsed| elapsed.as_secs());
                    (u64::from(std::process::id()) << 32) ^ started
                },
                |()| u64::from_ne_bytes(bytes),
            );
            format!("{prefix:016x}-")
        })
        .as_bytes()
}

/// Runs `call` with `id` current: for work a middleware does before the request's future exists.
pub(crate) fn sync_scope<R>(id: RequestId, call: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(id, call)
}

/// `future` with `id` current whenever it is polled (or dropped).
pub(crate) fn scope<F: Future>(id: RequestId, future: F) -> TaskLocalFuture<RequestId, F> {
    CURRENT.scope(id, future)
}

/// The id of the request being handled on this task, if any.
pub(crate) fn current() -> Option<RequestId> {
    CURRENT.try_with(RequestId::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_visible_ascii_up_to_128_characters_are_kept() {
        assert!(is_acceptable(b"a"));
        assert!(is_acceptable(b"f3b2c1d0-aaaa-4bbb-8ccc-0123456789ab"));
        assert!(is_acceptable(b"req_1:2/3+4=5;6,7@8!9~"));
        assert!(is_acceptable(&[b'x'; MAX_LEN]));
    }

    #[test]
    fn empty_long_spaced_quoted_control_or_non_ascii_ids_are_refused() {
        assert!(!is_acceptable(b""));
        assert!(!is_acceptable(&[b'x'; MAX_LEN + 1]));
        for bad in [
            &b"a b"[..],
            b"a\tb",
            b"a\nb",
            b"a\rb",
            b"a\x00b",
            b"a\x7fb",
            b"a\"b",
            b"a'b",
            b"a\\b",
            "caf\u{e9}".as_bytes(),
        ] {
            assert!(!is_acceptable(bad), "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_share_the_process_prefix_and_differ() {
        let (first, second) = (RequestId::generate(), RequestId::generate());
        assert_ne!(first, second);
        let (first, second) = (first.to_string(), second.to_string());
        assert_eq!(first.split_once('-').unwrap().0.len(), 16);
        assert_eq!(
            first.split_once('-').unwrap().0,
            second.split_once('-').unwrap().0
        );
        assert!(is_acceptable(first.as_bytes()), "{first}");
    }

    #[test]
    fn the_header_value_is_the_displayed_id() {
        let generated = RequestId::Generated(u64::MAX);
        assert_eq!(
            generated.header_value().to_str().unwrap(),
            generated.to_string()
        );
        let supplied = RequestId::Supplied(HeaderValue::from_static("abc-1"));
        assert_eq!(supplied.header_value(), "abc-1");
        assert_eq!(supplied.to_string(), "abc-1");
    }

    #[test]
    fn the_id_is_current_only_inside_its_scope() {
        assert_eq!(current(), None);
        let inside = sync_scope(RequestId::Generated(7), current);
        assert_eq!(inside, Some(RequestId::Generated(7)));
        assert_eq!(current(), None);
    }
}
