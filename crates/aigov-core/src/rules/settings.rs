//! Settings the rules read: AI classification signals and thresholds. Defaults are built in;
//! the config file may override any of them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesConfig {
    pub ai: AiSettings,
    /// Groups that stand for "everyone" or "every workload": a grant to them is broad.
    pub broad_groups: Vec<String>,
    /// A sensitive volume reachable by more subjects than this is reported.
    pub max_subjects_reaching_data: usize,
    /// Shannon entropy (bits per character) above which a `*_TOKEN`/`*_KEY`/`*_PASSWORD`
    /// value looks like a real credential.
    pub secret_entropy_bits: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AiSettings {
    /// A namespace label that decides the classification outright (`true` or `false`).
    pub label: String,
    /// Score at or above which a namespace counts as AI.
    pub threshold: u32,
    /// Resource names (a trailing `*` matches a prefix) that mean an accelerator.
    pub accelerators: Vec<String>,
    /// Substrings of an image's repository that mean an AI framework or server.
    pub images: Vec<String>,
    /// Custom resource kinds that are AI workloads.
    pub custom_kinds: Vec<String>,
    /// Points each signal adds to a namespace's score.
    pub accelerator_points: u32,
    pub image_points: u32,
    pub custom_resource_points: u32,
}

impl Default for AiSettings {
    fn default() -> Self {
        Self {
            label: "aigov.dev/ai".into(),
            threshold: 40,
            accelerators: [
                "nvidia.com/gpu",
                "amd.com/gpu",
                "gpu.intel.com/*",
                "habana.ai/*",
                "aws.amazon.com/neuron*",
                "google.com/tpu",
            ]
            .map(String::from)
            .to_vec(),
            images: [
                "pytorch",
                "tensorflow",
                "jax",
                "vllm",
                "text-generation-inference",
                "tritonserver",
                "ray",
                "jupyter",
                "kubeflow",
                "huggingface",
                "ollama",
                "sglang",
                "nemo",
                "feast",
                "mlflow",
                "kserve",
                "seldon",
                "bentoml",
                "torchserve",
                "onnxruntime",
                "deepspeed",
            ]
            .map(String::from)
            .to_vec(),
            custom_kinds: [
                "Notebook",
                "PyTorchJob",
                "TFJob",
                "InferenceService",
                "RayCluster",
                "RayJob",
            ]
            .map(String::from)
            .to_vec(),
            accelerator_points: 50,
            image_points: 40,
            custom_resource_points: 50,
        }
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            ai: AiSettings::default(),
            broad_groups: [
                "system:authenticated",
                "system:unauthenticated",
                "system:serviceaccounts",
            ]
            .map(String::from)
            .to_vec(),
            max_subjects_reaching_data: 10,
            secret_entropy_bits: 3.0,
        }
    }
}

impl AiSettings {
    pub fn is_accelerator(&self, resource: &str) -> bool {
        self.accelerators
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => resource.starts_with(prefix),
                None => resource == pattern,
            })
    }

    /// The AI keyword an image's repository contains, if any. Only the repository path is
    /// looked at, so a registry host such as `ray.example.com` does not count.
    pub fn ai_image_keyword(&self, image: &str) -> Option<&str> {
        let repository = match crate::model::image::ImageRef::parse(image) {
            Ok(r) => r.repository,
            Err(_) => image.to_ascii_lowercase(),
        };
        let segments: Vec<&str> = repository.split(['/', '-', '_', '.']).collect();
        self.images
            .iter()
            .find(|k| {
                if k.contains('-') {
                    repository.contains(k.as_str())
                } else {
                    segments.iter().any(|s| s == k || s.starts_with(k.as_str()))
                }
            })
            .map(String::as_str)
    }
}

impl RulesConfig {
    /// Whether a group subject stands for a broad population (`system:serviceaccounts:NS`
    /// counts: every workload of a namespace).
    pub fn is_broad_group(&self, group: &str) -> bool {
        self.broad_groups.iter().any(|g| g == group) || group.starts_with("system:serviceaccounts:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accelerator_patterns_match_prefixes() {
        let ai = AiSettings::default();
        assert!(ai.is_accelerator("nvidia.com/gpu"));
        assert!(ai.is_accelerator("gpu.intel.com/i915"));
        assert!(ai.is_accelerator("aws.amazon.com/neuroncore"));
        assert!(!ai.is_accelerator("cpu"));
        assert!(!ai.is_accelerator("nvidia.com/gpu-shared"));
    }

    #[test]
    fn ai_images_are_recognised_by_repository_not_host() {
        let ai = AiSettings::default();
        assert_eq!(ai.ai_image_keyword("vllm/vllm-openai:v0.6.3"), Some("vllm"));
        assert_eq!(
            ai.ai_image_keyword("nvcr.io/nvidia/pytorch:24.05-py3"),
            Some("pytorch")
        );
        assert_eq!(
            ai.ai_image_keyword("ghcr.io/huggingface/text-generation-inference:2.4"),
            Some("text-generation-inference")
        );
        assert_eq!(ai.ai_image_keyword("rayproject/ray:2.9.0-gpu"), Some("ray"));
        assert_eq!(
            ai.ai_image_keyword("jupyter/scipy-notebook:latest"),
            Some("jupyter")
        );
        assert_eq!(ai.ai_image_keyword("nginx:1.27"), None);
        assert_eq!(ai.ai_image_keyword("ray.example.com/shop/cart:1"), None);
        assert_eq!(ai.ai_image_keyword("library/array-tools:1"), None);
    }
}
