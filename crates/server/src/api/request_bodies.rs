//! The request bodies of the token operations, documented as OCC clients send them: JSON `{}`, a
//! form (occ-tools sends an empty one), or nothing at all. Each is described once here rather than
//! in every handler's attribute.

use serde_json::json;
use utoipa::Modify;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, OpenApi, RefOr, Required};

use crate::http::form::FORM;

/// What every token operation's body description says.
pub(crate) const BODY_DESCRIPTION: &str = "Nothing: the Bearer token is the whole request. \
     Clients send `{}` as JSON, a form (empty or not), or no body at all; its fields are \
     ignored. A body sent as JSON must be a JSON object (400 otherwise), and a body over the \
     size limit is refused (413).";

/// The media types a body may be sent as, each with the operation's (property-less) schema.
pub(crate) const BODY_MEDIA_TYPES: [&str; 2] =
    ["application/json", "application/x-www-form-urlencoded"];

/// Every request body: optional, sent as JSON or as a form, its schema the documented one (not
/// utoipa's `oneOf` with `null` for an `Option`), that schema with an explicit empty
/// `properties` map.
pub(crate) struct RequestBodies;

impl Modify for RequestBodies {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut schemas = Vec::new();
        for operation in super::operations_mut(openapi) {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                continue;
            };
            // A login's form is its credential: documented as it is, required.
            if body.content.contains_key(FORM) && body.content.len() == 1 {
                body.required = Some(Required::True);
                continue;
            }
            let Some(schema) = body.content.values().find_map(|content| match content {
                RefOr::T(content) => documented_schema(content),
                RefOr::Ref(_) => None,
            }) else {
                continue;
            };
            body.required = Some(Required::False);
            body.description = Some(BODY_DESCRIPTION.to_owned());
            body.content = BODY_MEDIA_TYPES
                .into_iter()
                .map(|media_type| {
                    let content = Content::builder().schema(Some(schema.clone())).build();
                    (media_type.to_owned(), RefOr::T(content))
                })
                .collect();
            if let RefOr::Ref(reference) = &schema {
                schemas.push(reference.ref_location.clone());
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for location in schemas {
            let name = location.rsplit('/').next().unwrap_or_default();
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name)
                && object.properties.is_empty()
            {
                // utoipa leaves an empty `properties` map out; Postman (openapi-to-postmanv2)
                // then sends the placeholder `<object>` instead of `{}`. An extension entry is
                // written as it is named, so it puts the empty map back.
                object
                    .extensions
                    .get_or_insert_with(Default::default)
                    .insert("properties".to_owned(), json!({}));
            }
        }
    }
}

/// The schema a content documents: the `$ref` itself, or the `$ref` inside utoipa's
/// `oneOf: [$ref, {type: null}]` for an `Option`.
fn documented_schema(content: &Content) -> Option<RefOr<Schema>> {
    match content.schema.as_ref()? {
        RefOr::T(Schema::OneOf(one_of)) => one_of
            .items
            .iter()
            .find(|item| matches!(item, RefOr::Ref(_)))
            .cloned(),
        schema => Some(schema.clone()),
    }
}
