//! The files logins are decided from, `CCSTORE_USERS_FILE` and `CCSTORE_APP_KEYS_FILE`: read at
//! start (a broken file stops the start, naming the line) and reread on SIGHUP, like the key
//! file. A reload replaces a whole set at once, or, if the file is broken, keeps the set in
//! force and says why; a line's content is never logged (it holds a hash or a digest). Lines
//! held in memory besides the files' (development mode's demo shopper and key) are added at
//! every read.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccstore_core::{AppKeys, Attempts, Families, FileError, LoginService, Users};
use thiserror::Error;

/// Why a login file could not be used.
#[derive(Debug, Error)]
pub enum LoginFileError {
    /// The file cannot be read.
    #[error("cannot read {setting} {path}: {source}")]
    Read {
        /// Which setting names it.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A line is not valid.
    #[error("{setting} {path}: {source}")]
    Invalid {
        /// Which setting names it.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// Which line, and why.
        source: FileError,
    },
}

/// Where the users and the application keys come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoginFiles {
    /// `CCSTORE_USERS_FILE`.
    pub(crate) users: Option<PathBuf>,
    /// `CCSTORE_APP_KEYS_FILE`.
    pub(crate) app_keys: Option<PathBuf>,
    /// Users-file lines in force besides the file's, at every reload (development mode's demo
    /// shopper).
    pub(crate) extra_users: String,
    /// Application-keys-file lines in force besides the file's (the demo key).
    pub(crate) extra_app_keys: String,
}

/// `file`'s text followed by `extra`'s lines (numbered after the file's).
fn with_extra(file: &str, extra: &str) -> String {
    format!("{file}\n{extra}")
}

fn read<T>(
    setting: &'static str,
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, FileError>,
) -> Result<T, LoginFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoginFileError::Read {
        setting,
        path: path.to_owned(),
        source,
    })?;
    parse(&text).map_err(|source| LoginFileError::Invalid {
        setting,
        path: path.to_owned(),
        source,
    })
}

impl LoginFiles {
    /// The users of the file (none without one) and the extra ones.
    pub(crate) fn users(&self, families: &Families) -> Result<Users, LoginFileError> {
        let parse = |text: &str| Users::parse(&with_extra(text, &self.extra_users), families);
        match &self.users {
            Some(path) => read("CCSTORE_USERS_FILE", path, parse),
            None => parse("").map_err(|source| LoginFileError::Invalid {
                setting: "CCSTORE_USERS_FILE",
                path: PathBuf::new(),
                source,
            }),
        }
    }

    /// The application keys of the file (none without one) and the extra ones.
    pub(crate) fn app_keys(&self, families: &Families) -> Result<AppKeys, LoginFileError> {
        let parse = |text: &str| AppKeys::parse(&with_extra(text, &self.extra_app_keys), families);
        match &self.app_keys {
            Some(path) => read("CCSTORE_APP_KEYS_FILE", path, parse),
            None => parse("").map_err(|source| LoginFileError::Invalid {
                setting: "CCSTORE_APP_KEYS_FILE",
                path: PathBuf::new(),
                source,
            }),
        }
    }

    /// Rereads both files into `login` on every SIGHUP.
    pub(crate) fn reload_on_sighup(
        self,
        families: Families,
        login: Arc<LoginService<Attempts>>,
    ) -> io::Result<()> {
        use actix_rt::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        actix_rt::spawn(async move {
            while hangups.recv().await.is_some() {
                if self.users.is_some() {
                    match self.users(&families) {
                        Ok(users) => {
                            log::info!("SIGHUP: users reloaded");
                            login.replace_users(users);
                        }
                        Err(error) => log::error!("SIGHUP: {error}; the users in force are kept"),
                    }
                }
                if self.app_keys.is_some() {
                    match self.app_keys(&families) {
                        Ok(keys) => {
                            log::info!("SIGHUP: application keys reloaded ({})", keys.len());
                            login.replace_app_keys(keys);
                        }
                        Err(error) => {
                            log::error!("SIGHUP: {error}; the application keys in force are kept");
                        }
                    }
                }
            }
        });
        Ok(())
    }
}
