//! The reach engine: where each claim is mounted, indexed once, and who can take each way to
//! it, asked of the RBAC index once per question.
//!
//! RBAC answers are cached per (verb, resource, subresource, namespace, name), and a name
//! only counts when some rule lists it in `resourceNames`: every other pod, claim or service
//! account of a namespace shares one answer, so the cost grows with namespaces, not pods.
//! Grants are interned, so the paths of every volume share them instead of copying them.

use super::paths::{DataKind, How, Mount, ReachPath, UnitRef, Via, VolumeReach, data_kind};
use crate::model::Kind;
use crate::model::objects::PersistentVolumeClaim;
use crate::model::rbac::{PolicyRule, Subject};
use crate::model::workloads::{Pod, PodSpec, Volume, VolumeSource};
use crate::rules::rbac::{Grant, Request};
use crate::rules::view::{Unit, View};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

/// A pod volume that refers to a claim, in one unit.
struct MountSite<'a> {
    unit: usize,
    /// The spec that declares the volume (the template, or a pod's own).
    spec: &'a PodSpec,
    volume: &'a Volume,
    /// `None`: every pod of the unit (the template declares it).
    pods: Option<Vec<&'a Pod>>,
}

type Sites<'a> = HashMap<&'a str, HashMap<&'a str, Vec<MountSite<'a>>>>;

/// (verb, resource, subresource, namespace, name): borrowed, so a hit allocates nothing.
type CacheKey<'a> = (&'static str, &'static str, &'static str, &'a str, &'a str);

/// What makes two grants the same: binding, role, rule and subject.
type GrantKey = (&'static str, String, String, String, PolicyRule, Subject);

/// Pod-creating kinds: (kind, API group, resource).
const POD_CREATORS: [(&str, &str, &str); 12] = [
    ("Deployment", "apps", "deployments"),
    ("StatefulSet", "apps", "statefulsets"),
    ("DaemonSet", "apps", "daemonsets"),
    ("ReplicaSet", "apps", "replicasets"),
    ("ReplicationController", "", "replicationcontrollers"),
    ("Job", "batch", "jobs"),
    ("CronJob", "batch", "cronjobs"),
    ("Notebook", "kubeflow.org", "notebooks"),
    ("PyTorchJob", "kubeflow.org", "pytorchjobs"),
    ("TFJob", "kubeflow.org", "tfjobs"),
    ("RayCluster", "ray.io", "rayclusters"),
    ("RayJob", "ray.io", "rayjobs"),
];

const CLAIM_VERBS: [&str; 4] = ["get", "update", "patch", "delete"];

/// (API group, resource, subresource) the engine asks about.
type Target = (&'static str, &'static str, &'static str);
const PODS: Target = ("", "pods", "");
const EXEC: Target = ("", "pods", "exec");
const ATTACH: Target = ("", "pods", "attach");
const SERVICE_ACCOUNTS: Target = ("", "serviceaccounts", "");
const TOKENS: Target = ("", "serviceaccounts", "token");
const CLAIMS: Target = ("", "persistentvolumeclaims", "");
const VOLUMES: Target = ("", "persistentvolumes", "");

/// Everything the engine asks RBAC about, as (verbs, target). A rule that grants none of it
/// cannot change data reach (the incremental evaluator reads this to know when to widen).
pub(crate) fn questions() -> Vec<(&'static [&'static str], Target)> {
    let mut questions: Vec<(&'static [&'static str], Target)> = vec![
        (&["create"], PODS),
        (&["create"], EXEC),
        (&["create"], ATTACH),
        (&["impersonate"], SERVICE_ACCOUNTS),
        (&["create"], TOKENS),
        (&CLAIM_VERBS, CLAIMS),
        (&CLAIM_VERBS, VOLUMES),
    ];
    questions.extend(
        POD_CREATORS
            .iter()
            .map(|&(_, group, resource)| (&["create"][..], (group, resource, ""))),
    );
    questions
}

/// A name no Kubernetes object can have: asks RBAC about "some object that no
/// `resourceNames` lists", which is the answer for every unlisted name at once.
const UNLISTED: &str = "\u{0}unlisted";

/// The reach engine: mounts indexed once, RBAC answers cached.
pub struct Reach<'v, 'a> {
    view: &'v View<'a>,
    /// namespace -> claim -> where it is mounted.
    sites: Sites<'a>,
    listed_names: HashSet<&'a str>,
    cache: HashMap<CacheKey<'a>, Rc<[Arc<Grant>]>>,
    grants: HashMap<GrantKey, Arc<Grant>>,
}

