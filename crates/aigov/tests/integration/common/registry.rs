//! The real Distribution registry (Debian's `docker-registry`) for tests and the benchmark: on
//! 127.0.0.1 at a free port, a temporary storage directory and a config written here (never
//! the package's default config, which listens on all interfaces); images pushed through the
//! registry's HTTP API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aigov_registry::RegistryOptions;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// True when the registry binary is installed; otherwise prints `SKIPPED <test>` to stderr so
/// the test is reported as skipped by name rather than passing silently.
pub fn registry_available(test: &str) -> bool {
    if Path::new(REGISTRY_BINARY).exists() {
        return true;
    }
    eprintln!("SKIPPED {test}: docker-registry not installed");
    false
}

/// Client options for a test registry at `host` (`127.0.0.1:<port>`): plain HTTP, a 5 s
/// request timeout, everything else default (anonymous).
pub fn options_for(host: &str) -> RegistryOptions {
    RegistryOptions {
        insecure_http_hosts: vec![host.to_string()],
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// A port on 127.0.0.1 nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub struct TestRegistry {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:<port>`: the registry part of image references.
    pub host: String,
    /// Basic credentials when started with htpasswd.
    pub user: Option<(String, String)>,
    http: reqwest::Client,
}

impl TestRegistry {
    /// An open registry.
    pub async fn start() -> TestRegistry {
        Self::start_with(None).await
    }

    /// A registry requiring HTTP Basic auth for `user`/`password` (bcrypt htpasswd file).
    pub async fn start_with_basic_auth(user: &str, password: &str) -> TestRegistry {
        Self::start_with(Some((user.to_string(), password.to_string()))).await
    }

    async fn start_with(user: Option<(String, String)>) -> TestRegistry {
        // reqwest is built without a crypto provider of its own (as in aigov itself).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let auth = match &user {
            Some((name, password)) => {
                let hash = bcrypt::hash_with_result(password, 4)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoY);
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{name}:{hash}\n")).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: aigov-test\n    path: {}\n",
                    htpasswd.display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  cache:\n    blobdescriptor: inmemory\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n  secret: aigov-test-secret\n{auth}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        let registry = TestRegistry {
            child: Some(child),
            dir,
            host,
            user,
            http: reqwest::Client::new(),
        };
        registry.wait_ready().await;
        registry
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let url = format!("http://{}/v2/", self.host);
        while Instant::now() < deadline {
            if self.http.get(&url).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        panic!("docker-registry did not start on {}: {log}", self.host);
    }

    /// Stop the registry (its port then refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    fn with_auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.user {
            Some((name, password)) => request.basic_auth(name, Some(password)),
            None => request,
        }
    }

    /// Upload a blob (POST an upload, PUT its bytes with the digest); returns the digest.
    pub async fn push_blob(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let start = self
            .with_auth(self.http.post(format!(
                "http://{}/v2/{repository}/blobs/uploads/",
                self.host
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status().as_u16(), 202, "blob upload starts");
        let location = start
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let location = if location.starts_with('/') {
            format!("http://{}{location}", self.host)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = self
            .with_auth(
                self.http
                    .put(format!("{location}{separator}digest={digest}"))
                    .header("content-type", "application/octet-stream")
                    .body(bytes.to_vec()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(put.status().as_u16(), 201, "blob upload completes");
        digest
    }

    /// PUT manifest bytes under a tag; returns the digest of the bytes.
    pub async fn put_manifest(
        &self,
        repository: &str,
        tag: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let response = self
            .with_auth(
                self.http
                    .put(format!(
                        "http://{}/v2/{repository}/manifests/{tag}",
                        self.host
                    ))
                    .header("content-type", media_type)
                    .body(bytes.to_vec()),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status, 201, "manifest PUT {repository}:{tag}: {body}");
        sha256(bytes)
    }

    /// Config and layer blobs for a small image; returns the two descriptors' JSON and sizes.
    pub async fn push_image_blobs(&self, repository: &str, docker: bool) -> ImageBlobs {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let layer = b"aigov test layer: not a real tarball, the registry does not look inside";
        ImageBlobs {
            config_digest: self.push_blob(repository, config).await,
            config_size: config.len(),
            layer_digest: self.push_blob(repository, layer).await,
            layer_size: layer.len(),
            docker,
        }
    }

    /// Push a single-platform manifest under `tag`; `variant` goes into an annotation (OCI)
    /// or is ignored (Docker), so different variants give different digests. Returns
    /// (digest, manifest bytes).
    pub async fn push_image(
        &self,
        repository: &str,
        tag: &str,
        blobs: &ImageBlobs,
        variant: &str,
    ) -> (String, Vec<u8>) {
        let bytes = blobs.manifest(variant);
        let media_type = if blobs.docker {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        };
        let digest = self.put_manifest(repository, tag, media_type, &bytes).await;
        (digest, bytes)
    }

    /// Push an index (OCI) or manifest list (Docker) over manifests already pushed.
    pub async fn push_index(
        &self,
        repository: &str,
        tag: &str,
        docker: bool,
        children: &[(String, usize)],
    ) -> String {
        let (media_type, child_type) = if docker {
            (DOCKER_LIST, DOCKER_MANIFEST)
        } else {
            (OCI_INDEX, OCI_MANIFEST)
        };
        let manifests: Vec<serde_json::Value> = children
            .iter()
            .map(|(digest, size)| {
                serde_json::json!({
                    "mediaType": child_type, "digest": digest, "size": size,
                    "platform": {"architecture": "amd64", "os": "linux"}
                })
            })
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2, "mediaType": media_type, "manifests": manifests
        });
        let bytes = serde_json::to_vec(&index).unwrap();
        self.put_manifest(repository, tag, media_type, &bytes).await
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct ImageBlobs {
    pub config_digest: String,
    pub config_size: usize,
    pub layer_digest: String,
    pub layer_size: usize,
    pub docker: bool,
}

impl ImageBlobs {
    pub fn manifest(&self, variant: &str) -> Vec<u8> {
        let manifest = if self.docker {
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": DOCKER_MANIFEST,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "digest": self.config_digest, "size": self.config_size},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                            "digest": self.layer_digest, "size": self.layer_size}]
            })
        } else {
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": self.config_digest, "size": self.config_size},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": self.layer_digest, "size": self.layer_size}],
                "annotations": {"org.opencontainers.image.version": variant}
            })
        };
        serde_json::to_vec(&manifest).unwrap()
    }
}
