//! `POST <prefix>/login` of every family: a form with OAuth 2.0's password or client-credentials
//! grant in, the first token of a new session out (`login_response`). The decision is the core's
//! login service; here are only the request's parts and the answer's shape: `Cache-Control:
//! no-store`, and on every answer, refusals included, the harmless cookie [`LOGIN_COOKIE`]
//! (occ-tools stores a login's cookies and crashes when there are none; it holds no credential).

use actix_web::http::header::{AUTHORIZATION, HeaderValue, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ccstore_model::{LoginRequest, LoginResponse};

use crate::AppState;
use crate::api::responses::NoStoreJson;
use crate::error::{ApiError, LoginErrorResponses};
use crate::family::FamilyOf;
use crate::http::form::LoginForm;
use crate::routes::{LOGIN_OPERATION, LOGIN_PATH};

/// The cookie every login answer sets: it says only that this client went through a login
/// here, so clients that need a cookie have one. `HttpOnly`, `SameSite=Strict`, `Secure` when
/// the request came over TLS.
pub(crate) const LOGIN_COOKIE: &str = "ccstore_login";

/// The `Authorization` value as the login service takes it: a Bearer credential as it is; HTTP
/// Basic (RFC 6749 §2.3.1, `client_secret_basic`, which OAuth clients such as Swagger UI send for
/// client credentials) as the Bearer of its password, the application key. Anything else as it
/// is (refused as malformed).
fn as_bearer(value: &[u8]) -> Vec<u8> {
    let basic = value
        .get(..6)
        .filter(|scheme| scheme.eq_ignore_ascii_case(b"basic "))
        .and_then(|_| value.get(6..))
        .and_then(|encoded| STANDARD.decode(encoded.trim_ascii()).ok())
        .and_then(|decoded| {
            let colon = decoded.iter().position(|byte| *byte == b':')?;
            decoded.get(colon + 1..).map(<[u8]>::to_vec)
        });
    match basic {
        Some(secret) => [&b"Bearer "[..], &secret].concat(),
        None => value.to_vec(),
    }
}

/// Login
///
/// Log a user in with a login and password (`grant_type=password`), or an application with its
/// application key as the Bearer credential (`grant_type=client_credentials`); the answer is the
/// first access token of a new session. Also answered with a trailing slash
/// (`/ccstoreui/v1/login/`), as Storefront Classic sends it.
#[utoipa::path(
    post,
    path = LOGIN_PATH,
    operation_id = LOGIN_OPERATION,
    tag = "Store",
    request_body(
        content = LoginRequest,
        content_type = "application/x-www-form-urlencoded",
        description = "An OAuth 2.0 token request (RFC 6749 §4.3, §4.4), as a form."
    ),
    responses(
        (status = 200, description = "Following model is returned when operation succeeds.", body = LoginResponse,
         headers(("Set-Cookie" = String, description = "`ccstore_login=<family>`: marks that this client logged in here; holds no credential.")),
         example = json!({
             "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE0MTQxNDk5NTYsInN1YiI6IjExMDU1OCIsImlzcyI6InN0b3JlZnJvbnRVSSIsImlhdCI6MTQxNDE0OTAyNn0=.B9qM0/VKpCNKvjCmOnUPv4RS7mkIDgKcP8RJPaVQGYU=",
             "token_type": "bearer",
             "expires_in": 930
         })),
        LoginErrorResponses,
    ),
    security((), ("bearerAuth" = [])),
)]
pub(crate) async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    family: FamilyOf,
    form: Result<LoginForm, ApiError>,
) -> HttpResponse {
    let mut authorization = request.headers().get_all(AUTHORIZATION);
    let presented = match (authorization.next(), authorization.next()) {
        // Two credentials are ambiguous: as if the one sent were malformed.
        (Some(_), Some(_)) => Some(b"\x00".to_vec()),
        (first, None) => first.map(|value| as_bearer(value.as_bytes())),
        (None, Some(_)) => None,
    };
    let outcome = match form {
        Ok(LoginForm(form)) => state
            .login
            .login(family.family.id(), form, presented.as_deref())
            .await
            .map_err(|error| ApiError::Login {
                code: error.error_code(&family.family),
                error,
            }),
        Err(error) => Err(error),
    };
    let mut response = match outcome {
        Ok(logged_in) => NoStoreJson(LoginResponse::bearer(
            logged_in.token.token,
            logged_in.token.expires_in,
        ))
        .respond_to(&request),
        Err(error) => error.error_response(),
    };
    // Its value is the family's name: nothing a client could use, nothing secret.
    let secure = if request.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LOGIN_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        family.family.id()
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}