impl<'v, 'a> Reach<'v, 'a> {
    pub fn new(view: &'v View<'a>) -> Self {
        let listed_names = view
            .snapshot
            .roles
            .iter()
            .flat_map(|r| r.rules.iter())
            .flat_map(|r| r.resource_names.iter())
            .map(String::as_str)
            .collect();
        Self {
            sites: index_sites(&view.units),
            view,
            listed_names,
            cache: HashMap::new(),
            grants: HashMap::new(),
        }
    }

    /// Labelled as data, or mounted by an AI workload.
    pub fn is_sensitive(&self, claim: &PersistentVolumeClaim) -> bool {
        data_kind(self.view, claim).is_some()
            || self
                .sites_of(&claim.meta.namespace, &claim.meta.name)
                .iter()
                .any(|s| self.view.units[s.unit].is_ai())
    }

    fn sites_of(&self, namespace: &str, claim: &str) -> &[MountSite<'a>] {
        self.sites
            .get(namespace)
            .and_then(|claims| claims.get(claim))
            .map_or(&[], Vec::as_slice)
    }

    fn pods_of<'s>(&'s self, site: &'s MountSite<'a>) -> &'s [&'a Pod] {
        match &site.pods {
            Some(pods) => pods,
            None => &self.view.units[site.unit].pods,
        }
    }

    /// Who can do `verb` on `resource/sub` in `namespace` to the object `name`
    /// (empty for requests without a name, such as create).
    fn who(
        &mut self,
        verb: &'static str,
        (group, resource, sub): Target,
        namespace: &'a str,
        name: &'a str,
    ) -> Rc<[Arc<Grant>]> {
        let name = if name.is_empty() || self.listed_names.contains(name) {
            name
        } else {
            UNLISTED
        };
        let key: CacheKey<'a> = (verb, resource, sub, namespace, name);
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let request =
            Request::resource(verb, group, resource, namespace, name).with_subresource(sub);
        let grants: Rc<[Arc<Grant>]> = (self.view.rbac.who_can(&request).into_iter())
            .map(|g| self.intern(g))
            .collect();
        self.cache.insert(key, grants.clone());
        grants
    }

    fn intern(&mut self, grant: Grant) -> Arc<Grant> {
        let key: GrantKey = (
            grant.binding_kind,
            grant.binding_namespace.clone(),
            grant.binding_name.clone(),
            grant.role_name.clone(),
            grant.rule.clone(),
            grant.subject.clone(),
        );
        self.grants
            .entry(key)
            .or_insert_with(|| Arc::new(grant))
            .clone()
    }

    /// The mounts, paths and unknowns of one claim.
    pub fn volume(&mut self, claim: &'a PersistentVolumeClaim) -> VolumeReach<'a> {
        let view = self.view;
        let namespace = claim.meta.namespace.as_str();
        let pv = claim.volume_name.as_deref().and_then(|n| view.pv(n));
        let data = data_kind(view, claim);
        let mounted_by = self.mounts(namespace, &claim.meta.name);
        let sensitive = data.is_some() || mounted_by.iter().any(|m| m.ai);
        let mut paths = Paths::default();
        self.create_paths(namespace, &mut paths);
        self.pod_paths(namespace, &claim.meta.name, &mut paths);
        for verb in CLAIM_VERBS {
            for g in self.who(verb, CLAIMS, namespace, &claim.meta.name).iter() {
                paths.add(g, How::ReadWriteClaim { verbs: vec![verb] });
            }
            if let Some(name) = claim.volume_name.as_deref() {
                for g in self.who(verb, VOLUMES, "", name).iter() {
                    paths.add(g, How::ReadWriteVolume { verbs: vec![verb] });
                }
            }
        }
        VolumeReach {
            namespace,
            pvc: &claim.meta.name,
            pv: claim.volume_name.as_deref(),
            storage_class: claim
                .storage_class
                .as_deref()
                .or_else(|| pv.and_then(|p| p.storage_class.as_deref())),
            data: data.unwrap_or(DataKind::Unlabelled),
            sensitive,
            access_modes: match pv {
                Some(pv) if claim.access_modes.is_empty() => &pv.access_modes,
                _ => &claim.access_modes,
            },
            phase: &claim.phase,
            capacity: pv
                .and_then(|p| p.capacity.as_deref())
                .or(claim.requested.as_deref()),
            mounted_by,
            paths: paths.finish(),
            unknown: unknown_kinds(view, namespace),
        }
    }

    fn create_paths(&mut self, namespace: &'a str, paths: &mut Paths<'a>) {
        for g in self.who("create", PODS, namespace, "").iter() {
            paths.add(g, How::CreatePod);
        }
        for (kind, group, resource) in POD_CREATORS {
            for g in self
                .who("create", (group, resource, ""), namespace, "")
                .iter()
            {
                paths.add(g, How::CreateWorkload { kinds: vec![kind] });
            }
        }
    }

    fn pod_paths(&mut self, namespace: &'a str, claim: &str, paths: &mut Paths<'a>) {
        let units = &self.view.units;
        // (unit, the distinct RBAC names of its pods); service accounts with their units.
        let mut running: Vec<(UnitRef<'a>, Vec<&'a str>)> = Vec::new();
        let mut accounts: Vec<(&'a str, Vec<UnitRef<'a>>)> = Vec::new();
        for site in self.sites_of(namespace, claim) {
            let unit = &units[site.unit];
            let unit_ref = UnitRef {
                kind: unit.kind,
                name: unit.name,
            };
            let mut names: Vec<&'a str> = (self.pods_of(site).iter())
                .map(|p| {
                    let name = p.meta.name.as_str();
                    if self.listed_names.contains(name) {
                        name
                    } else {
                        UNLISTED
                    }
                })
                .collect();
            names.sort_unstable();
            names.dedup();
            running.push((unit_ref, names));
            let account = site.spec.service_account.as_str();
            match accounts.iter_mut().find(|(a, _)| *a == account) {
                Some((_, list)) => list.push(unit_ref),
                None => accounts.push((account, vec![unit_ref])),
            }
        }
        for (unit, names) in running {
            for name in names {
                let exec = self.who("create", EXEC, namespace, name);
                for g in exec.iter() {
                    paths.add(g, How::ExecIntoPod { units: vec![unit] });
                }
                let attach = self.who("create", ATTACH, namespace, name);
                for g in attach.iter() {
                    paths.add(g, How::AttachToPod { units: vec![unit] });
                }
            }
        }
        for (account, units) in accounts {
            let subject = Subject::service_account(namespace, account);
            paths.add_direct(subject, How::IsServiceAccount { units });
            let ways = [
                ("impersonate", SERVICE_ACCOUNTS, Via::Impersonate),
                ("create", TOKENS, Via::TokenRequest),
            ];
            for (verb, resource, via) in ways {
                for g in self.who(verb, resource, namespace, account).iter() {
                    let service_account = account;
                    paths.add(
                        g,
                        How::ActAsServiceAccount {
                            service_account,
                            via,
                        },
                    );
                }
            }
        }
    }

    fn mounts(&self, namespace: &str, claim: &str) -> Vec<Mount<'a>> {
        let mut out = Vec::new();
        for site in self.sites_of(namespace, claim) {
            let unit = &self.view.units[site.unit];
            let source_read_only = matches!(
                site.volume.source,
                VolumeSource::Pvc {
                    read_only: true,
                    ..
                }
            );
            let base = Mount {
                unit: UnitRef {
                    kind: unit.kind,
                    name: unit.name,
                },
                ai: unit.is_ai(),
                inference: unit.is_inference(),
                volume: &site.volume.name,
                container: "",
                mount_path: "",
                read_only: source_read_only,
                service_account: &site.spec.service_account,
                pods: self
                    .pods_of(site)
                    .iter()
                    .map(|p| p.meta.name.as_str())
                    .collect(),
            };
            let before = out.len();
            for c in site.spec.all_containers() {
                for m in c
                    .volume_mounts
                    .iter()
                    .filter(|m| m.name == site.volume.name)
                {
                    out.push(Mount {
                        container: &c.name,
                        mount_path: &m.mount_path,
                        read_only: source_read_only || m.read_only,
                        ..base.clone()
                    });
                }
            }
            if out.len() == before {
                out.push(base);
            }
        }
        out
    }
}

