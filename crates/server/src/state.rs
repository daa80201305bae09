//! What every handler shares: each family's session rules over the one configured store, the
//! request size limits, the instance's readiness and its metrics, built once at start-up and
//! shared by every worker.

use std::sync::Arc;

use actix_web::web::Data;
use ccstore_core::{
    AppKeys, Attempts, FamilyTokens, HashPool, LoginService, ReuseDetection, Sessions, Store,
    ThrottleRule, Users,
};

use crate::family::ServedFamily;
use crate::http::limits::Limits;
use crate::readiness::Readiness;
use crate::telemetry::metrics::Metrics;

/// Who may log in and how logins are held back.
#[derive(Debug, Clone)]
pub struct Logins {
    /// The users in force (`CCSTORE_USERS_FILE`).
    pub users: Users,
    /// The application keys in force (`CCSTORE_APP_KEYS_FILE`).
    pub app_keys: AppKeys,
    /// When failed logins lock an account.
    pub throttle: ThrottleRule,
    /// Where passwords are hashed, off the request workers.
    pub pool: HashPool,
}

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Every configured family, with its session rules.
    pub(crate) families: Arc<[Data<ServedFamily>]>,
    /// The session store every family shares.
    pub(crate) store: Arc<Store>,
    /// Decides logins: the users and application keys in force, throttling, password hashing.
    pub(crate) login: Arc<LoginService<Attempts>>,
    /// Request size limits.
    pub limits: Limits,
    /// Whether the instance reports itself ready; turned off first at shutdown.
    pub(crate) readiness: Arc<Readiness>,
    /// What `/metrics` reports.
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// State serving every family of `tokens` (one token service per family) over `store`, with
    /// `reuse` detection and `logins` (failed logins counted beside the sessions: in Redis with
    /// the Redis store), ready, with fresh metrics and the default limits.
    pub fn new(tokens: &FamilyTokens, store: Store, reuse: ReuseDetection, logins: Logins) -> Self {
        let store = Arc::new(store);
        let families = tokens
            .iter()
            .map(|(family, service)| {
                Data::new(ServedFamily {
                    family: family.clone(),
                    sessions: Sessions::new(service.clone(), Arc::clone(&store), reuse),
                })
            })
            .collect();
        let login = LoginService::new(
            tokens.clone(),
            Attempts::beside(&store),
            logins.throttle,
            logins.pool,
            logins.users,
            logins.app_keys,
        );
        Self {
            metrics: Arc::new(Metrics::new(&store)),
            families,
            login: Arc::new(login),
            store,
            readiness: Arc::default(),
            limits: Limits::default(),
        }
    }

    /// From now on the instance (every clone of this state) reports itself not ready: the
    /// first step of a shutdown.
    pub fn begin_draining(&self) {
        self.readiness.begin_draining();
    }
}
