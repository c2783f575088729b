//! Tests of the demo platform: structural integrity and every deliberate problem.

use super::*;
use aigov_core::model::Kind;
use base64::Engine as _;
use std::collections::BTreeSet;

type Obj = &'static Value;
type Set = BTreeSet<String>;
const AI: [&str; 4] = ["ml-training", "llm-inference", "notebooks", "feature-store"];
const CANARY: &str = "AIGOV-CANARY-SECRET-7f3a9c";

/// Parsed once: the YAML parser is slow in debug builds.
fn all() -> &'static [Value] {
    static OBJECTS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    OBJECTS.get_or_init(|| objects().unwrap())
}
fn st<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
fn kind(o: &Value) -> &str {
    st(o, "/kind")
}
fn ns(o: &Value) -> &str {
    st(o, "/metadata/namespace")
}
fn name(o: &Value) -> &str {
    st(o, "/metadata/name")
}
/// `namespace/name`, or `/name` for cluster-scoped objects.
fn id(o: &Value) -> String {
    format!("{}/{}", ns(o), name(o))
}
fn claim_ref(pv: &Value) -> String {
    let claim = &pv["spec"]["claimRef"];
    format!("{}/{}", st(claim, "/namespace"), st(claim, "/name"))
}
fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}
fn any(v: &Value, f: impl FnMut(&Value) -> bool) -> bool {
    arr(v).iter().any(f)
}
fn strs(v: &Value) -> Vec<&str> {
    arr(v).iter().filter_map(Value::as_str).collect()
}
fn set<S: ToString>(items: impl IntoIterator<Item = S>) -> Set {
    items.into_iter().map(|s| s.to_string()).collect()
}
fn words(s: &str) -> Set {
    set(s.split_whitespace())
}
fn of(k: &'static str) -> impl Iterator<Item = Obj> {
    all().iter().filter(move |o| kind(o) == k)
}
fn find(k: &str, at: &str) -> Option<Obj> {
    all().iter().find(|o| kind(o) == k && id(o) == at)
}
fn label<'a>(o: &'a Value, key: &str) -> &'a str {
    o["metadata"]["labels"][key].as_str().unwrap_or("")
}
/// Every leaf string of a JSON value, keys excluded.
fn leaves(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().flat_map(leaves).collect(),
        Value::Object(m) => m.values().flat_map(leaves).collect(),
        _ => vec![],
    }
}
/// `want` (a `matchLabels` map) is non-empty and a subset of `labels`.
fn selects(want: &Value, labels: &Value) -> bool {
    let want = want.as_object().filter(|m| !m.is_empty());
    want.is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
}
fn pods_where(f: impl Fn(Obj) -> bool) -> Set {
    set(of("Pod").filter(|p| f(p)).map(id))
}

/// Every pod spec an object carries: a pod's own, or its controller's templates.
fn pod_specs(o: &Value) -> Vec<&Value> {
    let s = &o["spec"];
    let mut specs: Vec<&Value> = match kind(o) {
        "Pod" => vec![s],
        "CronJob" => vec![&s["jobTemplate"]["spec"]["template"]["spec"]],
        "PyTorchJob" => {
            let replicas = s["pytorchReplicaSpecs"].as_object().into_iter();
            let replicas = replicas.flat_map(|m| m.values());
            replicas.map(|r| &r["template"]["spec"]).collect()
        }
        "RayCluster" => {
            let groups = arr(&s["workerGroupSpecs"]).iter();
            let groups = std::iter::once(&s["headGroupSpec"]).chain(groups);
            groups.map(|g| &g["template"]["spec"]).collect()
        }
        _ => vec![&s["template"]["spec"]],
    };
    specs.retain(|s| s.is_object());
    specs
}
fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    let init = arr(&spec["initContainers"]).iter();
    init.chain(arr(&spec["containers"]))
}
/// (claim name, mounted read-write) for every PVC volume of a pod spec.
fn claims(spec: &Value) -> Vec<(&str, bool)> {
    let mounts = || containers(spec).flat_map(|c| arr(&c["volumeMounts"]));
    let mut out = vec![];
    for v in arr(&spec["volumes"]) {
        let pvc = &v["persistentVolumeClaim"];
        let writes = |m: &Value| m["name"] == v["name"] && m["readOnly"] != true;
        if let Some(claim) = pvc["claimName"].as_str() {
            out.push((claim, pvc["readOnly"] != true && mounts().any(writes)));
        }
    }
    out
}
/// The `aigov.dev/data` label of a PVC, empty when unlabelled or missing.
fn pvc_data(namespace: &str, claim: &str) -> &'static str {
    let pvc = find("PersistentVolumeClaim", &format!("{namespace}/{claim}"));
    pvc.map_or("", |c| label(c, "aigov.dev/data"))
}

