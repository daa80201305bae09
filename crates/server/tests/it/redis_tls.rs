//! `rediss://` against a local `redis-server` started with TLS (Debian's package is built with
//! it), on a certificate of a test CA made with `openssl`: sessions work over TLS when the CA is
//! trusted (`CCSTORE_REDIS_CA_FILE`), and an untrusted certificate is refused (503), not ignored.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::ManualClock;
use ccstore_core::{RedisOptions, RedisStore, Store};
use ccstore_server::build_app;

use crate::redis_faults::token_for;
use crate::redis_server::{RedisServer, free_port, scratch_dir};
use crate::support::{NOW, access_token, policy, post_with, send, state_with};

/// Makes a CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs (apt-get install openssl)");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=ccstore test CA",
                "-days",
                "2",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[actix_rt::test]
async fn sessions_work_over_tls_with_the_configured_ca_and_an_untrusted_certificate_is_refused() {
    let certificates = scratch_dir("tls");
    make_certificates(&certificates);
    let path = |name: &str| certificates.join(name).to_str().unwrap().to_owned();
    let tls_port = free_port().to_string();
    let _redis = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &path("server.pem"),
        "--tls-key-file",
        &path("server.key"),
        "--tls-ca-cert-file",
        &path("ca.pem"),
        "--tls-auth-clients",
        "no",
    ]);
    let url = format!("rediss://127.0.0.1:{tls_port}/");
    let deadline = Duration::from_secs(1);
    let clock = ManualClock::at(NOW);

    let trusted = RedisOptions {
        ca: Some(std::fs::read(certificates.join("ca.pem")).unwrap()),
        ..RedisOptions::default()
    };
    let store = RedisStore::with_options(&url, deadline, trusted).unwrap();
    let app =
        test::init_service(build_app(state_with(Store::Redis(store), policy(), &clock))).await;
    let (status, body) = send(
        &app,
        test::TestRequest::get().uri("/health/ready").to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        &app,
        post_with("/ccstore/v1/refresh", &token_for("over-tls")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = send(&app, post_with("/ccstore/v1/logout", &access_token(&body))).await;
    assert_eq!(status, StatusCode::OK);

    let untrusted = RedisStore::new(&url, deadline).unwrap();
    let app = test::init_service(build_app(state_with(
        Store::Redis(untrusted),
        policy(),
        &clock,
    )))
    .await;
    let (status, body) = send(
        &app,
        post_with("/ccstore/v1/refresh", &token_for("untrusted")),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let _ = std::fs::remove_dir_all(&certificates);
}
