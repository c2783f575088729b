//! Pod Security admission's warnings when a namespace's `enforce` label changes: the API server
//! checks the pods already in the namespace against the new level and answers (dry run or
//! not) with `Warning` headers, first `existing pods in namespace "ns" violate the new
//! PodSecurity enforce level "baseline:latest"`, then one per pod listing its violations. Only
//! the checks the demo platform exercises are implemented; each is named as the server names it.

use serde_json::Value;

pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Capabilities the baseline level allows a container to add.
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The enforce level of a namespace object, if it has one.
pub fn level_of(namespace: &Value) -> Option<&str> {
    namespace
        .pointer("/metadata/labels")
        .and_then(|l| l.get(ENFORCE))
        .and_then(Value::as_str)
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .filter_map(|k| pod.pointer(&format!("/spec/{k}")).and_then(Value::as_array))
        .flatten()
}

fn flag(value: &Value, pointer: &str) -> Option<bool> {
    value.pointer(pointer).and_then(Value::as_bool)
}

/// What `pod` violates at `level` (`baseline` or `restricted`), in the server's words.
pub fn violations(pod: &Value, level: &str) -> Vec<String> {
    let restricted = level == "restricted";
    if !restricted && level != "baseline" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (field, name) in [
        ("/spec/hostNetwork", "hostNetwork=true"),
        ("/spec/hostPID", "hostPID=true"),
        ("/spec/hostIPC", "hostIPC=true"),
    ] {
        if flag(pod, field) == Some(true) {
            out.push(format!("host namespaces ({name})"));
        }
    }
    let privileged: Vec<&str> = containers(pod)
        .filter(|c| flag(c, "/securityContext/privileged") == Some(true))
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    if !privileged.is_empty() {
        out.push(format!(
            "privileged (containers {:?} must not set securityContext.privileged=true)",
            privileged
        ));
    }
    let host_paths: Vec<&str> = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("hostPath").is_some())
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    if !host_paths.is_empty() {
        out.push(format!("hostPath volumes (volumes {host_paths:?})"));
    }
    let added: Vec<&str> = containers(pod)
        .filter_map(|c| {
            c.pointer("/securityContext/capabilities/add")
                .and_then(Value::as_array)
        })
        .flatten()
        .filter_map(Value::as_str)
        .filter(|cap| !BASELINE_CAPABILITIES.contains(cap))
        .collect();
    if !added.is_empty() {
        out.push(format!("non-default capabilities (capabilities {added:?})"));
    }
    if restricted {
        let pod_non_root = flag(pod, "/spec/securityContext/runAsNonRoot") == Some(true);
        let pod_seccomp = pod
            .pointer("/spec/securityContext/seccompProfile/type")
            .is_some();
        let mut escalation = false;
        let mut capabilities = false;
        let mut non_root = false;
        let mut seccomp = false;
        for c in containers(pod) {
            escalation |= flag(c, "/securityContext/allowPrivilegeEscalation") != Some(false);
            let drops_all = c
                .pointer("/securityContext/capabilities/drop")
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|x| x == "ALL"));
            capabilities |= !drops_all;
            non_root |= !pod_non_root && flag(c, "/securityContext/runAsNonRoot") != Some(true);
            seccomp |= !pod_seccomp && c.pointer("/securityContext/seccompProfile/type").is_none();
        }
        for (violated, name) in [
            (escalation, "allowPrivilegeEscalation != false"),
            (capabilities, "unrestricted capabilities"),
            (non_root, "runAsNonRoot != true"),
            (seccomp, "seccompProfile"),
        ] {
            if violated {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The warnings for labelling `namespace` with `level`, given the pods in it. Empty when
/// every pod complies.
pub fn warnings<'a>(
    namespace: &str,
    level: &str,
    pods: impl Iterator<Item = &'a Value>,
) -> Vec<String> {
    let mut per_pod: Vec<String> = pods
        .filter_map(|pod| {
            let found = violations(pod, level);
            let name = pod.pointer("/metadata/name").and_then(Value::as_str)?;
            (!found.is_empty()).then(|| format!("{name}: {}", found.join(", ")))
        })
        .collect();
    if per_pod.is_empty() {
        return Vec::new();
    }
    per_pod.sort();
    let mut out = vec![format!(
        "existing pods in namespace \"{namespace}\" violate the new PodSecurity enforce level \"{level}:latest\""
    )];
    out.extend(per_pod);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn baseline_flags_host_access_and_privilege_restricted_adds_hardening() {
        let pod = json!({
            "metadata": {"name": "trainer"},
            "spec": {
                "hostNetwork": true,
                "volumes": [{"name": "scratch", "hostPath": {"path": "/mnt/nvme"}}],
                "containers": [{"name": "t", "securityContext": {"privileged": true}}]
            }
        });
        let baseline = violations(&pod, "baseline");
        assert_eq!(baseline.len(), 3, "{baseline:?}");
        assert!(baseline[0].starts_with("host namespaces (hostNetwork=true)"));
        let restricted = violations(&pod, "restricted");
        assert!(restricted.contains(&"runAsNonRoot != true".to_string()));
        assert!(restricted.contains(&"seccompProfile".to_string()));

        let hardened = json!({
            "metadata": {"name": "ok"},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "c", "securityContext": {
                    "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
            }
        });
        assert!(violations(&hardened, "restricted").is_empty());
        assert!(violations(&pod, "privileged").is_empty());

        let w = warnings("ml", "baseline", [&pod, &hardened].into_iter());
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0],
            "existing pods in namespace \"ml\" violate the new PodSecurity enforce level \"baseline:latest\""
        );
        assert!(w[1].starts_with("trainer: host namespaces"));
    }
}
