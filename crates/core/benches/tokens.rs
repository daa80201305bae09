//! Micro-benchmarks of the token work behind one refresh (`verify`, `refresh` = verify, the
//! in-memory session store's refresh-once check, and issue),
//! next to a floor of bare jsonwebtoken calls on the same claims (`floor_decode`,
//! `floor_refresh` = decode + encode), so issue 4's core target (refresh within 1.3× of the floor)
//! is read off `cargo bench -p ccstore-core`, which prints the ratios, judged, after criterion's
//! report; `cargo xtask bench` runs it too and copies those lines into `docs/benchmarks.md`.

// A benchmark fails loudly when its set-up is wrong.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ccstore_core::{
    HmacKey, ManualClock, MemoryStore, ReuseDetection, Sessions, TokenEncoding, TokenPolicy,
    TokenService,
};
use criterion::{Criterion, criterion_group};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Map;

/// The key of `cargo xtask bench`; any key of 32 bytes or more would do.
const SECRET: &[u8] = b"ccstore-bench-key-signs-only-benchmark-tokens";
const ISSUER: &str = "storefrontUI";
const TTL: u64 = 930;

/// Total iterations and time of every sample criterion took, per benchmark, for the ratios.
static TOTALS: Mutex<BTreeMap<&'static str, (u64, Duration)>> = Mutex::new(BTreeMap::new());

/// The claims ccstore issues, as a typed struct: what a bare jsonwebtoken user would write.
#[derive(Serialize, Deserialize)]
struct FloorClaims {
    sub: String,
    iss: String,
    iat: u64,
    exp: u64,
    jti: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn tokens(c: &mut Criterion) {
    // The service's clock stands still at the real time, so the floor's jsonwebtoken `exp` check
    // (against the system clock) accepts the same tokens for the length of the run.
    let clock = Arc::new(ManualClock::at(now()));
    let service = TokenService::new(
        HmacKey::new(SECRET).unwrap(),
        TokenPolicy {
            issuer: ISSUER.to_owned(),
            ttl: TTL,
            leeway: 0,
            session_max: Some(43_200),
            encoding: TokenEncoding::Occ,
        },
        clock.clone(),
    );
    let token = service.mint("bench-000001", Map::new()).unwrap().token;
    // The same claims in the strict JWS spelling, the only one jsonwebtoken reads, for the floor.
    let floor_token = TokenService::new(
        HmacKey::new(SECRET).unwrap(),
        TokenPolicy {
            encoding: TokenEncoding::Jws,
            ..service.policy().clone()
        },
        clock.clone(),
    )
    .mint("bench-000001", Map::new())
    .unwrap()
    .token;
    let sessions = Sessions::new(
        service.clone(),
        MemoryStore::new(1_000_000),
        ReuseDetection::On { grace: 30 },
    );

    timed(c, "verify", || {
        black_box(service.verify(black_box(&token)).unwrap());
    });
    // Each refresh presents the token the previous one returned, as a client does.
    let mut chained = token.clone();
    timed(c, "refresh", || {
        chained = completed(sessions.refresh(black_box(&chained)))
            .unwrap()
            .token;
    });

    let encoding = EncodingKey::from_secret(SECRET);
    let decoding = DecodingKey::from_secret(SECRET);
    let header = Header::new(Algorithm::HS256);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["sub", "iss", "iat", "exp"]);
    validation.validate_aud = false;
    timed(c, "floor_decode", || {
        black_box(
            jsonwebtoken::decode::<FloorClaims>(black_box(&floor_token), &decoding, &validation)
                .unwrap(),
        );
    });
    let mut chained = floor_token.clone();
    timed(c, "floor_refresh", || {
        let mut claims =
            jsonwebtoken::decode::<FloorClaims>(black_box(&chained), &decoding, &validation)
                .unwrap()
                .claims;
        claims.iat = now();
        claims.exp = claims.iat + TTL;
        chained = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
    });
}

/// The output of a future that completes without waiting, as the in-memory store's do.
fn completed<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an in-memory store operation waited"),
    }
}

/// Benchmarks `routine` and adds every sample to [`TOTALS`].
fn timed(c: &mut Criterion, name: &'static str, mut routine: impl FnMut()) {
    c.bench_function(name, |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                routine();
            }
            let elapsed = start.elapsed();
            let mut totals = TOTALS.lock().unwrap();
            let total = totals.entry(name).or_default();
            total.0 += iterations;
            total.1 += elapsed;
            elapsed
        });
    });
}

/// Mean time per iteration over every sample, nanoseconds.
#[allow(clippy::cast_precision_loss)] // iteration counts stay far below 2^52
fn mean_ns(name: &str) -> Option<f64> {
    let totals = TOTALS.lock().unwrap();
    let &(iterations, time) = totals.get(name)?;
    (iterations > 0).then(|| time.as_nanos() as f64 / iterations as f64)
}

fn print_ratios() {
    println!("\nratios (mean time per iteration over all criterion samples):");
    for (what, floor, target) in [
        ("verify", "floor_decode", None),
        ("refresh", "floor_refresh", Some(1.3)),
    ] {
        let (Some(measured), Some(base)) = (mean_ns(what), mean_ns(floor)) else {
            continue;
        };
        let ratio = measured / base;
        let verdict = match target {
            Some(limit) if ratio <= limit => format!(" (target ≤ {limit}×: pass)"),
            Some(limit) => format!(" (target ≤ {limit}×: FAIL)"),
            None => String::new(),
        };
        println!(
            "  {what} / {floor}: {:.2} µs / {:.2} µs = {ratio:.2}×{verdict}",
            measured / 1e3,
            base / 1e3
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tokens
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios();
}