/// Kinds the paths of a claim in `namespace` depend on that were not read completely.
fn unknown_kinds(view: &View, namespace: &str) -> Vec<String> {
    let mut out = Vec::new();
    let namespaced = [
        Kind::Pod,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ReplicaSet,
        Kind::Job,
        Kind::CronJob,
        Kind::Role,
        Kind::RoleBinding,
    ];
    for kind in namespaced {
        if !view.known(kind, namespace) {
            out.push(format!("{} in {namespace}", kind.api().plural));
        }
    }
    for kind in [
        Kind::ClusterRole,
        Kind::ClusterRoleBinding,
        Kind::PersistentVolume,
    ] {
        if !view.known(kind, "") {
            out.push(kind.api().plural.to_string());
        }
    }
    out
}

/// Every pod volume that refers to a claim, by namespace and claim. A unit's template
/// volumes apply to all its pods; a pod's own claims (a StatefulSet's volume claim
/// templates) to that pod only.
fn index_sites<'a>(units: &[Unit<'a>]) -> Sites<'a> {
    let mut sites: Sites<'a> = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        let spec: &'a PodSpec = unit.spec;
        for (claim, volume) in claims(spec) {
            let site = MountSite {
                unit: i,
                spec,
                volume,
                pods: None,
            };
            let by_claim = sites.entry(unit.namespace).or_default();
            by_claim.entry(claim).or_default().push(site);
        }
        for &pod in &unit.pods {
            if std::ptr::eq(&pod.spec, spec) {
                continue;
            }
            for (claim, volume) in claims(&pod.spec) {
                if claims(spec).any(|(c, _)| c == claim) {
                    continue;
                }
                let by_claim = sites.entry(unit.namespace).or_default();
                let list = by_claim.entry(claim).or_default();
                match list.iter_mut().find(|s| s.unit == i) {
                    Some(MountSite {
                        pods: Some(pods), ..
                    }) => pods.push(pod),
                    _ => list.push(MountSite {
                        unit: i,
                        spec: &pod.spec,
                        volume,
                        pods: Some(vec![pod]),
                    }),
                }
            }
        }
    }
    sites
}

