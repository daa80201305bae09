//! The layout of one log line, `text` for people or `json` for log collectors, shared by
//! `env_logger` records and the access log, so that both formats stay one line per record and
//! name the request a line belongs to.
//!
//! Text: `[2026-11-25T21:25:30Z INFO  target] message request_id=...`. JSON: one object a line,
//! `{"timestamp","level","target","message"}`, plus `request_id` inside a request and `method`,
//! `path`, `status`, `latency_ms` on access lines. Every string goes through `serde_json`'s
//! escaping, written straight into the batch without an intermediate `String`.

use std::cell::RefCell;
use std::fmt::{self, Display};
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serializer as _;

use crate::telemetry::request_id::RequestId;

/// How log lines are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `[timestamp LEVEL target] message`, for people.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// The fields of an access-log line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Access<'a> {
    /// The request method.
    pub(crate) method: &'a str,
    /// The request path, without its query string.
    pub(crate) path: &'a str,
    /// The status answered.
    pub(crate) status: u16,
    /// Microseconds from the request reaching the app to its answer.
    pub(crate) micros: u128,
}

impl Access<'_> {
    /// `12.045`: the latency in milliseconds with three decimals.
    fn write_latency(&self, out: &mut impl Write) -> io::Result<()> {
        let (whole, thousandths) = (self.micros / 1000, self.micros % 1000);
        out.write_all(itoa::Buffer::new().format(whole).as_bytes())?;
        // `thousandths` < 1000: three digits, zero-padded.
        let digits = [
            b'.',
            b'0' + u8::try_from(thousandths / 100).unwrap_or(0),
            b'0' + u8::try_from(thousandths / 10 % 10).unwrap_or(0),
            b'0' + u8::try_from(thousandths % 10).unwrap_or(0),
        ];
        out.write_all(&digits)
    }

    /// `POST /ccstore/v1/refresh 200 0.412ms`, as [`Display`] writes it, without the formatting
    /// machinery: this is written once per request.
    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(self.method.as_bytes())?;
        out.write_all(b" ")?;
        out.write_all(self.path.as_bytes())?;
        out.write_all(b" ")?;
        out.write_all(itoa::Buffer::new().format(self.status).as_bytes())?;
        out.write_all(b" ")?;
        self.write_latency(out)?;
        out.write_all(b"ms")
    }
}

/// The human message of an access line: `POST /ccstore/v1/refresh 200 0.123ms`.
impl Display for Access<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}.{:03}ms",
            self.method,
            self.path,
            self.status,
            self.micros / 1000,
            self.micros % 1000
        )
    }
}

thread_local! {
    /// The RFC 3339 timestamp of the current second, formatted once per second per thread.
    static TIMESTAMP: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

/// Writes one line, naming `request_id`, the request it belongs to, if any.
pub(crate) fn write_line(
    out: &mut impl Write,
    format: LogFormat,
    level: log::Level,
    target: &str,
    message: &impl Display,
    access: Option<&Access<'_>>,
    request_id: Option<&RequestId>,
) -> io::Result<()> {
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    TIMESTAMP.with_borrow_mut(|(formatted_second, timestamp)| {
        if *formatted_second != second || timestamp.is_empty() {
            *formatted_second = second;
            *timestamp = rfc3339(second);
        }
        let line = Line {
            timestamp,
            level,
            target,
            message,
            request_id,
        };
        match format {
            LogFormat::Text => line.write_text(out, access),
            LogFormat::Json => line.write_json(out, access),
        }
    })
}

/// What every line carries.
struct Line<'a, M> {
    timestamp: &'a str,
    level: log::Level,
    target: &'a str,
    message: &'a M,
    request_id: Option<&'a RequestId>,
}

