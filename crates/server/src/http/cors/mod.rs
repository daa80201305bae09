//! CORS for storefronts served from another origin than ccstore: `CCSTORE_CORS_ORIGINS` lists
//! the exact origins a browser may call it from. With none (the default) no CORS header is sent
//! and browsers keep their same-origin rule. Bearer tokens travel in `Authorization`, not in
//! cookies, so credentials are not allowed, and no response header is exposed beyond those the
//! Fetch standard always exposes.

mod refusals;

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::Condition;

pub(crate) use refusals::CorsRefusals;

/// How long a browser may cache a preflight's answer, in seconds.
pub(crate) const PREFLIGHT_MAX_AGE_SECONDS: usize = 3600;

/// Checks that each of `origins` is an exact origin: `http` or `https`, a host, an optional
/// port, and nothing else (no path, no trailing slash, no wildcard).
pub(crate) fn check_origins(origins: &[String]) -> Result<(), String> {
    for origin in origins {
        let (scheme, authority) = origin
            .split_once("://")
            .ok_or_else(|| format!("`{origin}` is not an origin such as https://shop.example"))?;
        let valid = matches!(scheme, "http" | "https")
            && !authority.is_empty()
            && !authority.contains(['/', '?', '#', '*', '@', ' '])
            && origin.parse::<actix_web::http::Uri>().is_ok();
        if !valid {
            return Err(format!(
                "`{origin}` is not an exact origin (http or https, a host and an optional port, \
                 no path, no trailing slash, no wildcard)"
            ));
        }
    }
    Ok(())
}

/// The CORS middleware for `origins`, checked by [`check_origins`]; off when there are none.
pub(crate) fn middleware(origins: &[String]) -> Condition<Cors> {
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(PREFLIGHT_MAX_AGE_SECONDS);
    Condition::new(!origins.is_empty(), cors)
}

#[cfg(test)]
mod tests {
    use super::check_origins;

    #[test]
    fn exact_origins_pass_and_anything_else_is_refused_with_the_value() {
        let ok = [
            "https://shop.example",
            "http://localhost:3000",
            "https://a.b.example:8443",
        ];
        assert!(check_origins(&ok.map(str::to_owned)).is_ok());
        for bad in [
            "*",
            "shop.example",
            "https://shop.example/",
            "https://shop.example/path",
            "https://*.example",
            "ftp://shop.example",
            "https://",
            "https://user@shop.example",
        ] {
            let error = check_origins(&[bad.to_owned()]).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
