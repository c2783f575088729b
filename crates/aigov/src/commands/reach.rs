//! `aigov reach pvc/NAME -n NS`: who can reach one volume's data, and the path for each.

use super::{Outcome, print};
use crate::cli::ReachArgs;
use crate::engine::Error;
use crate::engine::analysis::load_snapshot;
use crate::engine::analysis::refuse_if_nothing_was_read;
use crate::report::{Format, reach as report};
use crate::settings::Settings;
use aigov_core::model::{Coverage, Kind, Snapshot};
use aigov_core::rules::View;
use aigov_core::rules::reach::reach_of;
use aigov_core::sanitize::sanitize;

/// PVC names listed in the "not found" error before "...".
const LISTED: usize = 8;

pub async fn run(settings: &Settings, args: &ReachArgs) -> Result<Outcome, Error> {
    let name = parse_target(&args.target)?;
    let namespace = args.namespace.as_str();
    let (_session, snapshot) = load_snapshot(settings).await?;
    refuse_if_nothing_was_read(&snapshot)?;
    let view = View::new(&snapshot, &settings.rules);
    let Some(reach) = reach_of(&view, namespace, name) else {
        return Err(not_found(&snapshot, namespace, name));
    };
    let class = reach.storage_class.and_then(|c| view.storage_class(c));
    let report = report::build(&snapshot.origin.context, &reach, class, &settings.rules);
    match args.format {
        Format::Table => print(&report::to_table(&report)),
        Format::Json => print(&(report::to_json(&report) + "\n")),
    }
    Ok(Outcome::Yes)
}

/// `pvc/NAME` (or `persistentvolumeclaim/NAME`, `persistentvolumeclaims/NAME`) -> NAME.
pub fn parse_target(target: &str) -> Result<&str, Error> {
    let usage = || {
        Error::Usage(format!(
            "expected pvc/NAME, got {:?}: reach takes a PersistentVolumeClaim, e.g. `aigov reach pvc/imagenet-2012 -n ml-training`",
            sanitize(target)
        ))
    };
    let (kind, name) = target.split_once('/').ok_or_else(usage)?;
    let kind_ok = matches!(
        kind.to_ascii_lowercase().as_str(),
        "pvc" | "persistentvolumeclaim" | "persistentvolumeclaims"
    );
    if !kind_ok || name.is_empty() || name.contains('/') {
        return Err(usage());
    }
    Ok(name)
}

/// One line naming the namespace and listing a few of its PVCs, or saying why none are known.
fn not_found(snapshot: &Snapshot, namespace: &str, name: &str) -> Error {
    let ns = sanitize(namespace);
    let pvc = sanitize(name);
    let coverage = snapshot.coverage.get(&Kind::PersistentVolumeClaim);
    if !coverage.is_some_and(|c| c.is_known_in(namespace)) {
        let reason = match coverage {
            Some(Coverage::Unknown { reason }) => sanitize(reason).into_owned(),
            Some(Coverage::Partial { unknown_namespaces }) => unknown_namespaces
                .get(namespace)
                .map_or_else(|| "not read".into(), |r| sanitize(r).into_owned()),
            _ => "not read".into(),
        };
        return Error::Usage(format!(
            "PVC {pvc:?} cannot be looked up: PersistentVolumeClaims in namespace {ns:?} could not be read ({reason})"
        ));
    }
    let namespace_known = snapshot
        .coverage
        .get(&Kind::Namespace)
        .is_some_and(|c| c.is_complete());
    if namespace_known && !snapshot.namespaces.iter().any(|n| n.meta.name == namespace) {
        let mut names: Vec<String> = snapshot
            .namespaces
            .iter()
            .map(|n| sanitize(&n.meta.name).into_owned())
            .collect();
        names.sort();
        return Error::Usage(format!(
            "namespace {ns:?} does not exist (namespaces: {})",
            list(&names)
        ));
    }
    let mut names: Vec<String> = snapshot
        .pvcs
        .iter()
        .filter(|c| c.meta.namespace == namespace)
        .map(|c| sanitize(&c.meta.name).into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        return Error::Usage(format!(
            "PVC {pvc:?} not found: namespace {ns:?} has no PersistentVolumeClaims"
        ));
    }
    Error::Usage(format!(
        "PVC {pvc:?} not found in namespace {ns:?} (PVCs there: {})",
        list(&names)
    ))
}

fn list(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().take(LISTED).map(String::as_str).collect();
    let more;
    if names.len() > LISTED {
        more = format!("and {} more", names.len() - LISTED);
        shown.push(&more);
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_name_a_claim() {
        assert_eq!(parse_target("pvc/imagenet-2012").unwrap(), "imagenet-2012");
        assert_eq!(parse_target("PersistentVolumeClaim/x").unwrap(), "x");
        assert_eq!(parse_target("persistentvolumeclaims/x").unwrap(), "x");
        for bad in ["imagenet-2012", "pod/x", "pvc/", "pvc/a/b", "pv/x"] {
            let err = parse_target(bad).unwrap_err().to_string();
            assert!(err.contains("expected pvc/NAME"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_long_list_of_names_is_cut_short() {
        let names: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        assert_eq!(list(&names), "c0, c1, c2, c3, c4, c5, c6, c7, and 2 more");
        assert_eq!(list(&names[..2]), "c0, c1");
    }
}
