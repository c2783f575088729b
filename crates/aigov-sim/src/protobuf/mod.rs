//! Decodes kubectl's protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the JSON objects the simulator's handlers already understand.
//!
//! kubectl's typed clients (`auth whoami`, `auth can-i`, the `create <kind>` generators) send
//! protobuf and never retry with JSON after a 415, so the simulator has to read them. Only the
//! request side is handled: the simulator may always answer in JSON because kubectl's `Accept`
//! header allows it.

mod convert;
#[cfg(test)]
mod kubectl_capture;
#[cfg(test)]
mod tests;

use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde_json::Value;

/// The media type kubectl uses for protobuf bodies.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Every Kubernetes protobuf body starts with these four bytes, then a `runtime.Unknown`.
const MAGIC: &[u8; 4] = b"k8s\0";

/// Why a protobuf request body could not be turned into JSON.
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    #[error(
        "protobuf body does not start with the Kubernetes magic bytes \"k8s\\0\" (got {got}); \
         send a body encoded by a Kubernetes client, or send JSON"
    )]
    BadMagic { got: String },
    #[error(
        "cannot decode the protobuf {what}: {source}; the body is truncated or not Kubernetes protobuf"
    )]
    Undecodable {
        what: String,
        source: prost::DecodeError,
    },
    #[error("protobuf body has no kind in its typeMeta; cannot tell which object it holds")]
    MissingKind,
    #[error(
        "unsupported protobuf content encoding {encoding:?}; send the object uncompressed or as JSON"
    )]
    UnsupportedEncoding { encoding: String },
    #[error(
        "unsupported kind \"{kind}\" (apiVersion \"{api_version}\") in a protobuf body; \
         the simulator decodes protobuf only for reviews and the kubectl create generators, \
         so send this object as JSON (Content-Type: application/json)"
    )]
    UnsupportedKind { api_version: String, kind: String },
}

/// True when a `Content-Type` header value names Kubernetes protobuf (parameters ignored).
pub fn is_protobuf_content_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(PROTOBUF_CONTENT_TYPE))
}

/// Decode a protobuf request body into the JSON object the JSON API would have received
/// (apiVersion, kind, metadata, spec, data, ... in Kubernetes' JSON field names/shape).
///
/// Empty strings and absent optional fields are omitted rather than emitted as `""` or `null`:
/// Go's protobuf encoder writes every non-pointer string, even when empty, whereas the JSON
/// encoder drops them through `omitempty`.
pub fn decode_to_json(body: &[u8]) -> Result<Value, ProtobufError> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| ProtobufError::BadMagic {
            got: describe_prefix(body),
        })?;
    let envelope = Unknown::decode(rest).map_err(|source| ProtobufError::Undecodable {
        what: "runtime.Unknown envelope".to_owned(),
        source,
    })?;
    let encoding = envelope.content_encoding.unwrap_or_default();
    if !encoding.is_empty() {
        return Err(ProtobufError::UnsupportedEncoding { encoding });
    }
    let content_type = envelope.content_type.unwrap_or_default();
    if !content_type.is_empty() && !is_protobuf_content_type(&content_type) {
        return Err(ProtobufError::UnsupportedEncoding {
            encoding: content_type,
        });
    }
    let type_meta = envelope.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    if kind.is_empty() {
        return Err(ProtobufError::MissingKind);
    }
    let raw = envelope.raw.unwrap_or_default();
    let mut object = convert::object(&api_version, &kind, &raw)?;
    object.insert("apiVersion".to_owned(), Value::String(api_version));
    object.insert("kind".to_owned(), Value::String(kind));
    Ok(Value::Object(object))
}

/// Hex of the first few bytes, so a bad-magic error shows what actually arrived.
fn describe_prefix(body: &[u8]) -> String {
    if body.is_empty() {
        return "an empty body".to_owned();
    }
    let hex: String = body.iter().take(8).map(|b| format!("{b:02x}")).collect();
    if body.len() > 8 {
        format!("0x{hex}…")
    } else {
        format!("0x{hex}")
    }
}
