//! Configuration: each setting from a flag or its `CCSTORE_*` environment variable, with the
//! embedded defaults that let the server start with nothing configured.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use ccstore_core::{SERVICE_CLAIMS, TokenEncoding};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::http::limits::Limits;
use serde_json::Value;

use crate::telemetry::log_line::LogFormat;

/// ccstore: a drop-in server for Oracle Commerce Cloud's token refresh, `POST /ccstore/v1/refresh`.
#[derive(Debug, Parser)]
#[command(name = "ccstore-server", version, about)]
pub struct Cli {
    /// Settings shared by serving and minting.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print a token signed with the configured key and issuer, for operators and scripts.
    Token {
        /// The token's subject (the shopper's profile id).
        #[arg(long)]
        sub: String,
        /// The family whose issuer signs it: `store`, `admin`, `agent` or `app`.
        #[arg(long, default_value = "store")]
        family: String,
        /// An extra claim: `name=value` for a string, `name:=json` for any JSON value
        /// (`--claim 'com.oracle.atg.cloud.commerce.roles:=["admin"]'`). Repeatable.
        #[arg(long = "claim", value_name = "NAME=VALUE", value_parser = parse_claim)]
        claims: Vec<(String, Value)>,
    },
    /// Manage the users file (`CCSTORE_USERS_FILE`).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the application-keys file (`CCSTORE_APP_KEYS_FILE`).
    #[command(subcommand)]
    AppKey(AppKeyCommand),
}

/// What `user` does.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Print the users-file line of a new user. The password is read from standard input (one
    /// line; never from the arguments or the environment), so pipe it in:
    /// `ccstore-server user add ann@example.com --family store < password.txt`.
    Add {
        /// The login name (compared case-insensitively within the family).
        username: String,
        /// The family the user logs in to: `store`, `admin` or `agent`.
        #[arg(long)]
        family: String,
        /// The `sub` of the user's tokens (OCC's profile id) [default: the username].
        #[arg(long)]
        sub: Option<String>,
        /// An extra claim of the user's tokens: `name=value` for a string, `name:=json` for any
        /// JSON value. Repeatable.
        #[arg(long = "claim", value_name = "NAME=VALUE", value_parser = parse_claim)]
        claims: Vec<(String, Value)>,
        /// Require a TOTP passcode at every login: a new secret is drawn and printed once, on
        /// standard error, for the user's authenticator app.
        #[arg(long)]
        totp: bool,
    },
}

/// What `app-key` does.
#[derive(Debug, Subcommand)]
pub enum AppKeyCommand {
    /// Draw a new application key: the key is printed once on standard error, the
    /// application-keys-file line (its digest, never the key) on standard output.
    New {
        /// The application's name: the `sub` of its tokens.
        #[arg(long)]
        name: String,
        /// A family the key logs in to: `admin` or `app`. Repeatable.
        #[arg(long = "family", default_value = "admin")]
        families: Vec<String>,
        /// A claim of the key's tokens (`--claim 'com.oracle.atg.cloud.commerce.roles:=["admin"]'`).
        /// Repeatable.
        #[arg(long = "claim", value_name = "NAME=VALUE", value_parser = parse_claim)]
        claims: Vec<(String, Value)>,
    },
}

