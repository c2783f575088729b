//! `aigov who-can` and `aigov can-i` through the real binary: a table of RBAC cases over a
//! small fixture cluster served by `aigov sim serve --fixture`, cross-checked against the
//! real `kubectl auth can-i` on the same server, and the demo's known answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::{ServedSim, aigov_binary, serve};
use std::process::Stdio;

/// Namespaces, a service account and an aggregated ClusterRole, as YAML; the other roles
/// and bindings come from [`ROLES`] and [`BINDINGS`].
const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: jobs-part, labels: {example.com/aggregate-to-ml: "true"}}
rules: [{apiGroups: [batch], resources: [jobs], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ml-aggregate}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-ml: "true"}}]
rules: []
"#;

/// (namespace, empty for a ClusterRole; name; rules): every matching rule RBAC has.
#[rustfmt::skip]
const ROLES: &[(&str, &str, &str)] = &[
    ("", "configmaps-all-verbs", r#"[{apiGroups: [""], resources: [configmaps], verbs: ["*"]}]"#),
    ("", "deployments-any-group", r#"[{apiGroups: ["*"], resources: [deployments], verbs: [get]}]"#),
    ("ml", "core-reader", r#"[{apiGroups: [""], resources: ["*"], verbs: [get]}]"#),
    ("ml", "exec", r#"[{apiGroups: [""], resources: [pods/exec], verbs: [create]}]"#),
    ("ml", "pods-star", r#"[{apiGroups: [""], resources: ["pods/*"], verbs: [create]}]"#),
    ("", "scaler", r#"[{apiGroups: [apps], resources: ["*/scale"], verbs: [update]}]"#),
    ("ml", "one-secret", r#"[{apiGroups: [""], resources: [secrets], resourceNames: [hf-token], verbs: [get]}]"#),
    ("", "metrics", r#"[{nonResourceURLs: [/metrics, "/logs/*"], verbs: [get]}]"#),
    ("", "health", r#"[{nonResourceURLs: [/healthz, /livez], verbs: [get]}]"#),
    ("", "pod-reader", r#"[{apiGroups: [""], resources: [pods], verbs: [get, list]}]"#),
    ("", "secret-lister", r#"[{apiGroups: [""], resources: [secrets], verbs: [list]}]"#),
    ("", "configmap-reader", r#"[{apiGroups: [""], resources: [configmaps], verbs: [get]}]"#),
    ("ml", "ns-admin", r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]"#),
    ("", "impersonator", r#"[{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}]"#),
];

/// (namespace, empty for a ClusterRoleBinding; name; role kind; role; subjects).
#[rustfmt::skip]
const BINDINGS: &[(&str, &str, &str, &str, &str)] = &[
    ("", "alice-configmaps", "ClusterRole", "configmaps-all-verbs", "[{kind: User, name: alice}]"),
    ("", "carol-deployments", "ClusterRole", "deployments-any-group", "[{kind: User, name: carol}]"),
    ("ml", "dave-core", "Role", "core-reader", "[{kind: User, name: dave}]"),
    ("ml", "interns-exec", "Role", "exec", "[{kind: Group, name: interns}]"),
    ("ml", "sid-pods-star", "Role", "pods-star", "[{kind: User, name: sid}]"),
    ("", "sue-scaler", "ClusterRole", "scaler", "[{kind: User, name: sue}]"),
    ("ml", "ron-one-secret", "Role", "one-secret", "[{kind: User, name: ron}]"),
    ("", "mo-metrics", "ClusterRole", "metrics", "[{kind: User, name: mo}]"),
    ("", "everyone-health", "ClusterRole", "health", r#"[{kind: Group, name: "system:authenticated"}]"#),
    // A ClusterRole through a RoleBinding: that namespace only.
    ("ml", "rita-pods", "ClusterRole", "pod-reader", "[{kind: User, name: rita}]"),
    ("", "ml-team-aggregate", "ClusterRole", "ml-aggregate", "[{kind: Group, name: ml-team}]"),
    // The service account's namespace defaults to the RoleBinding's.
    ("ml", "trainer-secrets", "ClusterRole", "secret-lister", "[{kind: ServiceAccount, name: trainer}]"),
    ("ml", "ml-accounts-configmaps", "ClusterRole", "configmap-reader", r#"[{kind: Group, name: "system:serviceaccounts:ml"}]"#),
    ("ml", "nat-admin", "Role", "ns-admin", "[{kind: User, name: nat}]"),
    ("ml", "mia-dangling", "Role", "does-not-exist", "[{kind: User, name: mia}]"),
    // A subject name with an escape sequence in it.
    ("", "proxy-impersonator", "ClusterRole", "impersonator", r#"[{kind: User, name: imp}, {kind: User, name: "evil\e[2Jname"}]"#),
];

/// The fixture cluster as one multi-document YAML file.
fn fixture_yaml() -> String {
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1";
    let mut docs = vec![FIXTURE.to_string()];
    for (ns, name, rules) in ROLES {
        docs.push(match *ns {
            "" => {
                format!("{rbac}\nkind: ClusterRole\nmetadata: {{name: {name}}}\nrules: {rules}\n")
            }
            ns => format!(
                "{rbac}\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\nrules: {rules}\n"
            ),
        });
    }
    for (ns, name, role_kind, role, subjects) in BINDINGS {
        let (kind, meta) = match *ns {
            "" => ("ClusterRoleBinding", format!("{{name: {name}}}")),
            ns => ("RoleBinding", format!("{{name: {name}, namespace: {ns}}}")),
        };
        docs.push(format!(
            "{rbac}\nkind: {kind}\nmetadata: {meta}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}\n\
             subjects: {subjects}\n"
        ));
    }
    docs.join("---\n")
}

/// One question: `aigov can-i VERB RESOURCE[/SUB] [-n NS] [--name N] --as USER
/// [--as-group G]...`, its answer, and whether kubectl can ask it the same way.
struct Case {
    verb: &'static str,
    resource: &'static str,
    sub: &'static str,
    namespace: &'static str,
    name: &'static str,
    user: &'static str,
    groups: &'static [&'static str],
    want: bool,
    kubectl: bool,
}

// A table row constructor: one argument per column reads best in the table below.
#[allow(clippy::too_many_arguments)]
#[rustfmt::skip]
const fn case(verb: &'static str, resource: &'static str, sub: &'static str, namespace: &'static str, name: &'static str, user: &'static str, groups: &'static [&'static str], want: bool) -> Case {
    Case { verb, resource, sub, namespace, name, user, groups, want, kubectl: true }
}

/// A case kubectl cannot ask the same way (it resolves resources through discovery).
const fn only_aigov(c: Case) -> Case {
    Case {
        kubectl: false,
        ..c
    }
}

const SA: &str = "system:serviceaccount:ml:trainer";

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Verbs: `*` matches every verb, not every resource.
    case("delete", "configmaps", "", "ml", "", "alice", &[], true),
    case("patch", "cm", "", "web", "", "alice", &[], true),
    case("get", "secrets", "", "ml", "", "alice", &[], false),
    // API groups: `*` matches any group; the verb still has to match.
    case("get", "deployments.apps", "", "ml", "", "carol", &[], true),
    only_aigov(case("get", "deployments.kubeflow.org", "", "ml", "", "carol", &[], true)),
    case("list", "deployments.apps", "", "ml", "", "carol", &[], false),
    // Resources: `*` matches every resource and subresource of its group, in its namespace.
    case("get", "secrets", "", "ml", "", "dave", &[], true),
    case("get", "pods", "log", "ml", "", "dave", &[], true),
    case("get", "deployments.apps", "", "ml", "", "dave", &[], false),
    case("get", "secrets", "", "web", "", "dave", &[], false),
    // Subresources: exact match only.
    case("create", "pods", "exec", "ml", "", "x", &["interns"], true),
    case("create", "pods", "", "ml", "", "x", &["interns"], false),
    case("get", "pods", "exec", "ml", "", "x", &["interns"], false),
    case("create", "pods", "attach", "ml", "", "x", &["interns"], false),
    // `pods/*` is not a wildcard; `*/scale` is.
    case("create", "pods", "exec", "ml", "", "sid", &[], false),
    case("update", "deployments.apps", "scale", "ml", "", "sue", &[], true),
    case("update", "statefulsets.apps", "scale", "web", "", "sue", &[], true),
    case("update", "deployments.apps", "", "ml", "", "sue", &[], false),
    // resourceNames: only that name, never a list.
    case("get", "secrets", "", "ml", "hf-token", "ron", &[], true),
    case("get", "secrets", "", "ml", "other", "ron", &[], false),
    case("list", "secrets", "", "ml", "", "ron", &[], false),
    // Non-resource URLs: exact, prefix, verb.
    case("get", "/metrics", "", "", "", "mo", &[], true),
    case("get", "/logs/kubelet.log", "", "", "", "mo", &[], true),
    case("get", "/metricsz", "", "", "", "mo", &[], false),
    case("post", "/metrics", "", "", "", "mo", &[], false),
    case("get", "/healthz", "", "", "", "anyone", &[], true),
    case("get", "/readyz", "", "", "", "anyone", &[], false),
    // A ClusterRole through a RoleBinding applies in that namespace only.
    case("list", "pods", "", "ml", "", "rita", &[], true),
    case("list", "pods", "", "web", "", "rita", &[], false),
    // Aggregated ClusterRoles carry the rules of the roles they select.
    case("create", "jobs.batch", "", "web", "", "x", &["ml-team"], true),
    case("delete", "jobs.batch", "", "web", "", "x", &["ml-team"], false),
    case("create", "jobs.batch", "", "web", "", "x", &[], false),
    // Service accounts: the subject's namespace defaults to the RoleBinding's.
    case("list", "secrets", "", "ml", "", SA, &[], true),
    case("list", "secrets", "", "ml", "", "system:serviceaccount:web:trainer", &[], false),
    case("list", "secrets", "", "web", "", SA, &[], false),
    // The groups of a service account's token.
    case("get", "configmaps", "", "ml", "", "system:serviceaccount:ml:anything", &[], true),
    case("get", "configmaps", "", "ml", "", "not-an-account", &[], false),
    case("get", "configmaps", "", "ml", "", "x", &["system:serviceaccounts:ml"], true),
    // A Role for everything, in one namespace; nothing cluster-scoped.
    case("delete", "deployments.apps", "", "ml", "", "nat", &[], true),
    case("escalate", "roles.rbac.authorization.k8s.io", "", "ml", "", "nat", &[], true),
    case("delete", "deployments.apps", "", "web", "", "nat", &[], false),
    case("get", "nodes", "", "", "", "nat", &[], false),
    // A binding to a role that does not exist grants nothing.
    case("get", "pods", "", "ml", "", "mia", &[], false),
    // Impersonation is a verb like any other.
    case("impersonate", "users", "", "", "", "imp", &[], true),
    case("impersonate", "serviceaccounts", "", "ml", "", "imp", &[], false),
];

fn aigov() -> Command {
    let mut cmd = Command::new(aigov_binary());
    cmd.env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home");
    cmd
}

fn fixture_sim() -> (ServedSim, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rbac.yaml"), fixture_yaml()).unwrap();
    let served = serve(&["--fixture", dir.path().to_str().unwrap()]);
    (served, dir)
}

fn can_i_args(c: &Case) -> Vec<String> {
    let mut args = vec!["can-i".to_string(), c.verb.to_string()];
    args.push(if c.sub.is_empty() {
        c.resource.to_string()
    } else {
        format!("{}/{}", c.resource, c.sub)
    });
    if !c.namespace.is_empty() {
        args.extend(["-n".to_string(), c.namespace.to_string()]);
    }
    if !c.name.is_empty() {
        args.extend(["--name".to_string(), c.name.to_string()]);
    }
    args.extend(["--as".to_string(), c.user.to_string()]);
    for g in c.groups {
        args.extend(["--as-group".to_string(), g.to_string()]);
    }
    args
}

fn kubectl_args(c: &Case) -> Vec<String> {
    let mut args = vec!["auth".to_string(), "can-i".to_string(), c.verb.to_string()];
    args.push(if c.name.is_empty() {
        c.resource.to_string()
    } else {
        format!("{}/{}", c.resource, c.name)
    });
    if !c.sub.is_empty() {
        args.push(format!("--subresource={}", c.sub));
    }
    if !c.namespace.is_empty() {
        args.extend(["-n".to_string(), c.namespace.to_string()]);
    }
    args.push(format!("--as={}", c.user));
    for g in c.groups {
        args.push(format!("--as-group={g}"));
    }
    args
}

/// `check` over every case on a few threads; the failures, in case order.
fn in_parallel(cases: &[&Case], check: impl Fn(&Case) -> Option<String> + Sync) -> Vec<String> {
    let chunk = cases.len().div_ceil(4).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().filter_map(|c| check(c)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

fn describe(c: &Case) -> String {
    can_i_args(c).join(" ")
}

#[test]
fn can_i_agrees_with_rbac_on_every_matching_rule() {
    let (served, _dir) = fixture_sim();
    let cases: Vec<&Case> = CASES.iter().collect();
    let wrong = in_parallel(&cases, |c| {
        let out = aigov()
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .args(can_i_args(c))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let want = if c.want { ("yes", 0) } else { ("no", 1) };
        ((stdout.trim(), out.status.code()) != (want.0, Some(want.1))).then(|| {
            format!(
                "{}: want {}, got {:?} exit {:?} ({})",
                describe(c),
                want.0,
                stdout.trim(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })
    });
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn kubectl_available() -> bool {
    std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn can_i_agrees_with_kubectl_auth_can_i_on_the_same_server() {
    if !kubectl_available() {
        eprintln!(
            "SKIPPED can_i_agrees_with_kubectl_auth_can_i_on_the_same_server: kubectl is not on PATH"
        );
        return;
    }
    let (served, _dir) = fixture_sim();
    let picked: Vec<&Case> = CASES.iter().filter(|c| c.kubectl).collect();
    assert!(picked.len() + 1 >= CASES.len());
    let wrong = in_parallel(&picked, |c| {
        // Each kubectl keeps its discovery cache in its own HOME.
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("kubectl")
            .env("KUBECONFIG", &served.kubeconfig)
            .env("HOME", home.path())
            .args(kubectl_args(c))
            .output()
            .unwrap();
        let answer = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let want = if c.want { "yes" } else { "no" };
        (answer != want).then(|| {
            format!(
                "kubectl {}: want {want}, got {answer:?} ({})",
                kubectl_args(c).join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })
    });
    assert!(wrong.is_empty(), "kubectl disagrees:\n{}", wrong.join("\n"));
}

#[test]
fn can_i_verbose_names_the_binding_role_and_rule() {
    let (served, _dir) = fixture_sim();
    let out = aigov()
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .args([
            "can-i",
            "create",
            "jobs.batch",
            "-n",
            "web",
            "--as",
            "x",
            "--as-group",
            "ml-team",
            "-v",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "yes");
    assert_eq!(
        lines[1],
        "request: create jobs in namespace web (API group \"batch\") as x (groups: ml-team, system:authenticated)"
    );
    assert_eq!(
        lines[3],
        "  ClusterRoleBinding ml-team-aggregate → ClusterRole ml-aggregate (as Group ml-team): verbs [create] on [jobs] in apiGroups [batch]"
    );
    let out = aigov()
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .args(["can-i", "list", "pods", "-n", "web", "--as", "rita", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("no\n"), "{text}");
    assert!(text.contains("no ClusterRoleBinding, nor RoleBinding in namespace web, grants it"));
}

#[test]
fn who_can_lists_subjects_with_bindings_and_sanitises_names() {
    let (served, _dir) = fixture_sim();
    let run = |args: &[&str]| {
        let out = aigov()
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .arg("who-can")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (json, _) = run(&["list", "pods", "-n", "ml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let subjects: Vec<String> = json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    // The simulator's read-only demo user is in every cluster it serves.
    let want = [
        "User/aigov-demo-readonly",
        "User/nat",
        "User/rita",
        "Group/system:masters",
    ];
    assert_eq!(subjects, want);
    let rita = &json["subjects"][2]["grants"][0];
    assert_eq!(rita["binding_kind"], "RoleBinding");
    assert_eq!(rita["binding_name"], "rita-pods");
    assert_eq!(rita["role_kind"], "ClusterRole");
    assert_eq!(rita["rule"]["verbs"], serde_json::json!(["get", "list"]));
    // In another namespace the RoleBinding does not apply.
    let (web, _) = run(&["list", "pods", "-n", "web"]);
    assert!(
        !web.contains("rita") && web.contains("Group system:masters (system)"),
        "{web}"
    );
    // Aggregation, and the hostile subject name made visible rather than obeyed.
    let (jobs, _) = run(&["create", "jobs.batch", "-n", "web"]);
    assert!(
        jobs.contains("Group ml-team") && jobs.contains("ClusterRole ml-aggregate"),
        "{jobs}"
    );
    let (imp, _) = run(&["impersonate", "users"]);
    assert!(imp.contains("User imp"), "{imp}");
    assert!(!imp.contains('\u{1b}'), "{imp:?}");
    assert!(imp.contains("evil"), "{imp}");
    // An unknown resource is assumed to be in the core group, with a note on stderr.
    let (table, notes) = run(&["get", "widgets", "-n", "ml"]);
    assert!(notes.contains("unknown resource \"widgets\""), "{notes}");
    assert!(
        table.contains("User dave"),
        "the core `*` role covers it: {table}"
    );
}

#[test]
fn bad_requests_are_one_line_errors_with_exit_2() {
    for args in [
        vec!["who-can", "get", "pods/exec/x"],
        vec!["can-i", "get", "pods", "--as", "system:serviceaccount:ml"],
        vec!["can-i", "get list", "pods", "--as", "x"],
    ] {
        let out = aigov().arg("--demo").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("aigov: "), "{stderr}");
    }
}

#[test]
fn the_demo_answers_what_the_demo_was_built_to_show() {
    // Interns can exec into training pods; the read-only user cannot list secrets.
    let yes = aigov()
        .args([
            "--demo",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "ml-training",
        ])
        .args(["--as", "new.intern@example.com", "--as-group", "interns"])
        .output()
        .unwrap();
    assert_eq!(
        (
            String::from_utf8_lossy(&yes.stdout).trim(),
            yes.status.code()
        ),
        ("yes", Some(0))
    );
    let served = serve(&[]);
    let ask = |args: &[&str]| {
        let out = aigov()
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .args(args)
            .output()
            .unwrap();
        (String::from_utf8(out.stdout).unwrap(), out.status.code())
    };
    let (no, code) = ask(&[
        "can-i",
        "list",
        "secrets",
        "-n",
        "ml-training",
        "--as",
        "aigov-demo-readonly",
    ]);
    assert_eq!((no.trim(), code), ("no", Some(1)));
    let (sa, code) = ask(&[
        "can-i",
        "get",
        "secrets",
        "-n",
        "ml-training",
        "--as",
        "system:serviceaccount:ml-training:default",
        "-v",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        sa.contains("RoleBinding ml-training/default-secret-reader → Role secret-reader"),
        "{sa}"
    );
    let (admin, code) = ask(&["can-i", "*", "*", "--as", "x", "--as-group", "ml-engineers"]);
    assert_eq!((admin.trim(), code), ("yes", Some(0)));
    let (json, code) = ask(&[
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "ml-training",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for want in [
        "interns",
        "sam.intern@example.com",
        "pipeline-runner",
        "ml-engineers",
        "default-editor",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(!names.contains(&"aigov-demo-readonly"));
    let interns = json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "interns")
        .unwrap();
    let bindings: Vec<&str> = interns["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["binding_name"].as_str().unwrap())
        .collect();
    assert_eq!(bindings, ["interns-pod-debugger", "summer-interns-edit"]);
}
