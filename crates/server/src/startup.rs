//! Start-up: load the key (or enter development mode), then serve or mint. Everything here fails
//! with a clear message before the first request, never on one.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use ccstore_core::{
    Clock, Families, FamilyError, FamilyOverrides, FamilyTokens, HashPool, HmacKey, KeyError,
    KeyRing, KeySet, MemoryStore, ReuseDetection, SystemClock, ThrottleRule, TokenError,
    TokenPolicy,
};
use futures_util::future::{Either, join_all, select};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::app::metrics_app;
use crate::config::{Settings, Switch};
use crate::development::{Demo, DemoError};
use crate::http::descriptors;
use crate::keys_file::{self, KeysFileError};
use crate::login_files::{LoginFileError, LoginFiles};
use crate::shutdown::{self, Plan, Signals};
use crate::{AppOptions, AppState, Logins, build_app_with};
use ccstore_core::{RedisOptions, RedisStore, Store};

/// Why the server could not start or mint.
#[derive(Debug, Error)]
pub enum StartupError {
    /// More than one key source is set.
    #[error(
        "set one of CCSTORE_JWT_SECRET, CCSTORE_JWT_SECRET_FILE or CCSTORE_JWT_KEYS_FILE, not both \
         or all"
    )]
    TwoKeySources,
    /// The key file cannot be read.
    #[error("cannot read the key file {path}: {source}")]
    KeyFile {
        /// The file named.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },
    /// The key is unusable.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// The key file is unusable.
    #[error("{0}")]
    KeysFile(#[from] KeysFileError),
    /// Minting needs a key that outlives the process.
    #[error(
        "no key is configured: set CCSTORE_JWT_SECRET, CCSTORE_JWT_SECRET_FILE or \
         CCSTORE_JWT_KEYS_FILE to mint tokens"
    )]
    NoKeyToMint,
    /// The development mode's demo credentials could not be made.
    #[error("{0}")]
    Demo(#[from] DemoError),
    /// The random development key could not be drawn.
    #[error("cannot draw a random development key: {0}")]
    Random(String),
    /// A token could not be signed.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// The families' configuration is unusable (two families with one issuer, an unknown one).
    #[error("{0}")]
    Family(#[from] FamilyError),
    /// A users or application-keys file is unusable.
    #[error("{0}")]
    LoginFile(#[from] LoginFileError),
    /// The Redis URL is unusable.
    #[error("CCSTORE_REDIS_URL is not a usable Redis URL: {0}")]
    Redis(String),
    /// A CORS origin is not an exact origin.
    #[error("CCSTORE_CORS_ORIGINS: {0}")]
    CorsOrigin(String),
    /// SIGTERM or SIGINT could not be taken over.
    #[error("cannot listen for shutdown signals: {0}")]
    Signals(io::Error),
    /// The listener failed.
    #[error("cannot serve on {bind}: {source}")]
    Serve {
        /// The address.
        bind: String,
        /// Why.
        source: io::Error,
    },
}

/// Where the signing keys came from.
#[derive(Debug)]
pub enum SigningKeys {
    /// Configured by the operator.
    Configured(KeySet),
    /// Drawn at random for this process: development mode.
    Development(KeySet),
}

impl SigningKeys {
    /// The configured keys, or a random key when none is configured.
    pub fn load(settings: &Settings) -> Result<Self, StartupError> {
        match (
            &settings.jwt_secret,
            &settings.jwt_secret_file,
            &settings.jwt_keys_file,
        ) {
            (Some(secret), None, None) => Ok(Self::Configured(KeySet::single(HmacKey::new(
                secret.expose_secret().as_bytes(),
            )?))),
            (None, Some(path), None) => Ok(Self::Configured(KeySet::single(HmacKey::new(
                &read_key_file(path)?,
            )?))),
            (None, None, Some(path)) => Ok(Self::Configured(keys_file::read(path)?)),
            (None, None, None) => {
                let mut secret = [0_u8; 32];
                getrandom::fill(&mut secret)
                    .map_err(|error| StartupError::Random(error.to_string()))?;
                Ok(Self::Development(KeySet::single(HmacKey::new(&secret)?)))
            }
            _ => Err(StartupError::TwoKeySources),
        }
    }
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, StartupError> {
    let mut secret = std::fs::read(path).map_err(|source| StartupError::KeyFile {
        path: path.to_owned(),
        source,
    })?;
    for terminator in [b'\n', b'\r'] {
        if secret.last() == Some(&terminator) {
            secret.pop();
        }
    }
    Ok(secret)
}

/// The families of `settings`: the table's rows with the configured issuers and lifetimes.
pub fn families(settings: &Settings) -> Result<Families, StartupError> {
    let lifetimes = |issuer: &str| FamilyOverrides {
        issuer: Some(issuer.to_owned()),
        user_ttl: Some(settings.token_ttl),
        app_key_ttl: Some(settings.app_key_token_ttl),
    };
    Ok(Families::configured([
        ("store", lifetimes(&settings.issuer)),
        ("admin", lifetimes(&settings.admin_issuer)),
        ("agent", lifetimes(&settings.agent_issuer)),
        ("app", lifetimes(&settings.app_issuer)),
    ])?)
}

/// A token service per family of `settings`, all signing with the active key of `keys` (one
/// key ring: a rotation reaches every family).
pub fn family_tokens(settings: &Settings, families: &Families, keys: &KeyRing) -> FamilyTokens {
    let base = TokenPolicy {
        issuer: settings.issuer.clone(),
        ttl: settings.token_ttl,
        leeway: settings.leeway,
        session_max: (settings.session_max > 0).then_some(settings.session_max),
        encoding: settings.token_encoding.into(),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    FamilyTokens::new(families, keys, &base, &clock)
}

/// The configured session store. Redis connects lazily: the server starts, and answers 503,
/// while Redis is down.
pub fn store(settings: &Settings) -> Result<Store, StartupError> {
    Ok(match &settings.redis_url {
        Some(url) => {
            let deadline = Duration::from_millis(settings.store_timeout_ms);
            let ca = match &settings.redis_ca_file {
                Some(path) => Some(std::fs::read(path).map_err(|source| {
                    StartupError::Redis(format!(
                        "cannot read CCSTORE_REDIS_CA_FILE {}: {source}",
                        path.display()
                    ))
                })?),
                None => None,
            };
            let options = RedisOptions {
                ca,
                accept_eviction: settings.redis_accept_eviction == Switch::On,
            };
            Store::Redis(
                RedisStore::with_options(url.expose_secret(), deadline, options)
                    .map_err(|error| StartupError::Redis(error.to_string()))?,
            )
        }
        None => Store::Memory(MemoryStore::new(settings.memory_store_capacity)),
    })
}

/// The application state `settings` describe, over `tokens` of `families`, with the users and
/// application keys of `files`.
pub(crate) fn app_state(
    settings: &Settings,
    families: &Families,
    tokens: &FamilyTokens,
    files: &LoginFiles,
) -> Result<AppState, StartupError> {
    Ok(AppState {
        limits: settings.limits(),
        ..AppState::new(
            tokens,
            store(settings)?,
            reuse(settings),
            logins(settings, files, families)?,
        )
    })
}

/// Who may log in, from the files `settings` name, and how logins are held back.
fn logins(
    settings: &Settings,
    files: &LoginFiles,
    families: &Families,
) -> Result<Logins, StartupError> {
    let workers = usize::try_from(settings.hash_workers).unwrap_or(1);
    let queue = usize::try_from(settings.hash_queue).unwrap_or(0);
    Ok(Logins {
        users: files.users(families)?,
        app_keys: files.app_keys(families)?,
        throttle: ThrottleRule {
            max_failures: settings.login_max_failures,
            lockout: settings.login_lockout_secs,
        },
        pool: HashPool::new(workers, queue),
    })
}

/// The replay detection `settings` ask for.
fn reuse(settings: &Settings) -> ReuseDetection {
    match settings.reuse_detection {
        Switch::On => ReuseDetection::On {
            grace: settings.reuse_grace,
        },
        Switch::Off => ReuseDetection::Off,
    }
}

/// A token of family `family` for `sub` with `claims`, signed with the configured (active) key.
pub fn mint(
    settings: &Settings,
    family: &str,
    sub: &str,
    claims: Vec<(String, Value)>,
) -> Result<String, StartupError> {
    let SigningKeys::Configured(keys) = SigningKeys::load(settings)? else {
        return Err(StartupError::NoKeyToMint);
    };
    let tokens = family_tokens(settings, &families(settings)?, &KeyRing::from(keys));
    let (_, service) = tokens
        .get(family)
        .ok_or_else(|| StartupError::Family(FamilyError::Unknown(family.to_owned())))?;
    let claims: Map<String, Value> = claims.into_iter().collect();
    Ok(service.mint(sub, claims)?.token)
}

/// Serves until SIGTERM or SIGINT, then shuts down gracefully (see [`shutdown`]); rereads the
/// key file on SIGHUP.
pub async fn serve(settings: Settings) -> Result<(), StartupError> {
    crate::http::cors::check_origins(&settings.cors_origins).map_err(StartupError::CorsOrigin)?;
    let keys = SigningKeys::load(&settings)?;
    let development = matches!(keys, SigningKeys::Development(_));
    let (SigningKeys::Configured(keys) | SigningKeys::Development(keys)) = keys;
    log::info!("signing keys: {}", keys_file::describe(&keys));
    let ring = KeyRing::from(keys);
    let families = families(&settings)?;
    let tokens = family_tokens(&settings, &families, &ring);
    let demo = if development {
        Some(Demo::new(&families, &tokens)?)
    } else {
        None
    };
    let files = LoginFiles {
        users: settings.users_file.clone(),
        app_keys: settings.app_keys_file.clone(),
        extra_users: demo
            .as_ref()
            .map_or_else(String::new, |demo| demo.users_line.clone()),
        extra_app_keys: demo
            .as_ref()
            .map_or_else(String::new, |demo| demo.app_keys_line.clone()),
    };
    keys_file::reload_on_sighup(settings.jwt_keys_file.clone(), ring).map_err(|source| {
        StartupError::Serve {
            bind: settings.bind.clone(),
            source,
        }
    })?;
    let state = app_state(&settings, &families, &tokens, &files)?;
    files
        .reload_on_sighup(families, state.login.clone())
        .map_err(|source| serve_error(&settings.bind, source))?;
    announce_store(&settings, &state.store);
    let workers = settings
        .workers
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, std::num::NonZeroUsize::get);
    let operations_state = state.clone();
    let readiness = state.readiness.clone();
    let options = AppOptions {
        metrics_route: settings.metrics_bind.is_none(),
        cors_origins: settings.cors_origins.clone().into(),
    };
    let per_worker = descriptors::cap_connections(settings.max_connections, workers);
    let server = HttpServer::new(move || build_app_with(state.clone(), &options))
        .workers(workers)
        .client_request_timeout(Duration::from_millis(settings.client_request_timeout_ms))
        .keep_alive(Duration::from_secs(settings.keep_alive_secs))
        .max_connections(per_worker)
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .disable_signals()
        .bind(&settings.bind)
        .map_err(|source| serve_error(&settings.bind, source))?;
    for address in server.addrs() {
        log::info!(
            "ccstore listening on http://{address} with {workers} workers, issuer {}",
            settings.issuer
        );
        if let Some(demo) = &demo {
            demo.announce(&address.to_string(), settings.token_ttl);
        }
    }
    let mut servers = vec![(settings.bind.clone(), server.run())];
    if let Some(bind) = &settings.metrics_bind {
        let metrics_server = HttpServer::new(move || metrics_app(operations_state.clone()))
            .workers(1)
            .max_connections(descriptors::OPERATIONS_CONNECTIONS)
            .client_request_timeout(Duration::from_millis(settings.client_request_timeout_ms))
            .keep_alive(Duration::from_secs(settings.keep_alive_secs))
            .shutdown_timeout(settings.shutdown_timeout_secs)
            .disable_signals()
            .bind(bind)
            .map_err(|source| serve_error(bind, source))?;
        for address in metrics_server.addrs() {
            log::info!(
                "metrics listening on http://{address} (GET /metrics, /health/live, /health/ready)"
            );
        }
        servers.push((bind.clone(), metrics_server.run()));
    }
    let signals = Signals::install().map_err(StartupError::Signals)?;
    let plan = Plan {
        delay: Duration::from_millis(settings.shutdown_delay_ms),
        timeout: Duration::from_secs(settings.shutdown_timeout_secs),
    };
    let handles = servers.iter().map(|(_, server)| server.handle()).collect();
    let stopped = join_all(servers.into_iter().map(|(bind, server)| async move {
        server.await.map_err(|source| serve_error(&bind, source))
    }));
    let forced = shutdown::on_signal(signals, readiness, plan, handles);
    match select(pin!(stopped), pin!(forced)).await {
        Either::Left((outcomes, _)) => outcomes.into_iter().collect(),
        Either::Right(((), _)) => Ok(()),
    }
}

/// Logs which session store serves and, for Redis, what readiness will find (an evicting policy,
/// a URL in the wrong mode), said once at start without holding it up: Redis may be down now and
/// come up later.
fn announce_store(settings: &Settings, store: &Store) {
    if let Store::Redis(store) = store {
        let store = store.clone();
        actix_web::rt::spawn(async move {
            match store.check().await {
                Ok(()) => {
                    log::info!("session store: Redis ready (no evicting policy, or accepted)");
                }
                Err(reason) => log::warn!("session store: not ready: {reason}"),
            }
        });
    }
    log::info!(
        "session store and login throttling: {}; replay detection {:?}; session max {} s (0 = \
         none)",
        match store {
            Store::Redis(store) if store.is_cluster() => "Redis Cluster",
            Store::Redis(_) => "Redis",
            Store::Memory(_) => "in process (one instance only)",
        },
        settings.reuse_detection,
        settings.session_max
    );
}

fn serve_error(bind: &str, source: io::Error) -> StartupError {
    StartupError::Serve {
        bind: bind.to_owned(),
        source,
    }
}
