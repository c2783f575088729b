//! Writes: create, update, patch (merge, JSON, strategic, server-side apply), delete and
//! deletecollection, each honouring `dryRun=All`, preconditions and cascading deletion.

use super::objects::{name_of, namespace_of, prepare_new};
use super::ownership;
use super::patch::{PatchType, patch};
use super::pod_security;
use super::server::{Ctx, json_response};
use super::status::ApiError;
use super::store::Write;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn created(object: &Value) -> Response {
    (StatusCode::CREATED, json_response(object)).into_response()
}

/// The field manager of a write: the `fieldManager` parameter, else the client's name from
/// its User-Agent, as the API server derives it.
fn manager(ctx: &Ctx) -> String {
    match ctx.param("fieldManager") {
        "" => ctx
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .filter(|m| !m.is_empty())
            .unwrap_or("unknown")
            .to_string(),
        m => m.to_string(),
    }
}

/// Creating into a namespace needs the namespace to exist.
fn check_namespace_exists(ctx: &Ctx, namespace: &str) -> Result<(), ApiError> {
    let t = ctx.resource_type();
    if !t.namespaced || namespace.is_empty() {
        return Ok(());
    }
    let ns_resource = ctx.state.namespace_resource;
    if ctx.state.store.get(ns_resource, "", namespace).is_none() {
        return Err(ApiError::not_found("", "namespaces", namespace));
    }
    Ok(())
}

pub fn create(ctx: &Ctx, mut body: Value) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    prepare_new(t, &ctx.path.namespace, &mut body, false)?;
    let namespace = namespace_of(&body).to_string();
    let name = name_of(&body).to_string();
    check_namespace_exists(ctx, &namespace)?;
    ownership::record_update(None, &mut body, &manager(ctx), &t.api_version());
    let (_, stored) = ctx.state.store.write(
        ctx.path.resource,
        &namespace,
        &name,
        ctx.dry_run(),
        |current| {
            if current.is_some() {
                return Err(ApiError::already_exists(t.group, t.plural, &name));
            }
            Ok(Write::Put(body))
        },
    )?;
    Ok(created(&stored))
}

/// Check a client's resourceVersion precondition against the stored object.
fn check_precondition(
    ctx: &Ctx,
    sent: &Value,
    current: &Value,
    name: &str,
) -> Result<(), ApiError> {
    let t = ctx.resource_type();
    let wanted = sent
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let actual = current
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !wanted.is_empty() && wanted != actual {
        return Err(ApiError::stale(t.group, t.plural, name));
    }
    Ok(())
}

/// Keep the fields clients may not change through the main resource.
fn carry_server_fields(old: &Value, new: &mut Value, status_write: bool) {
    for field in ["uid", "creationTimestamp", "namespace", "name"] {
        if let Some(v) = old.pointer(&format!("/metadata/{field}"))
            && let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert(field.into(), v.clone());
        }
    }
    let generation = old.pointer("/metadata/generation").and_then(Value::as_i64);
    let spec_changed = old.get("spec") != new.get("spec");
    if let (Some(g), Some(meta)) = (
        generation,
        new.get_mut("metadata").and_then(Value::as_object_mut),
    ) {
        meta.insert(
            "generation".into(),
            json!(if spec_changed { g + 1 } else { g }),
        );
    }
    if let Some(map) = new.as_object_mut() {
        if status_write {
            // A status write changes only status.
            let status = map.get("status").cloned();
            let mut rebuilt = old.clone();
            if let (Some(status), Some(r)) = (status, rebuilt.as_object_mut()) {
                r.insert("status".into(), status);
            }
            *new = rebuilt;
        } else {
            match old.get("status") {
                Some(status) => {
                    map.insert("status".into(), status.clone());
                }
                None => {
                    map.remove("status");
                }
            }
        }
    }
}

pub fn update(ctx: &Ctx, name: &str, mut body: Value) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    super::objects::check_type(t, &mut body)?;
    if !name_of(&body).is_empty() && name_of(&body) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            name_of(&body)
        )));
    }
    let namespace = ctx.object_namespace();
    let status_write = ctx.path.subresource.as_deref() == Some("status");
    let manager = manager(ctx);
    let before = ctx.state.store.get(ctx.path.resource, &namespace, name);
    let (_, stored) = ctx.state.store.write(
        ctx.path.resource,
        &namespace,
        name,
        ctx.dry_run(),
        |current| {
            let Some(current) = current else {
                return Err(ApiError::not_found(t.group, t.plural, name));
            };
            check_precondition(ctx, &body, current, name)?;
            carry_server_fields(current, &mut body, status_write);
            ownership::record_update(Some(current), &mut body, &manager, &t.api_version());
            Ok(Write::Put(body))
        },
    )?;
    let warnings = pod_security_warnings(ctx, before.as_deref(), &stored);
    Ok(with_warnings(json_response(&stored), &warnings))
}

