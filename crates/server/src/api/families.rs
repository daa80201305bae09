//! Every family's operations in the document, made from the family table as the routes are: each
//! operation path outside the store family's documented prefix gets a copy of the store family's
//! operation (its request, answers and security), an operation id of its own, and its family's
//! tag. The tags, one per family with its prefixes, issuer and logins, are made here too, and
//! each family's OAuth 2.0 login as a security scheme (`storeLogin`: the password flow;
//! `adminLogin`: client credentials and password), which its token operations accept besides a
//! Bearer token pasted by hand: Swagger UI's Authorize then logs a person in from the page.

use ccstore_core::{FAMILIES, Grant};
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::path::PathItem;
use utoipa::openapi::security::{
    ClientCredentials, Flow, OAuth2, Password, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{OpenApi, RefOr};

use crate::family::STORE;
use crate::routes::{Operation, OperationPath, operations};

/// The tag of family `id`: its name, capitalised (`Store`, `Admin`).
pub(crate) fn tag_of(id: &str) -> String {
    let mut chars = id.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The operation id of the operation at `path`: its prefix and its last segment,
/// `/ccadminui/v1/refresh` → `ccadminuiRefresh`; `…Slash` for the trailing-slash spelling.
fn operation_id(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let (Some(prefix), Some(last)) = (segments.first(), segments.last()) else {
        return path.to_owned();
    };
    let slash = if path.ends_with('/') { "Slash" } else { "" };
    format!("{prefix}{}{slash}", tag_of(last))
}

/// The name of family `id`'s login security scheme: `storeLogin`, `adminLogin`.
fn login_scheme(id: &str) -> String {
    format!("{id}Login")
}

/// The store family's documented `item` as the operation at `served`: its own operation id and
/// its family's tag; a family that logs in only applications shows their token's lifetime.
fn copy_for(served: &OperationPath, mut item: PathItem) -> PathItem {
    let Some(operation) = item.post.as_mut() else {
        return item;
    };
    operation.operation_id = Some(operation_id(served.path));
    operation.tags = Some(vec![tag_of(served.family.id)]);
    if served.operation == Operation::Login
        && !served.family.grants.contains(&Grant::Password)
        && let Some(RefOr::T(success)) = operation.responses.responses.get_mut("200")
    {
        for content in success.content.values_mut() {
            if let RefOr::T(content) = content
                && let Some(Value::Object(example)) = content.example.as_mut()
            {
                example.insert(
                    "expires_in".to_owned(),
                    Value::from(served.family.app_key_ttl),
                );
            }
        }
    }
    item
}

/// Copies the store family's operations to every other family path, tags them, and gives each
/// token operation its family's login scheme.
pub(crate) struct FamilyPaths;

impl Modify for FamilyPaths {
    fn modify(&self, openapi: &mut OpenApi) {
        let store_prefix = STORE.prefixes.first().copied().unwrap_or_default();
        let documented = |operation: Operation| format!("{store_prefix}/{}", operation.segment());
        // The trailing-slash spelling of a login (Storefront Classic's) is the same resource:
        // said in the login's description, not listed again (linters and gateways refuse paths
        // ending in `/`).
        for served in operations()
            .iter()
            .filter(|served| !served.path.ends_with('/'))
        {
            if !openapi.paths.paths.contains_key(served.path) {
                let Some(item) = openapi
                    .paths
                    .paths
                    .get(&documented(served.operation))
                    .cloned()
                else {
                    continue;
                };
                openapi
                    .paths
                    .paths
                    .insert(served.path.to_owned(), copy_for(served, item));
            }
            let operation = openapi
                .paths
                .paths
                .get_mut(served.path)
                .and_then(|item| item.post.as_mut());
            if let Some(operation) = operation.filter(|_| served.operation != Operation::Login) {
                operation.security = Some(vec![
                    SecurityRequirement::new("bearerAuth", Vec::<String>::new()),
                    SecurityRequirement::new(login_scheme(served.family.id), Vec::<String>::new()),
                ]);
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for row in FAMILIES {
            let token_url = format!(
                "{}/login",
                row.prefixes.first().copied().unwrap_or_default()
            );
            let flows = row.grants.iter().map(|grant| match grant {
                Grant::Password => Flow::Password(Password::new(&token_url, Scopes::new())),
                Grant::ClientCredentials => {
                    Flow::ClientCredentials(ClientCredentials::new(&token_url, Scopes::new()))
                }
            });
            let description = format!(
                "Log in to the {} family at `{token_url}` and use the token it answers. For \
                 client credentials, give the application key as the client secret (any \
                 client id).",
                row.id
            );
            components.add_security_scheme(
                login_scheme(row.id),
                SecurityScheme::OAuth2(OAuth2::with_description(flows, description)),
            );
        }
        let tags = openapi.tags.get_or_insert_with(Vec::new);
        for (position, row) in FAMILIES.iter().enumerate() {
            let grants: Vec<&str> = row.grants.iter().map(|grant| grant.name()).collect();
            let description = format!(
                "OCC's {} family at {}: tokens issued as `{}`, logins with {}.",
                row.id,
                row.prefixes
                    .iter()
                    .map(|prefix| format!("`{prefix}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                row.issuer,
                grants.join(" or "),
            );
            let tag = TagBuilder::new()
                .name(tag_of(row.id))
                .description(Some(description))
                .build();
            tags.insert(position.min(tags.len()), tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_name_the_prefix_and_the_operation() {
        assert_eq!(operation_id("/ccadminui/v1/refresh"), "ccadminuiRefresh");
        assert_eq!(operation_id("/ccstoreui/v1/login/"), "ccstoreuiLoginSlash");
        assert_eq!(operation_id("/ccadmin/v1/mfalogin"), "ccadminMfalogin");
        assert_eq!(tag_of("app"), "App");
    }
}
