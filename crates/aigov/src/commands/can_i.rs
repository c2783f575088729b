//! `aigov can-i VERB RESOURCE[/SUB] [-n NS] [--name N] --as USER [--as-group G]... [-v]`:
//! `yes` (exit 0) or `no` (exit 1) by Kubernetes RBAC semantics, evaluated locally over the
//! cluster's roles and bindings; `-v` names the bindings, roles and rules that grant it.

use super::{Outcome, print};
use crate::cli::CanIArgs;
use crate::engine::Error;
use crate::engine::access::{load_rbac, parse_target, unreadable};
use crate::report::access;
use crate::settings::Settings;
use aigov_core::rules::rbac::{RbacIndex, Request, UserInfo};

const AUTHENTICATED: &str = "system:authenticated";

/// The user the question is about: the name, `system:authenticated`, the groups the API
/// server gives a service account's token, and the extra groups, without repeats.
pub fn user_info(username: &str, extra_groups: &[String]) -> Result<UserInfo, Error> {
    let username = username.trim();
    if username.is_empty() {
        return Err(Error::Usage(
            "--as needs a user name, or system:serviceaccount:NAMESPACE:NAME for a service account"
                .into(),
        ));
    }
    let mut user = match username.strip_prefix("system:serviceaccount:") {
        Some(rest) => match rest.split_once(':') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains(':') => {
                UserInfo::for_service_account(ns, name)
            }
            _ => {
                return Err(Error::Usage(format!(
                    "{username:?} is not a service account user name: write system:serviceaccount:NAMESPACE:NAME"
                )));
            }
        },
        None => UserInfo::new(username, &[]),
    };
    for group in extra_groups
        .iter()
        .map(String::as_str)
        .chain([AUTHENTICATED])
    {
        let group = group.trim();
        if !group.is_empty() && !user.groups.iter().any(|g| g == group) {
            user.groups.push(group.to_string());
        }
    }
    Ok(user)
}

pub async fn run(settings: &Settings, args: &CanIArgs) -> Result<Outcome, Error> {
    let user = user_info(&args.as_user, &args.as_groups)?;
    let mut target = parse_target(
        &args.verb,
        &args.resource,
        args.namespace.as_deref(),
        args.name.as_deref(),
    )?;
    let (session, snapshot) = load_rbac(settings).await?;
    // As kubectl does, a namespaced (or unknown) resource without -n is asked about in the
    // context's namespace.
    if args.namespace.is_none()
        && !args.all_namespaces
        && target.namespaced != Some(false)
        && let Request::Resource { namespace, .. } = &mut target.request
    {
        *namespace = session.connection.client.default_namespace().to_string();
    }
    for note in &target.notes {
        eprintln!("note: {}", aigov_core::sanitize::sanitize(note));
    }
    let index = RbacIndex::new(&snapshot.roles, &snapshot.bindings);
    let decision = index.authorize(&user, &target.request);
    if !decision.allowed {
        // RBAC only adds permissions: a yes stands whatever was unreadable, a no does not.
        let missing = unreadable(&snapshot, target.request.namespace());
        if !missing.is_empty() {
            return Err(Error::Usage(format!(
                "cannot answer no: {}; the answer may be yes (ask with a context that can read RBAC)",
                missing.join(", ")
            )));
        }
    }
    print(&access::can_i_text(
        &user,
        &target.request,
        &decision,
        args.verbose,
    ));
    Ok(if decision.allowed {
        Outcome::Yes
    } else {
        Outcome::No
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_get_system_authenticated_and_service_accounts_their_groups() {
        let alice = user_info("alice", &["ml".into(), "ml".into()]).unwrap();
        assert_eq!(alice.username, "alice");
        assert_eq!(alice.groups, ["ml", "system:authenticated"]);
        let sa = user_info("system:serviceaccount:ml-training:trainer", &[]).unwrap();
        assert_eq!(sa.username, "system:serviceaccount:ml-training:trainer");
        assert_eq!(
            sa.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ml-training",
                "system:authenticated"
            ]
        );
    }

    #[test]
    fn malformed_users_are_usage_errors() {
        for name in [
            "",
            "  ",
            "system:serviceaccount:ml",
            "system:serviceaccount::x",
            "system:serviceaccount:a:b:c",
        ] {
            assert!(
                matches!(user_info(name, &[]), Err(Error::Usage(_))),
                "{name:?}"
            );
        }
    }
}