pub fn patch_object(
    ctx: &Ctx,
    name: &str,
    patch_type: PatchType,
    body: Value,
) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    let namespace = ctx.object_namespace();
    let manager = manager(ctx);
    let force = matches!(ctx.param("force"), "true" | "1");
    if patch_type == PatchType::Apply && ctx.param("fieldManager").is_empty() {
        return Err(ApiError::bad_request(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    let status_write = ctx.path.subresource.as_deref() == Some("status");
    if patch_type == PatchType::Apply {
        check_namespace_exists(ctx, &namespace)?;
    }
    let before = ctx.state.store.get(ctx.path.resource, &namespace, name);
    let (kind, stored) = ctx.state.store.write(
        ctx.path.resource,
        &namespace,
        name,
        ctx.dry_run(),
        |current| {
            let Some(current) = current else {
                if patch_type != PatchType::Apply {
                    return Err(ApiError::not_found(t.group, t.plural, name));
                }
                // Server-side apply creates what does not exist.
                let mut object = body.clone();
                if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.insert("name".into(), json!(name));
                }
                prepare_new(t, &namespace, &mut object, false)?;
                ownership::record_apply_create(&mut object, &manager, &t.api_version());
                return Ok(Write::Put(object));
            };
            check_precondition(ctx, &body, current, name)?;
            let mut next = if patch_type == PatchType::Apply {
                let mut applied = body.clone();
                super::objects::check_type(t, &mut applied)?;
                ownership::apply(current, &applied, &manager, force, &t.api_version()).map_err(
                    |c| {
                        let mut e = ApiError::conflict(t.group, t.plural, name, "");
                        e.message = c.message;
                        if let Some(details) = e.details.as_mut() {
                            details["causes"] = json!(c.causes);
                        }
                        e
                    },
                )?
            } else {
                let mut next = patch(current, patch_type, &body)
                    .map_err(|why| ApiError::new(422, "Invalid", why))?;
                ownership::record_update(Some(current), &mut next, &manager, &t.api_version());
                next
            };
            carry_server_fields(current, &mut next, status_write);
            super::objects::check_type(t, &mut next)?;
            Ok(Write::Put(next))
        },
    )?;
    let warnings = pod_security_warnings(ctx, before.as_deref(), &stored);
    let response = match kind {
        super::store::ChangeKind::Added => created(&stored),
        _ => json_response(&stored),
    };
    Ok(with_warnings(response, &warnings))
}

/// Pod Security admission's warnings for a write to a Namespace that sets or changes its
/// `enforce` level: the pods already there that the new level would refuse.
fn pod_security_warnings(ctx: &Ctx, before: Option<&Value>, after: &Value) -> Vec<String> {
    if ctx.resource_type().kind != "Namespace" {
        return Vec::new();
    }
    let Some(level) = pod_security::level_of(after) else {
        return Vec::new();
    };
    if before.and_then(pod_security::level_of) == Some(level) {
        return Vec::new();
    }
    let Some(pods) = ctx.state.resources.by_kind("v1", "Pod") else {
        return Vec::new();
    };
    let namespace = name_of(after);
    let (pods, _, _) = ctx
        .state
        .store
        .list(pods, Some(namespace), None, None, &|_| true);
    pod_security::warnings(namespace, level, pods.iter().map(|p| p.as_ref()))
}

/// `Warning: 299 - "text"` headers, as the API server sends admission warnings.
fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for text in warnings {
        let value = format!(
            "299 - \"{}\"",
            text.replace('\\', "\\\\").replace('"', "\\\"")
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .append(axum::http::header::WARNING, value);
        }
    }
    response
}

/// Delete one object, and (unless orphaning) its dependents and, for a namespace, its contents.
pub fn delete(ctx: &Ctx, name: &str, options: &Value) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    let namespace = ctx.object_namespace();
    let dry_run = ctx.dry_run()
        || options
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|d| d.iter().any(|v| v == "All"));
    let propagation = options
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .or(match ctx.param("propagationPolicy") {
            "" => None,
            p => Some(p),
        })
        .unwrap_or("Background");
    let (_, gone) = ctx.state.store.write(ctx.path.resource, &namespace, name, dry_run, |current| {
        let Some(current) = current else {
            return Err(ApiError::not_found(t.group, t.plural, name));
        };
        if let Some(wanted) = options.pointer("/preconditions/resourceVersion").and_then(Value::as_str)
            && current.pointer("/metadata/resourceVersion").and_then(Value::as_str) != Some(wanted)
        {
            return Err(ApiError::conflict(t.group, t.plural, name, &format!(
                "Precondition failed: ResourceVersion in precondition: {wanted}, ResourceVersion in object meta: {}",
                current.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default()
            )));
        }
        if let Some(wanted) = options.pointer("/preconditions/uid").and_then(Value::as_str)
            && current.pointer("/metadata/uid").and_then(Value::as_str) != Some(wanted)
        {
            return Err(ApiError::conflict(t.group, t.plural, name, "Precondition failed: UID in precondition does not match"));
        }
        Ok(Write::Delete)
    })?;
    if !dry_run {
        if t.kind == "Namespace" {
            ctx.state.delete_namespace_contents(name);
        } else if propagation != "Orphan" {
            let uid = gone
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default();
            ctx.state.delete_dependents(uid);
        }
    }
    Ok(json_response(&gone))
}

pub fn delete_collection(ctx: &Ctx) -> Result<Response, ApiError> {
    let labels = super::selectors::LabelQuery::parse(ctx.param("labelSelector"))
        .map_err(ApiError::bad_request)?;
    let namespace = (!ctx.path.namespace.is_empty()).then_some(ctx.path.namespace.as_str());
    let (items, _, _) = ctx
        .state
        .store
        .list(ctx.path.resource, namespace, None, None, &|v| {
            labels.matches(&super::selectors::labels_of(v))
        });
    let mut deleted = Vec::new();
    for item in &items {
        let name = name_of(item);
        let ns = namespace_of(item);
        let result =
            ctx.state
                .store
                .write::<ApiError>(ctx.path.resource, ns, name, ctx.dry_run(), |_| {
                    Ok(Write::Delete)
                });
        // An object deleted by someone else since the list comes back as null.
        if let Ok((_, gone)) = result
            && !gone.is_null()
        {
            deleted.push(gone);
        }
    }
    let t = ctx.resource_type();
    Ok(json_response(&json!({
        "kind": t.list_kind,
        "apiVersion": t.api_version(),
        "metadata": {"resourceVersion": ctx.state.store.resource_version().to_string()},
        "items": deleted.iter().map(|d| (**d).clone()).collect::<Vec<_>>(),
    })))
}
