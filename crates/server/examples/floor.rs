//! The benchmark's floor (`cargo xtask bench`): the least an actix-web server does for
//! `POST /ccstore/v1/refresh`, answering a JSON body of the size and shape of a real refresh
//! response, with one worker and no logging, so the benchmark can show what ccstore costs on top
//! of actix-web itself. Listens on `CCSTORE_BIND` (default `127.0.0.1:8081`).

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

/// The handler: no token work, [`BODY`]. The request body is read, as ccstore's handler reads
/// it: actix-web closes a keep-alive connection whose request body was left unread, which would
/// make the floor pay a TCP handshake per request.
async fn answer(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(BODY)
}

fn main() -> std::io::Result<()> {
    let bind = std::env::var("CCSTORE_BIND").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let app = || App::new().route("/ccstore/v1/refresh", web::post().to(answer));
        let server = HttpServer::new(app).workers(1).bind(&bind)?;
        for address in server.addrs() {
            eprintln!("floor listening on http://{address} with 1 worker");
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
}