fn bindings() -> impl Iterator<Item = Obj> {
    all().iter().filter(|o| kind(o).ends_with("RoleBinding"))
}
/// The rules a binding grants, from the Role or ClusterRole it names.
fn bound_rules(b: &Value) -> &'static [Value] {
    let role_kind = st(b, "/roleRef/kind");
    let role_ns = if role_kind == "Role" { ns(b) } else { "" };
    let role = find(role_kind, &format!("{role_ns}/{}", st(b, "/roleRef/name")));
    role.map_or(&[], |r| arr(&r["rules"]))
}
fn rule_grants(rule: &Value, group: &str, resource: &str, verb: &str) -> bool {
    let has = |f: &str, want: &str| strs(&rule[f]).iter().any(|x| *x == "*" || *x == want);
    has("apiGroups", group) && has("resources", resource) && has("verbs", verb)
}
/// `User:name`, `Group:name` or `SA:namespace/name`.
fn subject(s: &Value) -> String {
    match st(s, "/namespace") {
        "" => format!("{}:{}", st(s, "/kind"), st(s, "/name")),
        n => format!("SA:{n}/{}", st(s, "/name")),
    }
}
/// Subjects granted `verb` on `group/resource` by bindings whose id starts with `scope`.
fn holders(verb: &str, group: &str, resource: &str, scope: &str) -> Set {
    let rules = |b: &Obj| bound_rules(b).iter();
    let grants = |b: &Obj| rules(b).any(|r| rule_grants(r, group, resource, verb));
    let scoped = bindings().filter(|b| id(b).starts_with(scope));
    let subjects = scoped.filter(grants).flat_map(|b| arr(&b["subjects"]));
    set(subjects.map(subject))
}
/// How an image reference pins what runs.
fn image_form(image: &str) -> &'static str {
    match image.rsplit('/').next().unwrap_or("") {
        _ if image.contains("@sha256:") => "digest",
        last if last.ends_with(":latest") => "latest",
        last if last.contains(':') => "tag",
        _ => "none",
    }
}

#[test]
fn objects_are_unique_live_manifests_with_namespaces_first() {
    let objs = all();
    assert!(objs.len() >= 150, "only {} demo objects", objs.len());
    let namespaces = set(of("Namespace").map(name));
    let want = "default kube-system ml-training llm-inference notebooks feature-store web-shop";
    assert_eq!(namespaces, words(want));
    assert!(objs[..7].iter().all(|o| kind(o) == "Namespace"));
    let mut seen = Set::new();
    for o in objs {
        let who = format!("{} {}", kind(o), id(o));
        let k = Kind::from_name(kind(o)).unwrap_or_else(|| panic!("{who}: unknown kind"));
        assert_eq!(st(o, "/apiVersion"), k.api().api_version(), "{who}");
        assert_eq!(k.api().namespaced, namespaces.contains(ns(o)), "{who}");
        let server_set = ["uid", "resourceVersion", "creationTimestamp"];
        let unset = server_set.iter().all(|f| o["metadata"][f].is_null());
        assert!(unset, "{who}");
        assert!(seen.insert(who.clone()), "duplicate {who}");
    }
    // Statuses look like a live cluster.
    assert!(of("Namespace").all(|n| n["status"]["phase"] == "Active"));
    for p in of("Pod") {
        let who = id(p);
        let statuses = arr(&p["status"]["containerStatuses"]);
        let specs = arr(&p["spec"]["containers"]);
        assert_eq!(st(p, "/status/phase"), "Running", "{who}");
        assert_eq!(statuses.len(), specs.len(), "{who}");
        for (s, c) in statuses.iter().zip(specs) {
            let same = s["name"] == c["name"] && s["image"] == c["image"];
            let typed = s["ready"].is_boolean() && s["restartCount"].is_u64();
            assert!(same && typed && s["imageID"].is_string(), "{who}");
        }
    }
    // The AI platform runs what it advertises.
    for k in "PyTorchJob RayCluster InferenceService Notebook CronJob StatefulSet".split(' ') {
        let present = all().iter().any(|o| kind(o) == k && AI.contains(&ns(o)));
        assert!(present, "no {k}");
    }
    let gpu = |c: &Value| c["resources"]["limits"]["nvidia.com/gpu"].is_string();
    let gpus = |o: &Value| pod_specs(o).into_iter().flat_map(containers).any(gpu);
    assert!(of("Job").filter(|j| gpus(j)).count() >= 2 && of("PyTorchJob").all(gpus));
    let lb = find("Service", "llm-inference/llm-gateway").unwrap();
    assert_eq!(lb["spec"]["type"], "LoadBalancer");
    let behind = |p: &Obj| selects(&lb["spec"]["selector"], &p["metadata"]["labels"]);
    let apps = of("Pod").filter(|p| ns(p) == "llm-inference" && behind(p));
    let apps = set(apps.map(|p| label(p, "app.kubernetes.io/name")));
    assert_eq!(apps, words("text-generation-inference vllm"));
}

