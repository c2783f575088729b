//! The catalog entries of the RBAC rules (AIGOV-RBAC-001..010).

use crate::rules::catalog::{Planner, Remedy, RuleInfo};
use crate::rules::finding::{Area, Severity};

pub static SECRETS_READ: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-001",
    area: Area::Rbac,
    severity: Severity::High,
    title: "Subject can read Secrets in an AI namespace",
    checks: "Every RoleBinding in an AI namespace and every ClusterRoleBinding whose effective rules (aggregation and wildcards included) allow get, list or watch on secrets. Critical when the subject is a broad group (system:authenticated, system:serviceaccounts, system:serviceaccounts:NS); info for subjects Kubernetes itself needs. Roles that allow everything are reported by RBAC-004/007 instead.",
    why: "AI namespaces keep model-hub tokens (HF_TOKEN), object-store credentials for datasets and checkpoints, and registry pull secrets in Secrets; whoever can read them can copy the training data and the model weights from outside the cluster.",
    fix: "Remove the subject from the binding, replace a ClusterRoleBinding with RoleBindings in the namespaces that need it, or narrow the role to named Secrets (resourceNames) or to no Secrets at all.",
    false_positives: "Controllers that must read Secrets (an operator mounting credentials into the pods it creates) show up too; a rule limited by resourceNames is still reported, with the names in the evidence.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static POD_EXEC: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-002",
    area: Area::Rbac,
    severity: Severity::High,
    title: "Subject can exec, attach or port-forward into pods in an AI namespace",
    checks: "Bindings that apply in an AI namespace and allow create (or get) on pods/exec, pods/attach or pods/portforward. Critical for a broad group; medium when only get is granted; info for subjects Kubernetes itself needs.",
    why: "A shell in a training or inference pod reads everything the pod mounts (datasets, checkpoints, model weights), its environment (tokens) and its service account token, bypassing every control on the data itself.",
    fix: "Remove the subject from the binding or drop pods/exec, pods/attach and pods/portforward from the role; give debugging access through a time-limited, audited path instead.",
    false_positives: "A rule granting only get on pods/exec lets websocket exec through on API servers before 1.31 (or with AuthorizePodWebsocketUpgradeCreatePermission off), which is why it is still reported, at medium.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static POD_CREATE: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-003",
    area: Area::Rbac,
    severity: Severity::Medium,
    title: "Subject can create pods or pod-creating workloads in an AI namespace",
    checks: "Bindings that apply in an AI namespace and allow create on pods, replicationcontrollers, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs or the AI custom resources that start pods (Notebook, PyTorchJob, InferenceService, RayCluster, ...), or update/patch on those workloads. High when AI workloads there mount PersistentVolumeClaims, raised one step more for a broad group.",
    why: "Whoever can create a pod in a namespace can mount any PersistentVolumeClaim there (datasets, checkpoints, weights) and run as any service account there, so they inherit all of its data access and permissions.",
    fix: "Remove the subject from the binding, or narrow the role to the workload kinds it needs; let a deployment pipeline, not people, create workloads in AI namespaces.",
    false_positives: "Operators and CI service accounts need this; they are still listed because a compromised pipeline reaches all data in the namespace. Admission policies that restrict volumes and service accounts reduce the risk but are not evaluated here.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static WILDCARD: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-004",
    area: Area::Rbac,
    severity: Severity::High,
    title: "Binding grants wildcard permissions",
    checks: "Bindings whose role has a rule with `*` in verbs, resources (including `*/subresource`) or apiGroups, per binding and subject. Critical through a ClusterRoleBinding, high through a RoleBinding in an AI namespace, medium in other namespaces; raised one step for a broad group; info for subjects Kubernetes itself needs.",
    why: "A wildcard grants every verb, resource or API group that exists now and every one added later (new CRDs for model registries, feature stores or serving), so the grant silently grows with the cluster.",
    fix: "Narrow the role to the verbs, resources and API groups it needs, or remove the subject from the binding.",
    false_positives: "cluster-admin itself is a wildcard role: binding it is reported here and, for service accounts and groups, by RBAC-007 as well.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static ESCALATION: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-005",
    area: Area::Rbac,
    severity: Severity::Critical,
    title: "Subject can escalate, bind or impersonate",
    checks: "Bindings whose role allows escalate or bind on roles or clusterroles, or impersonate on users, groups, serviceaccounts, uids or userextras (explicitly or through a `*` verb). Through a RoleBinding only what is namespaced counts (bind/escalate there, impersonating its service accounts): high in an AI namespace, medium elsewhere; one step lower when resourceNames restrict it, one step higher for a broad group. Roles that allow everything are reported by RBAC-004/007 instead.",
    why: "escalate and bind let a subject grant itself permissions it does not hold, and impersonate lets it act as any user or service account; each is a path to everything in the AI namespaces, the data included.",
    fix: "Remove the subject from the binding or drop the escalate, bind and impersonate verbs from the role; a gateway that must impersonate should be limited by resourceNames.",
    false_positives: "Kubernetes' own edit and admin roles allow impersonating service accounts and so are reported for every binding of them in an AI namespace; that is a real privilege of those roles.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static TOKEN_CREATE: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-006",
    area: Area::Rbac,
    severity: Severity::High,
    title: "Subject can create service account tokens",
    checks: "Bindings whose role allows create on serviceaccounts/token. High cluster-wide or in an AI namespace, medium elsewhere; raised one step for a broad group; info for subjects Kubernetes itself needs. Roles that allow everything are reported by RBAC-004/007 instead.",
    why: "Minting a token for a service account is acting as it from anywhere, for as long as the token lives: every permission and every data path of the AI workloads' service accounts becomes the subject's.",
    fix: "Remove the subject from the binding or drop serviceaccounts/token from the role; restrict it with resourceNames to the accounts that must be minted.",
    false_positives: "Token brokers (CI federation, pipeline runners) need it; limit them by resourceNames and namespace.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static CLUSTER_ADMIN: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-007",
    area: Area::Rbac,
    severity: Severity::Critical,
    title: "cluster-admin (or an equivalent) bound to a service account or a group",
    checks: "Bindings of a role that allows `*` verbs on `*` resources in `*` API groups (cluster-admin or a hand-written equivalent) to a ServiceAccount or a Group. Critical through a ClusterRoleBinding; high through a RoleBinding in an AI namespace (the namespace only), medium elsewhere; raised one step for a broad group; info for subjects Kubernetes itself needs (system:masters).",
    why: "A service account's token sits in every pod that runs as it and a group grows without review; either way one compromised notebook or one more group member owns the cluster and all AI data on it.",
    fix: "Remove the subject from the binding and grant a narrow role instead; replace a ClusterRoleBinding with RoleBindings in the namespaces that need it.",
    false_positives: "Break-glass groups exist by design; keep them empty and audited. Users bound to cluster-admin are reported by RBAC-004.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static MISSING_SUBJECT: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-008",
    area: Area::Rbac,
    severity: Severity::Medium,
    title: "Binding names a service account that does not exist",
    checks: "ServiceAccount subjects whose namespace or service account is absent, where ServiceAccounts were read there, and ServiceAccount subjects of a ClusterRoleBinding without a namespace (they match nobody). Incomplete where ServiceAccounts could not be read; info for subjects Kubernetes itself needs.",
    why: "Whoever later creates that namespace or service account (a new team, a restored notebook) silently inherits the grant, including access to AI data.",
    fix: "Remove the subject from the binding, or delete the binding when it is its only subject.",
    false_positives: "A service account about to be created by a deployment that is still rolling out.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static DEFAULT_ACCOUNT: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-009",
    area: Area::Rbac,
    severity: Severity::Medium,
    title: "The default service account of an AI namespace has bindings or an automounted token",
    checks: "In each AI namespace: bindings naming the `default` ServiceAccount (path `bindings`), and AI workloads that run as `default` with its token automounted (path `automount`; the pod's setting wins over the service account's). The automount finding is high when the account also has bindings.",
    why: "Every pod that names no service account runs as `default`, so permissions given to it reach every workload in the namespace, and an automounted token hands them to any code in those pods, such as a notebook user's.",
    fix: "Give workloads their own service accounts, remove `default` from bindings, and set automountServiceAccountToken: false on the default ServiceAccount or the pod templates.",
    false_positives: "A namespace with a single workload that truly needs the API; it should still use a named account.",
    remedy: Remedy::Plan(Planner::DefaultAccount),
};