/// Settings of the token service and the listener.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        env = "CCSTORE_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,
    /// HS256 key, at least 32 bytes. Without a key the server runs in development mode with a
    /// random per-process key.
    #[arg(
        long,
        env = "CCSTORE_JWT_SECRET",
        hide_env_values = true,
        global = true,
        value_parser = secret
    )]
    pub jwt_secret: Option<SecretString>,
    /// File holding the HS256 key (one trailing newline is ignored).
    #[arg(long, env = "CCSTORE_JWT_SECRET_FILE", global = true)]
    pub jwt_secret_file: Option<PathBuf>,
    /// JSON file of named HS256 keys, for rotation without downtime:
    /// `{"active": KID, "keys": [{"kid": KID, "secret": TEXT}, ...]}` (or `secret_base64`).
    /// The active key signs and names itself in `kid`; every listed key verifies. Reread on SIGHUP.
    #[arg(long, env = "CCSTORE_JWT_KEYS_FILE", global = true)]
    pub jwt_keys_file: Option<PathBuf>,
    /// Issuer (`iss`) of the store family (`/ccstore/v1`, `/ccstoreui/v1`): required on its
    /// incoming tokens, set on the ones it issues.
    #[arg(
        long,
        env = "CCSTORE_ISSUER",
        default_value = "storefrontUI",
        global = true
    )]
    pub issuer: String,
    /// Issuer of the admin family (`/ccadmin/v1`, `/ccadminui/v1`).
    #[arg(
        long,
        env = "CCSTORE_ADMIN_ISSUER",
        default_value = "adminUI",
        global = true
    )]
    pub admin_issuer: String,
    /// Issuer of the agent family (`/ccagent/v1`, `/ccagentui/v1`).
    #[arg(
        long,
        env = "CCSTORE_AGENT_ISSUER",
        default_value = "agentUI",
        global = true
    )]
    pub agent_issuer: String,
    /// Issuer of the server-side extension family (`/ccapp/v1`, `/ccappagent/v1`).
    #[arg(
        long,
        env = "CCSTORE_APP_ISSUER",
        default_value = "appUI",
        global = true
    )]
    pub app_issuer: String,
    /// How issued tokens are spelled: `occ`, standard base64 with `=` padding as OCC writes them
    /// (Storefront Classic decodes tokens in the browser with that alphabet only); `jws`,
    /// base64url without padding, for strict JWS readers (gateway JWT validators, jose,
    /// jsonwebtoken). Tokens in either spelling are accepted whatever is set.
    #[arg(long, env = "CCSTORE_TOKEN_ENCODING", value_enum, default_value_t = Encoding::Occ, global = true)]
    pub token_encoding: Encoding,
    /// Seconds a token from a user's login (and each refresh of it) lives, in every family.
    #[arg(long, env = "CCSTORE_TOKEN_TTL", default_value_t = 930, global = true,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub token_ttl: u64,
    /// The users who may log in with a password (JSON lines: username, family, sub, claims, an
    /// argon2id hash); reread on SIGHUP. Add one with `ccstore-server user add`.
    #[arg(long, env = "CCSTORE_USERS_FILE", global = true)]
    pub users_file: Option<PathBuf>,
    /// The application keys that may log in with `client_credentials` (JSON lines: name,
    /// families, claims, a SHA-256 digest of the key); reread on SIGHUP. Make one with
    /// `ccstore-server app-key new`.
    #[arg(long, env = "CCSTORE_APP_KEYS_FILE", global = true)]
    pub app_keys_file: Option<PathBuf>,
    /// Consecutive failed logins of one account that lock it (NIST SP 800-63B §5.2.2).
    #[arg(long, env = "CCSTORE_LOGIN_MAX_FAILURES", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub login_max_failures: u32,
    /// Seconds a locked account's logins are refused.
    #[arg(long, env = "CCSTORE_LOGIN_LOCKOUT_SECS", default_value_t = 900, global = true,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_lockout_secs: u64,
    /// Password checks run at once, off the request workers (each holds 19 MiB for a few
    /// milliseconds).
    #[arg(long, env = "CCSTORE_HASH_WORKERS", default_value_t = 2, global = true,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub hash_workers: u64,
    /// Password checks that may wait for a worker; beyond them a login is answered 503 with
    /// `Retry-After`.
    #[arg(long, env = "CCSTORE_HASH_QUEUE", default_value_t = 64, global = true,
          value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub hash_queue: u64,
    /// Seconds a token from an application-key login lives (Oracle documents five minutes).
    #[arg(long, env = "CCSTORE_APP_KEY_TOKEN_TTL", default_value_t = 300, global = true,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub app_key_token_ttl: u64,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    #[arg(long, env = "CCSTORE_LEEWAY", default_value_t = 0, global = true,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub leeway: u64,
    /// Worker threads [default: the CPUs available].
    #[arg(long, env = "CCSTORE_WORKERS", global = true)]
    pub workers: Option<NonZeroUsize>,
    /// Absolute session lifetime in seconds from login; refreshes never go past it. 0 turns the
    /// cap off. The default, 12 h, is NIST SP 800-63B's AAL2 reauthentication bound.
    #[arg(
        long,
        env = "CCSTORE_SESSION_MAX",
        default_value_t = 43_200,
        global = true
    )]
    pub session_max: u64,
    /// Refresh-once rule: a refreshed token presented again after the grace window, once a
    /// successor of it was used, revokes its session as stolen (before that, it is a retry after
    /// a lost answer). `off` refreshes any valid token any number of times, as OCC does.
    #[arg(long, env = "CCSTORE_REUSE_DETECTION", value_enum, default_value_t = Switch::On, global = true)]
    pub reuse_detection: Switch,
    /// Seconds after a token's first refresh during which it may be refreshed again (tabs racing).
    #[arg(long, env = "CCSTORE_REUSE_GRACE", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub reuse_grace: u64,
    /// Redis URL for session state shared by several instances: `redis://[:password@]host:port[/db]`
    /// for one node (`rediss://` for TLS), `redis+cluster://host:port` (or `rediss+cluster://`,
    /// or several URLs comma-separated) for a Redis Cluster. Without it, state is kept in this
    /// process.
    #[arg(long, env = "CCSTORE_REDIS_URL", hide_env_values = true, global = true,
          value_parser = secret)]
    pub redis_url: Option<SecretString>,
    /// PEM file of the certificate authorities to trust for `rediss://`, instead of the
    /// system's (a private CA).
    #[arg(long, env = "CCSTORE_REDIS_CA_FILE", global = true)]
    pub redis_ca_file: Option<PathBuf>,
    /// `on` stays ready when Redis's maxmemory-policy may evict keys: evicted sessions forget
    /// their logout (logged-out tokens work again) and their refreshes (replays go unnoticed).
    /// Use maxmemory-policy noeviction instead.
    #[arg(long, env = "CCSTORE_REDIS_ACCEPT_EVICTION", value_enum, default_value_t = Switch::Off,
          global = true)]
    pub redis_accept_eviction: Switch,
    /// Milliseconds a Redis call may take before the request is answered 503.
    #[arg(long, env = "CCSTORE_STORE_TIMEOUT_MS", default_value_t = 500, global = true,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub store_timeout_ms: u64,
    /// Sessions the in-process store holds at most; when it is full of live sessions, requests
    /// that need to record a new one are answered 503 (fail closed).
    #[arg(
        long,
        env = "CCSTORE_MEMORY_STORE_CAPACITY",
        default_value_t = 1_000_000,
        global = true
    )]
    pub memory_store_capacity: usize,
    /// Milliseconds a client has to send a request's headers; a client that trickles them (one
    /// byte a second) is answered 408 and disconnected instead of holding a connection open. At
    /// least 1000: actix checks it against a clock it updates twice a second.
    #[arg(long, env = "CCSTORE_CLIENT_REQUEST_TIMEOUT_MS", default_value_t = 5_000, global = true,
          value_parser = clap::value_parser!(u64).range(1_000..=600_000))]
    pub client_request_timeout_ms: u64,
    /// Seconds an idle keep-alive connection is kept open (OCC clients refresh every 30 s or so).
    #[arg(long, env = "CCSTORE_KEEP_ALIVE_SECS", default_value_t = 15, global = true,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub keep_alive_secs: u64,
    /// Address of a separate listener for `GET /metrics` (Prometheus). When set, metrics are served
    /// only there, not on the main listener; unset, they are served on the main listener.
    #[arg(long, env = "CCSTORE_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,
    /// Exact origins (`https://shop.example`, comma-separated) from which browsers may call the
    /// API (CORS: GET and POST, the Authorization and Content-Type headers). None: no CORS header
    /// is sent.
    #[arg(
        long,
        env = "CCSTORE_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,
    /// Seconds the requests in flight get to finish after a shutdown signal (SIGTERM, SIGINT)
    /// once the listeners are closed; then the workers are stopped anyway.
    #[arg(long, env = "CCSTORE_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_secs: u64,
    /// Milliseconds between a shutdown signal and the listeners closing, while `/health/ready`
    /// already answers 503, so that load balancers stop sending traffic first. 0: close at once.
    #[arg(long, env = "CCSTORE_SHUTDOWN_DELAY_MS", default_value_t = 0, global = true,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub shutdown_delay_ms: u64,
    /// Most concurrent connections per worker; further ones wait in the listen backlog.
    #[arg(long, env = "CCSTORE_MAX_CONNECTIONS", default_value_t = 25_000, global = true,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Log line layout: `text` for people, `json` for log collectors (one object a line, with
    /// `timestamp`, `level`, `target`, `message` and, inside a request, `request_id`).
    #[arg(long, env = "CCSTORE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Largest request body in bytes; larger ones get 413 (clients send `{}` or nothing).
    #[arg(long, env = "CCSTORE_MAX_BODY_BYTES", default_value_t = 65_536, global = true,
          value_parser = clap::value_parser!(u64).range(64..=16_777_216))]
    pub max_body_bytes: u64,
    /// Milliseconds the server waits for a request body, once it has verified the token and the
    /// body has not come with the head; a body that does not arrive in time is answered 408 and
    /// its connection closed. A request without a valid token gets its 401 at once, without any
    /// wait for its body.
    #[arg(long, env = "CCSTORE_BODY_TIMEOUT_MS", default_value_t = 5_000, global = true,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub body_timeout_ms: u64,
    /// Largest request head (request line and headers) in bytes; larger ones get 431. Heads
    /// over 128 KiB are refused by the HTTP codec before this check, with an empty 431.
    #[arg(long, env = "CCSTORE_MAX_HEADER_BYTES", default_value_t = 32_768, global = true,
          value_parser = clap::value_parser!(u64).range(8_192..=131_072))]
    pub max_header_bytes: u64,
}