#[test]
fn references_resolve_owners_first_and_selectors_match() {
    let objs = all();
    let mut owned_pods = 0;
    for (i, o) in objs.iter().enumerate() {
        for r in arr(&o["metadata"]["ownerReferences"]) {
            let owner_id = format!("{}/{}", ns(o), st(r, "/name"));
            let same = |x: &Value| x["apiVersion"] == r["apiVersion"] && x["kind"] == r["kind"];
            let at = objs.iter().position(|x| same(x) && id(x) == owner_id);
            assert!(at.is_some_and(|at| at < i), "{r} missing or later");
            assert!(r["controller"] == true && st(r, "/uid").len() == 36, "{r}");
            let selector = &objs[at.unwrap_or(0)]["spec"]["selector"]["matchLabels"];
            if kind(o) == "Pod" {
                owned_pods += 1;
                let labels = &o["metadata"]["labels"];
                assert!(selector.is_null() || selects(selector, labels), "{}", id(o));
            }
        }
    }
    assert!(owned_pods >= 30, "{owned_pods}");
    for o in objs {
        let selector = &o["spec"]["selector"]["matchLabels"];
        let template_labels = &o["spec"]["template"]["metadata"]["labels"];
        let ok = selector.is_null() || selects(selector, template_labels);
        assert!(ok, "{}", id(o));
    }
    // Volumes, config and accounts named by pod specs exist; claims and volumes bind.
    for o in all() {
        let who = id(o);
        let at = |k: &str, n: &str| find(k, &format!("{}/{n}", ns(o)));
        for spec in pod_specs(o) {
            let sa = spec["serviceAccountName"].as_str().unwrap_or("default");
            let mut refs = vec![("ServiceAccount", sa)];
            let pvcs = claims(spec).into_iter();
            refs.extend(pvcs.map(|c| ("PersistentVolumeClaim", c.0)));
            let volumes = arr(&spec["volumes"]).iter();
            refs.extend(volumes.map(|v| ("ConfigMap", st(v, "/configMap/name"))));
            for c in containers(spec) {
                for e in arr(&c["envFrom"]) {
                    refs.push(("ConfigMap", st(e, "/configMapRef/name")));
                    refs.push(("Secret", st(e, "/secretRef/name")));
                }
                for e in arr(&c["env"]).iter().map(|e| &e["valueFrom"]) {
                    let (cm, secret) = (&e["configMapKeyRef"], &e["secretKeyRef"]);
                    for (k, r) in [("ConfigMap", cm), ("Secret", secret)] {
                        let has_key = |t: Obj| t["data"][st(r, "/key")].is_string();
                        let found = at(k, st(r, "/name")).is_some_and(has_key);
                        assert!(r.is_null() || found, "{who}: {r}");
                    }
                }
            }
            for (k, n) in refs.into_iter().filter(|r| !r.1.is_empty()) {
                assert!(at(k, n).is_some(), "{who}: no {k} {n}");
            }
        }
    }
    for pvc in of("PersistentVolumeClaim") {
        let pv = format!("/{}", st(pvc, "/spec/volumeName"));
        let pv = find("PersistentVolume", &pv);
        assert_eq!(pv.map(claim_ref), Some(id(pvc)));
        assert_eq!(st(pvc, "/status/phase"), "Bound");
    }
    for pv in of("PersistentVolume") {
        let bound = find("PersistentVolumeClaim", &claim_ref(pv)).is_some();
        assert_eq!(bound, pv["status"]["phase"] == "Bound", "{}", id(pv));
        let class = format!("/{}", st(pv, "/spec/storageClassName"));
        assert!(find("StorageClass", &class).is_some(), "{}", id(pv));
    }
}