fn claims(spec: &PodSpec) -> impl Iterator<Item = (&str, &Volume)> {
    spec.volumes.iter().filter_map(|v| match &v.source {
        VolumeSource::Pvc { claim_name, .. } => Some((claim_name.as_str(), v)),
        _ => None,
    })
}

/// Paths being gathered: one per (grant or subject, way), their lists merged.
#[derive(Default)]
struct Paths<'a> {
    paths: Vec<ReachPath<'a>>,
    /// (interned grant's address, or 0 and the subject for a direct path; the way's shape).
    index: HashMap<(usize, Option<Subject>, How<'a>), usize>,
}

impl<'a> Paths<'a> {
    fn add(&mut self, grant: &Arc<Grant>, how: How<'a>) {
        let key = (Arc::as_ptr(grant) as usize, None, how.shape());
        match self.index.get(&key) {
            Some(&at) => {
                self.paths[at].how.merge(&how);
            }
            None => {
                self.index.insert(key, self.paths.len());
                self.paths.push(ReachPath {
                    subject: grant.subject.clone(),
                    how,
                    grant: Some(grant.clone()),
                });
            }
        }
    }

    fn add_direct(&mut self, subject: Subject, how: How<'a>) {
        let key = (0, Some(subject.clone()), how.shape());
        match self.index.get(&key) {
            Some(&at) => {
                self.paths[at].how.merge(&how);
            }
            None => {
                self.index.insert(key, self.paths.len());
                self.paths.push(ReachPath {
                    subject,
                    how,
                    grant: None,
                });
            }
        }
    }

    fn finish(self) -> Vec<ReachPath<'a>> {
        let mut paths = self.paths;
        paths.sort_by(|a, b| {
            (&a.subject, rank(&a.how), binding_of(a), &a.how).cmp(&(
                &b.subject,
                rank(&b.how),
                binding_of(b),
                &b.how,
            ))
        });
        paths
    }
}

fn rank(how: &How) -> u8 {
    match how {
        How::IsServiceAccount { .. } => 0,
        How::CreatePod => 1,
        How::CreateWorkload { .. } => 2,
        How::ExecIntoPod { .. } => 3,
        How::AttachToPod { .. } => 4,
        How::ActAsServiceAccount { .. } => 5,
        How::ReadWriteClaim { .. } => 6,
        How::ReadWriteVolume { .. } => 7,
    }
}

fn binding_of<'p>(path: &'p ReachPath) -> (&'p str, &'p str, &'p str) {
    path.grant.as_ref().map_or(("", "", ""), |g| {
        (
            g.binding_kind,
            g.binding_namespace.as_str(),
            g.binding_name.as_str(),
        )
    })
}
