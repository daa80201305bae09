//! The users and application-keys files: what `user add` and `app-key new` print is read back,
//! and a file with any faulty line is refused whole, naming the line and never quoting it.

use ccstore_core::{
    AppKeys, Families, FileError, HashError, KEY_PREFIX, LineFault, NewAppKey, NewUser,
    PasswordHash, Users, new_key,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::login::TOTP_SECRET;

fn user_line(username: &str, family: &str) -> String {
    let families = Families::default();
    NewUser {
        username,
        family: families.get(family).unwrap(),
        sub: "p1",
        claims: Map::new(),
        totp_secret: None,
    }
    .line(&SecretString::from("a good password"))
    .unwrap()
}

fn fault(result: Result<impl std::fmt::Debug, FileError>) -> (usize, LineFault) {
    let error = result.unwrap_err();
    (error.line, error.fault)
}

#[test]
fn a_printed_user_line_is_read_back_and_holds_no_password() {
    let families = Families::default();
    let secret = SecretString::from(TOTP_SECRET);
    let mut claims = Map::new();
    claims.insert("occs.admin.profileId".into(), json!("p9"));
    let line = NewUser {
        username: "ops",
        family: families.get("admin").unwrap(),
        sub: "100001",
        claims,
        totp_secret: Some(&secret),
    }
    .line(&SecretString::from("correct horse battery"))
    .unwrap();
    assert!(!line.contains("correct horse"));
    let parsed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(parsed["username"], "ops");
    assert_eq!(parsed["family"], "admin");
    assert_eq!(parsed["claims"], json!({"occs.admin.profileId": "p9"}));
    assert!(
        parsed["password_hash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    let users = Users::parse(&format!("# users\n\n{line}\n"), &families).unwrap();
    assert_eq!(users.len(), 1);
}

#[test]
fn user_add_refuses_short_passwords_and_families_without_password_logins() {
    let families = Families::default();
    let new = |family: &str| NewUser {
        username: "u",
        family: families.get(family).unwrap(),
        sub: "u",
        claims: Map::new(),
        totp_secret: None,
    };
    assert_eq!(
        new("store").line(&SecretString::from("seven77")),
        Err(LineFault::ShortPassword)
    );
    assert_eq!(
        new("app").line(&SecretString::from("long enough")),
        Err(LineFault::WrongGrant("app"))
    );
    let bad_totp = SecretString::from("short");
    let with_bad_totp = NewUser {
        totp_secret: Some(&bad_totp),
        ..new("admin")
    };
    assert_eq!(
        with_bad_totp.line(&SecretString::from("long enough")),
        Err(LineFault::Totp)
    );
}

#[test]
fn a_users_file_with_one_bad_line_is_refused_at_that_line() {
    let families = Families::default();
    let good = user_line("ann", "store");
    let hash = PasswordHash::new(&SecretString::from("whatever pw")).unwrap();
    let with_hash = |hash: &str| {
        format!(r#"{{"username":"bob","family":"store","sub":"b","password_hash":"{hash}"}}"#)
    };
    let weak = "$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";
    let argon2i = "$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";
    let cases = [
        ("{not json".to_owned(), LineFault::Syntax("")),
        (
            with_hash(weak),
            LineFault::Hash(HashError::TooWeak {
                memory: 4096,
                passes: 3,
            }),
        ),
        (with_hash(argon2i), LineFault::Hash(HashError::NotArgon2id)),
        (
            with_hash("plain-text-password"),
            LineFault::Hash(HashError::Malformed),
        ),
        (user_line("ANN", "store"), LineFault::Duplicate("username")),
        (
            good.replace(r#""family":"store""#, r#""family":"shop""#),
            LineFault::UnknownFamily("shop".into()),
        ),
        (
            good.replace(r#""claims":{}"#, r#""claims":{"exp":1}"#),
            LineFault::ReservedClaim("exp".into()),
        ),
        (
            good.replace(r#""sub":"p1""#, r#""sub":"""#),
            LineFault::BadName("sub"),
        ),
        (
            good.replace(r#""sub":"p1""#, r#""sub":"p1","totp_secret":"AAAA""#),
            LineFault::Totp,
        ),
        (
            good.replace(r#""sub":"p1""#, r#""sub":"p1","role":"x""#),
            LineFault::Syntax(""),
        ),
    ];
    for (bad, expected) in cases {
        let text = format!("{good}\n# comment\n{bad}\n{}", with_hash(hash.as_phc()));
        let (line, fault) = fault(Users::parse(&text, &families));
        assert_eq!(line, 3, "{bad}");
        match expected {
            LineFault::Syntax(_) => assert!(matches!(fault, LineFault::Syntax(_)), "{bad}"),
            expected => assert_eq!(fault, expected, "{bad}"),
        }
    }
    // The same name in another family is another user.
    let text = format!("{good}\n{}", user_line("ann", "agent"));
    assert_eq!(Users::parse(&text, &families).unwrap().len(), 2);
}

#[test]
fn a_refusal_never_quotes_the_line() {
    let families = Families::default();
    let line =
        r#"{"username":"ann","family":"store","sub":"s","password_hash":"s3cret-hash","x":1}"#;
    let error = Users::parse(line, &families).unwrap_err();
    assert!(!error.to_string().contains("s3cret"), "{error}");
    let error = AppKeys::parse(
        r#"{"name":"a","families":["admin"],"sha256":"s3cret"}"#,
        &families,
    )
    .unwrap_err();
    assert_eq!(error.fault, LineFault::Digest);
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

fn key_line(name: &str, families: &[&str], key: &SecretString) -> Result<String, LineFault> {
    let all = Families::default();
    let of: Vec<_> = families.iter().map(|id| all.get(id).unwrap()).collect();
    NewAppKey {
        name,
        families: &of,
        claims: Map::new(),
    }
    .line(key)
}

#[test]
fn a_new_key_is_high_entropy_and_its_line_holds_only_its_digest() {
    let key = new_key().unwrap();
    let text = key.expose_secret();
    assert!(text.starts_with(KEY_PREFIX));
    assert_eq!(text.len(), KEY_PREFIX.len() + 43, "32 bytes in base64url");
    assert_ne!(text, new_key().unwrap().expose_secret());
    let line = key_line("osf", &["admin"], &key).unwrap();
    assert!(!line.contains(text));
    let families = Families::default();
    let keys = AppKeys::parse(&line, &families).unwrap();
    let found = keys.find(text).unwrap();
    assert_eq!(found.name(), "osf");
    assert!(found.serves(families.get("admin").unwrap()));
    assert!(!found.serves(families.get("app").unwrap()));
    assert!(keys.find(&text.replace('_', "-")).is_none());
}

#[test]
fn an_existing_occ_key_can_be_registered_but_a_short_one_cannot() {
    let occ = SecretString::from("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLWJ5dGVz");
    let line = key_line("legacy", &["admin", "app"], &occ).unwrap();
    let keys = AppKeys::parse(&line, &Families::default()).unwrap();
    assert_eq!(
        keys.find(occ.expose_secret())
            .map(ccstore_core::AppKey::name),
        Some("legacy")
    );
    assert_eq!(
        key_line("short", &["admin"], &SecretString::from("tooshort")),
        Err(LineFault::ShortKey)
    );
    assert_eq!(
        key_line("store", &["store"], &new_key().unwrap()),
        Err(LineFault::WrongGrant("store"))
    );
    assert_eq!(
        key_line("none", &[], &new_key().unwrap()),
        Err(LineFault::NoFamily)
    );
}

#[test]
fn an_app_keys_file_with_one_bad_line_is_refused_at_that_line() {
    let families = Families::default();
    let key = new_key().unwrap();
    let good = key_line("osf", &["admin"], &key).unwrap();
    let other = key_line("other", &["app"], &new_key().unwrap()).unwrap();
    let cases = [
        (good.clone(), LineFault::Duplicate("name")),
        (
            key_line("renamed", &["admin"], &key).unwrap(),
            LineFault::Duplicate("key"),
        ),
        (
            good.replace(r#""families":["admin"]"#, r#""families":["store"]"#)
                .replace("osf", "x"),
            LineFault::WrongGrant("store"),
        ),
        (
            other.replace(r#""families":["app"]"#, r#""families":[]"#),
            LineFault::NoFamily,
        ),
        (
            other.replace(r#""claims":{}"#, r#""claims":{"sub":"root"}"#),
            LineFault::ReservedClaim("sub".into()),
        ),
    ];
    for (bad, expected) in cases {
        let text = format!("{good}\n\n{bad}");
        assert_eq!(
            fault(AppKeys::parse(&text, &families)),
            (3, expected),
            "{bad}"
        );
    }
}
