//! `aigov who-can VERB RESOURCE[/SUBRESOURCE] [-n NS] [--name NAME]`: every subject granted
//! a request, with the binding, role and rule that grant it, like kubectl-who-can.

use super::{Outcome, print};
use crate::cli::WhoCanArgs;
use crate::engine::Error;
use crate::engine::access::{load_rbac, parse_target, unreadable};
use crate::report::Format;
use crate::report::access;
use crate::settings::Settings;
use aigov_core::rules::rbac::{RbacIndex, Request};

pub async fn run(settings: &Settings, args: &WhoCanArgs) -> Result<Outcome, Error> {
    let mut target = parse_target(
        &args.verb,
        &args.resource,
        args.namespace.as_deref(),
        args.name.as_deref(),
    )?;
    if args.namespace.is_none()
        && !args.all_namespaces
        && target.namespaced != Some(false)
        && !matches!(target.request, Request::NonResource { .. })
    {
        target
            .notes
            .push("no namespace given: only ClusterRoleBindings are considered; add -n NAMESPACE for RoleBindings too".into());
    }
    let (_session, snapshot) = load_rbac(settings).await?;
    let index = RbacIndex::new(&snapshot.roles, &snapshot.bindings);
    let grants = index.who_can(&target.request);
    let incomplete = unreadable(&snapshot, target.request.namespace());
    let answer = access::who_can(
        &target.request,
        &grants,
        &settings.rules,
        &target.notes,
        &incomplete,
    );
    match args.format {
        Format::Table => {
            for line in target.notes.iter().chain(&incomplete) {
                eprintln!("note: {}", aigov_core::sanitize::sanitize(line));
            }
            print(&access::who_can_table(&answer));
        }
        Format::Json => print(&(access::to_json(&answer) + "\n")),
    }
    Ok(Outcome::Yes)
}