pub static CONFIG_WRITE: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-010",
    area: Area::Rbac,
    severity: Severity::Medium,
    title: "Subject can modify ConfigMaps that AI workloads use",
    checks: "ConfigMaps AI workloads reference (volumes, projected volumes, envFrom, configMapKeyRef), and the bindings that allow update, patch or delete on them (resourceNames honoured), or create where the ConfigMap is missing. Raised one step for a broad group; info for subjects Kubernetes itself needs. Roles that allow everything are reported by RBAC-004/007 instead.",
    why: "Model configuration (model ids, endpoints, sampling and safety settings, feature definitions) lives in ConfigMaps; changing one changes what the model serves or trains on at the next restart, with no image change to review.",
    fix: "Remove the subject from the binding or narrow the role to read-only on ConfigMaps; manage AI configuration through GitOps.",
    false_positives: "The GitOps controller that owns the ConfigMaps is reported too; that is the one expected writer.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

pub static RULES: &[&RuleInfo] = &[
    &SECRETS_READ,
    &POD_EXEC,
    &POD_CREATE,
    &WILDCARD,
    &ESCALATION,
    &TOKEN_CREATE,
    &CLUSTER_ADMIN,
    &MISSING_SUBJECT,
    &DEFAULT_ACCOUNT,
    &CONFIG_WRITE,
];