#[test]
fn the_read_only_demo_user_reads_everything_served_except_secrets() {
    for k in Kind::ALL {
        let api = k.api();
        let readers = holders("list", api.group, api.plural, "");
        let can = readers.contains("User:aigov-demo-readonly");
        assert_eq!(can, k != Kind::Secret, "{}", api.plural);
    }
    // As on a real cluster, self-reviews come from system:basic-user.
    let reviews = "authentication.k8s.io/selfsubjectreviews \
        authorization.k8s.io/selfsubjectaccessreviews authorization.k8s.io/selfsubjectrulesreviews";
    for (group, resource) in reviews.split_whitespace().filter_map(|r| r.split_once('/')) {
        let granted = holders("create", group, resource, "/system:basic-user");
        assert!(granted.contains("Group:system:authenticated"), "{resource}");
    }
    // Nothing else bound to every user reaches a resource, secrets included.
    let everyone = |b: &Obj| any(&b["subjects"], |s| s["name"] == "system:authenticated");
    for r in bindings().filter(everyone).flat_map(bound_rules) {
        let reviews_only = strs(&r["resources"]).iter().all(|x| x.ends_with("reviews"));
        assert!(reviews_only, "{r}");
    }
    assert!(holders("*", "*", "*", "/cluster-admin").contains("Group:system:masters"));
    let view = find("ClusterRole", "/view").unwrap()["aggregationRule"].to_string();
    assert!(view.contains(r#"{"rbac.authorization.k8s.io/aggregate-to-view":"true"}"#));
}

#[test]
fn hostile_text_and_the_canary_are_only_where_intended() {
    let bad_char = |c: char| c.is_control() && c != '\n' || c == '\u{202e}';
    let bad = |s: &&str| s.chars().any(bad_char);
    let hostile = all().iter().filter(|o| leaves(o).iter().any(bad));
    let pod = "ml-training/resnet50-train-imagenet-bxh2b";
    let event = format!("{pod}.1809a3c2f4b7e6d1");
    let want = set([format!("Pod {pod}"), format!("Event {event}")]);
    assert_eq!(set(hostile.map(|o| format!("{} {}", kind(o), id(o)))), want);
    let pod = find("Pod", pod).unwrap();
    let event = find("Event", &event).unwrap();
    assert_eq!(event["involvedObject"]["name"], pod["metadata"]["name"]);
    let note = &pod["metadata"]["annotations"]["ml.example.com/last-epoch-summary"];
    for text in [note.as_str().unwrap_or(""), st(event, "/message")] {
        for needle in "\u{1b}[2J \u{1b}]52;c; \u{7} \u{9b}31m \u{202e}".split(' ') {
            assert!(text.contains(needle), "{needle:?} missing from {text:?}");
        }
    }
    // The canary is only in the S3 training secret, in its data and last-applied annotation.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut carriers = Set::new();
    for o in all() {
        if leaves(o).iter().any(|s| s.contains(CANARY)) {
            carriers.insert(format!("plain:{}", id(o)));
        }
        let data = o["data"].as_object().filter(|_| kind(o) == "Secret");
        for v in data.into_iter().flat_map(|m| m.values()) {
            let bytes = b64.decode(v.as_str().unwrap_or("")).unwrap();
            if String::from_utf8_lossy(&bytes).contains(CANARY) {
                carriers.insert(format!("data:{}", id(o)));
            }
        }
    }
    let secret = "ml-training/s3-training-data";
    assert_eq!(carriers, words(&format!("data:{secret} plain:{secret}")));
    let annotations = &find("Secret", secret).unwrap()["metadata"]["annotations"];
    let applied = &annotations["kubectl.kubernetes.io/last-applied-configuration"];
    let applied: Value = serde_json::from_str(applied.as_str().unwrap()).unwrap();
    assert_eq!(applied["stringData"]["AWS_SECRET_ACCESS_KEY"], CANARY);
    let custom = &find("Secret", "llm-inference/hf-token").unwrap()["metadata"];
    let rotation = &custom["annotations"]["secrets.example.com/rotation"];
    assert_eq!(rotation, "every-90-days");
    assert!(of("Secret").any(|s| s["type"] == "kubernetes.io/dockerconfigjson"));
}

#[test]
fn risky_rbac_grants_are_present_and_role_refs_resolve() {
    let mut missing = Set::new();
    for b in bindings() {
        assert!(!bound_rules(b).is_empty(), "{}", id(b));
        for s in arr(&b["subjects"]) {
            let sa = format!("{}/{}", st(s, "/namespace"), st(s, "/name"));
            if s["kind"] == "ServiceAccount" && find("ServiceAccount", &sa).is_none() {
                missing.insert(sa);
            }
        }
    }
    let want = words("ml-training/legacy-trainer mlflow/mlflow-server");
    assert_eq!(missing, want);
    // verb, API group ("core" for "", "rbac" for RBAC's), resource, binding, subject.
    let cases = "
        * * * /ml-engineers-cluster-admin Group:ml-engineers
        * * * /data-scientists-superuser Group:data-scientists
        * * * /notebooks-default-editor-cluster-admin SA:notebooks/default-editor
        * * * /jupyter-priya-debug SA:notebooks/jupyter-priya
        * * * ml-training/pipeline-runner-all SA:ml-training/pipeline-runner
        * core * feature-store/feast-maintainers Group:feast-maintainers
        create core pods/exec ml-training/interns-pod-debugger Group:interns
        create core pods/attach ml-training/interns-pod-debugger User:sam.intern@example.com
        create core pods/portforward ml-training/summer-interns-edit Group:interns
        list core secrets ml-training/default-secret-reader SA:ml-training/default
        get core secrets llm-inference/default-model-secrets SA:llm-inference/default
        escalate rbac clusterroles /ml-platform-leads-rbac-delegator Group:ml-platform-leads
        bind rbac clusterroles ml-training/ml-training-leads-rbac User:dana.kim@example.com
        impersonate core users /llm-gateway-impersonator SA:llm-inference/gateway-auth-proxy
        create core serviceaccounts/token /pipeline-runner-token-minter \
            SA:ml-training/pipeline-runner
        create core serviceaccounts/token llm-inference/gateway-token-requester \
            SA:llm-inference/gateway-auth-proxy";
    for case in cases.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = case.split_whitespace().collect();
        let group = match f[1] {
            "core" => "",
            "rbac" => "rbac.authorization.k8s.io",
            group => group,
        };
        assert!(holders(f[0], group, f[2], f[3]).contains(f[4]), "{case}");
    }
    let admins = of("ClusterRoleBinding").filter(|b| b["roleRef"]["name"] == "cluster-admin");
    let want = "/cluster-admin /jupyter-priya-debug /ml-engineers-cluster-admin \
        /notebooks-default-editor-cluster-admin";
    assert_eq!(set(admins.map(id)), words(want));
    let fields = ["apiGroups", "resources", "verbs"];
    let wild = |r: &Value| fields.iter().all(|f| strs(&r[f]) == ["*"]);
    let custom = |o: &&Value| kind(o).ends_with("Role") && name(o) != "cluster-admin";
    let roles = all().iter().filter(custom);
    let wildcard = roles.filter(|o| any(&o["rules"], wild)).map(id);
    let want = words("/ml-platform-superuser ml-training/training-operator-all");
    assert_eq!(set(wildcard), want);
    let readers = holders("list", "", "secrets", "");
    let reads = |n: &&&str| readers.contains(&format!("SA:{n}/default"));
    let defaults = AI.iter().filter(reads);
    assert_eq!(set(defaults), words("llm-inference ml-training"));
}

#[test]
fn data_reach_problems_are_present() {
    let host_path = |p: Obj| any(&p["spec"]["volumes"], |v| v["hostPath"].is_object());
    let want = words("default/pytorch-debug ml-training/resnet50-train-imagenet-bxh2b");
    assert_eq!(pods_where(|p| ns(p) != "kube-system" && host_path(p)), want);
    let model_rw = |p: Obj, c: &str, rw: bool| rw && pvc_data(ns(p), c) == "model";
    let rw_model = |p: Obj| claims(&p["spec"]).iter().any(|c| model_rw(p, c.0, c.1));
    let want = words("llm-inference/tgi-mistral-7b-z8n6682tjp-hhvv8");
    assert_eq!(pods_where(rw_model), want);
    let retained = |pv: &Obj| pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain";
    let released = of("PersistentVolume").filter(|pv| pv["status"]["phase"] == "Released");
    let want = words("ml-training/gpt2-xl-ckpt-2023 notebooks/imagenet-subset");
    assert_eq!(set(released.filter(retained).map(claim_ref)), want);
    let rwx = |c: &Obj| strs(&c["spec"]["accessModes"]).contains(&"ReadWriteMany");
    let pvcs = of("PersistentVolumeClaim");
    let datasets = pvcs.filter(|c| label(c, "aigov.dev/data") == "dataset");
    let want = words("ml-training/imagenet-2012 notebooks/shared-datasets");
    assert_eq!(set(datasets.filter(rwx).map(id)), want);
    // A NodePort or LoadBalancer Service in front of pods that mount labelled data.
    let labelled = |p: Obj, c: &(&str, bool)| !pvc_data(ns(p), c.0).is_empty();
    let data = |p: Obj| claims(&p["spec"]).iter().any(|c| labelled(p, c));
    let picks = |s: Obj, p: Obj| selects(&s["spec"]["selector"], &p["metadata"]["labels"]);
    let exposes = |s: Obj, p: Obj| ns(p) == ns(s) && picks(s, p) && data(p);
    let open = |s: &Obj| matches!(st(s, "/spec/type"), "NodePort" | "LoadBalancer");
    let exposes_data = |s: &Obj| of("Pod").any(|p| exposes(s, p));
    let risky = of("Service").filter(open).filter(exposes_data);
    let want = words("llm-inference/llm-gateway notebooks/alice-nodeport");
    assert_eq!(set(risky.map(id)), want);
    let fast = find("StorageClass", "/fast-ssd").unwrap();
    assert_eq!(fast["provisioner"], "ebs.csi.aws.com");
    assert_eq!(fast["parameters"]["encrypted"], "true");
    assert!(find("StorageClass", "/standard").unwrap()["parameters"]["encrypted"].is_null());
}

#[test]
fn image_problems_are_present() {
    let (mut forms, mut moved) = (Set::new(), Set::new());
    for p in of("Pod") {
        let statuses = arr(&p["status"]["containerStatuses"]).iter();
        for s in statuses.chain(arr(&p["status"]["initContainerStatuses"])) {
            let (image, image_id) = (st(s, "/image"), st(s, "/imageID"));
            let form = image_form(image);
            forms.insert(form.to_string());
            if let Some((_, digest)) = image.split_once("@sha256:") {
                let pinned = digest.len() == 64 && image_id.ends_with(digest);
                assert!(pinned, "{}", id(p));
            } else if let Some((repo, _)) = image_id.split_once('@') {
                moved.insert(format!("{}={repo}", id(p)));
            }
            let spec = containers(&p["spec"]).find(|c| c["name"] == s["name"]);
            if form == "latest" && spec.is_some_and(|c| c["imagePullPolicy"] == "Always") {
                forms.insert("pull-always".into());
            }
        }
    }
    assert_eq!(forms, words("digest latest none pull-always tag"));
    let want = "
        llm-inference/tgi-mistral-7b-z8n6682tjp-hhvv8=ghcr.io/huggingface/text-generation-inference
        llm-inference/vllm-llama3-8b-c587ntqzcn-thsfv=docker.io/vllm/vllm-openai
        llm-inference/vllm-llama3-8b-c587ntqzcn-wk7n4=docker.io/vllm/vllm-openai
        notebooks/alice-0=docker.io/jupyter/scipy-notebook";
    assert_eq!(moved, words(want));
    let owner = "/metadata/ownerReferences/0/name";
    let vllm = of("Pod").filter(|p| st(p, owner) == "vllm-llama3-8b-c587ntqzcn");
    let digests = set(vllm.map(|p| st(p, "/status/containerStatuses/0/imageID")));
    assert_eq!(digests.len(), 2);
    // Digest pinning is required by policy in only some AI namespaces.
    let pins = |p: &Obj| leaves(&p["spec"]).iter().any(|e| e.contains("'@sha256:'"));
    let policy = name(of("ValidatingAdmissionPolicy").find(pins).unwrap());
    let bindings = of("ValidatingAdmissionPolicyBinding");
    let bindings = bindings.filter(|b| st(b, "/spec/policyName") == policy);
    let selector = |b: Obj| &b["spec"]["matchResources"]["namespaceSelector"]["matchLabels"];
    let selectors: Vec<_> = bindings.map(selector).collect();
    let labels = |n: Obj| &n["metadata"]["labels"];
    let covers = |n: &Obj| selectors.iter().any(|s| selects(s, labels(n)));
    let covered = of("Namespace").filter(covers).map(name);
    assert_eq!(set(covered), words("feature-store llm-inference"));
    assert!(of("ValidatingAdmissionPolicy").count() >= 2);
}

#[test]
fn config_literals_isolation_gaps_and_stray_pods_are_present() {
    let alnum = |t: &str| t.len() == 34 && t.chars().all(|c| c.is_ascii_alphanumeric());
    let hf = |s: &str| s.strip_prefix("hf_").is_some_and(alnum);
    let configs = of("ConfigMap").filter(|c| hf(st(c, "/data/HF_TOKEN")));
    let want = words("llm-inference/hf-hub-settings notebooks/notebook-env");
    assert_eq!(set(configs.map(id)), want);
    let notebook_env = find("ConfigMap", "notebooks/notebook-env").unwrap();
    assert!(st(notebook_env, "/data/OPENAI_API_KEY").starts_with("sk-proj-"));
    let mut env = Set::new();
    for p in of("Pod") {
        for e in containers(&p["spec"]).flat_map(|c| arr(&c["env"])) {
            let (key, value) = (st(e, "/name"), st(e, "/value"));
            let wandb = key == "WANDB_API_KEY" && value.len() == 40;
            if (key == "HF_TOKEN" && hf(value)) || wandb {
                env.insert(format!("{key}:{}", id(p)));
            }
        }
    }
    let want = "HF_TOKEN:default/jupyter-test HF_TOKEN:notebooks/priya-0
        HF_TOKEN:ml-training/llama3-8b-lora-finetune-fx62k
        WANDB_API_KEY:ml-training/llama3-8b-lora-finetune-fx62k";
    assert_eq!(env, words(want));
    for n in of("Namespace").filter(|n| !matches!(name(n), "default" | "kube-system")) {
        let psa = label(n, "pod-security.kubernetes.io/enforce");
        let policies = of("NetworkPolicy").filter(|p| ns(p) == name(n)).count();
        let isolated = matches!(psa, "baseline" | "restricted") && policies >= 2;
        let bare = psa.is_empty() && policies == 0;
        let notebooks = name(n) == "notebooks";
        assert_eq!((isolated, bare), (!notebooks, notebooks), "{}", name(n));
    }
    let image = |p: Obj| st(p, "/spec/containers/0/image");
    let ai_image = |p: Obj| image(p).contains("jupyter") || image(p).contains("pytorch");
    let stray = pods_where(|p| ns(p) == "default" && ai_image(p));
    assert_eq!(stray, words("default/jupyter-test default/pytorch-debug"));
    let subjects = || bindings().flat_map(|b| arr(&b["subjects"])).map(subject);
    let bound = |n: &str| subjects().any(|s| s == format!("SA:{n}/default"));
    let sa = |n: &str| find("ServiceAccount", &format!("{n}/default")).unwrap();
    let automount = |n: &str| sa(n)["automountServiceAccountToken"] != false;
    let exposed = AI.iter().filter(|n| automount(n) && bound(n));
    assert_eq!(set(exposed), words("llm-inference ml-training notebooks"));
}
