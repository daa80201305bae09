//! The benchmark's floor (`cargo xtask bench`): the least an actix-web server does for
//! `POST /ccstore/v1/refresh`, answering a JSON body of the size and shape of a real refresh
//! response, with one worker and no logging, so the benchmark can show what ccstore costs on top
//! of actix-web itself. Listens on `CCSTORE_BIND` (default `127.0.0.1:8081`).
//!
//! By default every answer's token differs from the one before in 20 characters of its
//! signature (a count of the answers), as refresh's tokens differ: the load generator's Lua keeps
//! one copy of each distinct string, so a body that never changes costs wrk about 1.5 µs less per
//! response than a fresh one, and on two cores wrk, not the floor, is what bounds the floor's
//! requests/s. With `--fixed-body` it answers one fixed body, as issue 4 first described the
//! floor; the benchmark measures both (see the Method section of `docs/benchmarks.md`).

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, web};

/// A refresh response as ccstore sends it for a token minted by the bench (396 bytes: the same
/// claims and lengths, session id and start included, in OCC's spelling, the default).
const BODY: &str = concat!(
    r#"{"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."#,
    "eyJzdWIiOiJiZW5jaC0wMDAwMDAiLCJpc3MiOiJzdG9yZWZyb250VUkiLCJpYXQiOjE3OTU2NDEyOTQsImV4cCI6MTc5NTY0MjIyNCwianRpIjoiMTZiYTdiNTAtYzg",
    "zOS00NTkyLWE1MTctNWI4OTFmN2FiOTMyIiwic2lkIjoiZTJlOGJjNDUtMjM5ZS00MzdlLWE3YzMtZTM4OWUwZTFmZmYzIiwiYXV0aF90aW1lIjoxNzk1NjQxMjk0fQ==.",
    r#"alHsoNBqsHBw7Hz+wXTga0wZosMBpWj82WhzexPrG5g=","token_type":"bearer","expires_in":930}"#,
);

/// Where the count of answers is written in [`BODY`]: the first characters of the token's
/// signature (the 44 characters after the token's last `.`).
const COUNT_AT: usize = 311;
/// Decimal digits of the count, zero-padded: every `u64` fits, so the body keeps its length.
const COUNT_DIGITS: usize = 20;

/// Answers so far, for [`counted_body`].
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// [`BODY`] with `count` over the start of the token's signature.
fn counted_body(count: u64) -> web::Bytes {
    let mut body = web::BytesMut::from(BODY.as_bytes());
    let mut rest = count;
    let slot = body
        .get_mut(COUNT_AT..COUNT_AT + COUNT_DIGITS)
        .unwrap_or_default();
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
    }
    body.freeze()
}

/// The default handler: no token work, [`BODY`] with a fresh count. The request body is read, as
/// ccstore's handler reads it: actix-web closes a keep-alive connection whose request body was
/// left unread, which would make the floor pay a TCP handshake per request.
async fn counted(_body: web::Bytes) -> HttpResponse {
    let count = ANSWERED.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(counted_body(count))
}

/// `--fixed-body`: [`BODY`] itself, the same bytes every time.
async fn fixed(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(BODY)
}

fn main() -> std::io::Result<()> {
    let bind = std::env::var("CCSTORE_BIND").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let fixed_body = std::env::args().skip(1).any(|arg| arg == "--fixed-body");
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            let route = if fixed_body {
                web::post().to(fixed)
            } else {
                web::post().to(counted)
            };
            App::new().route("/ccstore/v1/refresh", route)
        })
        .workers(1)
        .bind(&bind)?;
        let body = if fixed_body { "a fixed" } else { "a counted" };
        for address in server.addrs() {
            eprintln!("floor listening on http://{address} with 1 worker, {body} body");
        }
        server.run().await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(body: &[u8]) -> String {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 930);
        body["access_token"].as_str().unwrap().to_owned()
    }

    #[test]
    fn body_is_a_refresh_response_of_the_real_size() {
        assert_eq!(BODY.len(), 396);
        assert_eq!(token(BODY.as_bytes()).split('.').count(), 3);
    }

    #[test]
    fn the_count_is_written_over_the_signature_and_keeps_the_body_s_size() {
        let fixed = token(BODY.as_bytes());
        let signature = fixed.rfind('.').unwrap() + 1;
        let signature_at = BODY.find(&fixed).unwrap() + signature;
        assert!(COUNT_AT >= signature_at);
        assert!(COUNT_AT + COUNT_DIGITS <= signature_at + fixed.len() - signature);
        let mut tokens = Vec::new();
        for count in [0, 1, 10, 123_456_789, u64::MAX] {
            let body = counted_body(count);
            assert_eq!(body.len(), BODY.len());
            let counted = token(&body);
            assert_eq!(counted[..signature], fixed[..signature]);
            assert!(counted.ends_with(&fixed[signature + COUNT_DIGITS..]));
            assert_eq!(
                counted[signature..signature + COUNT_DIGITS],
                format!("{count:020}")
            );
            tokens.push(counted);
        }
        tokens.dedup();
        assert_eq!(tokens.len(), 5, "every count gives its own token");
    }
}