impl Settings {
    /// The request size limits configured.
    pub fn limits(&self) -> Limits {
        let bytes = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        Limits {
            max_body_bytes: bytes(self.max_body_bytes),
            max_header_bytes: bytes(self.max_header_bytes),
            body_timeout: std::time::Duration::from_millis(self.body_timeout_ms),
        }
    }
}

/// The spelling of issued tokens, as the flag names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// Standard base64 with padding, as OCC writes tokens.
    Occ,
    /// Base64url without padding (RFC 7515).
    Jws,
}

impl From<Encoding> for TokenEncoding {
    fn from(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Occ => Self::Occ,
            Encoding::Jws => Self::Jws,
        }
    }
}

/// A secret setting, held so that no `{:?}` of the settings can print it.
#[allow(
    clippy::unnecessary_wraps,
    reason = "clap takes a value parser's result"
)]
fn secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

/// A feature switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Parses `name=value` (a string) or `name:=json` (any JSON value).
fn parse_claim(argument: &str) -> Result<(String, Value), String> {
    let (name, value) = argument
        .split_once('=')
        .ok_or_else(|| format!("`{argument}` is not NAME=VALUE or NAME:=JSON"))?;
    let (name, value) = match name.strip_suffix(':') {
        Some(name) => (
            name,
            serde_json::from_str(value)
                .map_err(|error| format!("`{name}`: invalid JSON: {error}"))?,
        ),
        None => (name, Value::String(value.to_owned())),
    };
    if name.is_empty() {
        return Err("a claim needs a name".to_owned());
    }
    if SERVICE_CLAIMS.contains(&name) {
        return Err(format!(
            "`{name}` is set by the service; use --sub for the subject and the settings for the rest"
        ));
    }
    Ok((name.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_are_strings_unless_marked_json() {
        assert_eq!(parse_claim("a=1").unwrap(), ("a".into(), json!("1")));
        assert_eq!(parse_claim("a:=1").unwrap(), ("a".into(), json!(1)));
        assert_eq!(
            parse_claim(r#"roles:=["admin"]"#).unwrap(),
            ("roles".into(), json!(["admin"]))
        );
        assert_eq!(parse_claim("a=b=c").unwrap(), ("a".into(), json!("b=c")));
    }

    #[test]
    fn malformed_or_reserved_claims_are_refused_with_a_reason() {
        assert!(parse_claim("novalue").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_claim("=x").unwrap_err().contains("needs a name"));
        assert!(parse_claim("a:=[").unwrap_err().contains("invalid JSON"));
        assert!(
            parse_claim("exp=1")
                .unwrap_err()
                .contains("set by the service")
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["ccstore-server"]).unwrap();
        assert_eq!(cli.settings.bind, "127.0.0.1:8080");
        assert_eq!(cli.settings.issuer, "storefrontUI");
        assert_eq!(cli.settings.token_ttl, 930);
        assert_eq!(cli.settings.leeway, 0);
        assert_eq!(cli.settings.session_max, 43_200);
        assert_eq!(cli.settings.reuse_detection, Switch::On);
        assert_eq!(cli.settings.reuse_grace, 30);
        assert!(cli.settings.redis_url.is_none());
        assert_eq!(cli.settings.token_encoding, Encoding::Occ);
        assert_eq!(cli.settings.limits(), Limits::default());
        assert_eq!(cli.settings.log_format, LogFormat::Text);
        assert!(cli.settings.metrics_bind.is_none());
        assert!(cli.settings.cors_origins.is_empty());
        assert_eq!(cli.settings.shutdown_timeout_secs, 30);
        assert_eq!(cli.settings.shutdown_delay_ms, 0);
        assert!(cli.command.is_none());
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let cli = Cli::try_parse_from([
            "ccstore-server",
            "--cors-origins",
            "https://a.example,http://localhost:3000",
        ])
        .unwrap();
        assert_eq!(
            cli.settings.cors_origins,
            ["https://a.example", "http://localhost:3000"]
        );
    }

    #[test]
    fn the_token_encoding_is_occ_or_jws() {
        let parse = |value: &str| {
            Cli::try_parse_from(["ccstore-server", "--token-encoding", value])
                .map(|cli| TokenEncoding::from(cli.settings.token_encoding))
        };
        assert_eq!(parse("occ").unwrap(), TokenEncoding::Occ);
        assert_eq!(parse("jws").unwrap(), TokenEncoding::Jws);
        assert!(parse("base64").is_err());
    }

    #[test]
    fn no_debug_output_of_the_settings_shows_the_key_or_the_redis_password() {
        let cli = Cli::try_parse_from([
            "ccstore-server",
            "--jwt-secret",
            "a-secret-of-32-bytes-or-more-0123456789",
            "--redis-url",
            "redis://:hunter2-password@cache:6379/0",
        ])
        .unwrap();
        let debug = format!("{cli:?} {:#?}", cli.settings);
        assert!(!debug.contains("a-secret-of"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
    }

    #[test]
    fn a_zero_ttl_is_refused() {
        assert!(Cli::try_parse_from(["ccstore-server", "--token-ttl", "0"]).is_err());
    }
}