impl<M: Display> Line<'_, M> {
    fn write_text(&self, out: &mut impl Write, access: Option<&Access<'_>>) -> io::Result<()> {
        out.write_all(b"[")?;
        out.write_all(self.timestamp.as_bytes())?;
        out.write_all(padded_level(self.level))?;
        out.write_all(self.target.as_bytes())?;
        out.write_all(b"] ")?;
        match access {
            Some(access) => access.write_text(out)?,
            None => write!(out, "{}", self.message)?,
        }
        if let Some(id) = self.request_id {
            out.write_all(b" request_id=")?;
            id.write_to(out)?;
        }
        out.write_all(b"\n")
    }

    fn write_json(&self, out: &mut impl Write, access: Option<&Access<'_>>) -> io::Result<()> {
        write!(
            out,
            r#"{{"timestamp":"{}","level":"{}","target":"#,
            self.timestamp,
            self.level.as_str()
        )?;
        json_string(out, self.target)?;
        out.write_all(br#","message":"#)?;
        json_string(out, self.message)?;
        if let Some(id) = self.request_id {
            out.write_all(br#","request_id":"#)?;
            json_string(out, id)?;
        }
        if let Some(access) = access {
            out.write_all(br#","method":"#)?;
            json_string(out, access.method)?;
            out.write_all(br#","path":"#)?;
            json_string(out, access.path)?;
            write!(out, r#","status":{},"latency_ms":"#, access.status)?;
            access.write_latency(out)?;
        }
        out.write_all(b"}\n")
    }
}

/// ` INFO  `: the level padded to five, between spaces, as `{level:<5}` would.
fn padded_level(level: log::Level) -> &'static [u8] {
    match level {
        log::Level::Error => b" ERROR ",
        log::Level::Warn => b" WARN  ",
        log::Level::Info => b" INFO  ",
        log::Level::Debug => b" DEBUG ",
        log::Level::Trace => b" TRACE ",
    }
}

/// `value` as a JSON string, escaped by `serde_json`.
fn json_string(out: &mut impl Write, value: &(impl Display + ?Sized)) -> io::Result<()> {
    serde_json::Serializer::new(out)
        .collect_str(value)
        .map_err(io::Error::from)
}

/// `seconds` since the epoch as an RFC 3339 UTC timestamp, by jiff (`env_logger`'s own clock).
fn rfc3339(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
        .unwrap_or(jiff::Timestamp::MAX)
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn line(
        format: LogFormat,
        message: &str,
        access: Option<&Access<'_>>,
        id: Option<&RequestId>,
    ) -> String {
        let mut out = Vec::new();
        write_line(
            &mut out,
            format,
            log::Level::Warn,
            "a::b",
            &message,
            access,
            id,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn access_text_is_written_as_display_would_write_it() {
        for (status, micros) in [(200, 0), (401, 999), (200, 12_045), (503, 1_234_567_001)] {
            let access = Access {
                method: "POST",
                path: "/ccstore/v1/refresh",
                status,
                micros,
            };
            let mut written = Vec::new();
            access.write_text(&mut written).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), access.to_string());
        }
        for level in [
            log::Level::Error,
            log::Level::Warn,
            log::Level::Info,
            log::Level::Debug,
            log::Level::Trace,
        ] {
            assert_eq!(padded_level(level), format!(" {level:<5} ").as_bytes());
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_across_leap_days_and_centuries() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_641_930), "2026-11-25T21:25:30Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn text_lines_keep_their_layout_and_name_the_request_when_there_is_one() {
        let outside = line(LogFormat::Text, "store down", None, None);
        let (head, rest) = outside.split_once(']').unwrap();
        assert!(
            head.starts_with('[') && head.ends_with(" WARN  a::b"),
            "{outside}"
        );
        assert_eq!(rest, " store down\n");
        let inside = line(
            LogFormat::Text,
            "store down",
            None,
            Some(&RequestId::Supplied("req-9".parse().unwrap())),
        );
        assert!(
            inside.ends_with("] store down request_id=req-9\n"),
            "{inside}"
        );
    }

    #[test]
    fn json_lines_escape_every_string_and_parse_back_to_the_same_text() {
        let hostile = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} \u{2028} é 🦀";
        let text = line(LogFormat::Json, hostile, None, None);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.ends_with("}\n"));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["message"], hostile);
        assert_eq!(parsed["level"], "WARN");
        assert_eq!(parsed["target"], "a::b");
        let timestamp = parsed["timestamp"].as_str().unwrap();
        assert_eq!(timestamp.len(), "2026-11-25T21:25:30Z".len());
        assert!(timestamp.ends_with('Z'));
        assert!(parsed.get("request_id").is_none(), "{parsed}");
    }

    #[test]
    fn json_access_lines_carry_their_fields_and_the_request_id() {
        let access = Access {
            method: "POST",
            path: "/ccstore/v1/refresh",
            status: 401,
            micros: 12_045,
        };
        let text = line(
            LogFormat::Json,
            &access.to_string(),
            Some(&access),
            Some(&RequestId::Generated(5)),
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["message"], "POST /ccstore/v1/refresh 401 12.045ms");
        assert_eq!(parsed["method"], "POST");
        assert_eq!(parsed["path"], "/ccstore/v1/refresh");
        assert_eq!(parsed["status"], 401);
        assert_eq!(parsed["latency_ms"], 12.045);
        assert_eq!(parsed["request_id"], RequestId::Generated(5).to_string());
    }
}
