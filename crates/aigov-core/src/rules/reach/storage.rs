//! What a StorageClass's parameters say about encryption at rest, for the provisioners whose
//! encryption parameter is known.

use crate::model::objects::StorageClass;

/// A StorageClass's encryption at rest, as far as its parameters tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// The provisioner's encryption parameter is set; the parameter as evidence.
    Encrypted(String),
    /// A known provisioner whose encryption parameter is missing; what would turn it on.
    NotEncrypted(&'static str),
    /// A provisioner aigov knows nothing about: it cannot tell.
    Unknown,
}

/// The encryption a class's provisioner and parameters give its volumes.
pub fn encryption(class: &StorageClass) -> Encryption {
    let provisioner = class.provisioner.as_str();
    // Provisioners read parameter names case-insensitively (AWS, Azure), so aigov does too.
    let param = |name: &str| {
        class
            .parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, v)| (k.as_str(), v.trim()))
    };
    let flag_true = |name: &'static str, hint: &'static str| match param(name) {
        Some((k, v)) if v.eq_ignore_ascii_case("true") => {
            Encryption::Encrypted(format!("{k}: {v}"))
        }
        _ => Encryption::NotEncrypted(hint),
    };
    let any_set = |names: &[&str], hint: &'static str| {
        names
            .iter()
            .find_map(|n| param(n).filter(|(_, v)| !v.is_empty()))
            .map_or(Encryption::NotEncrypted(hint), |(k, v)| {
                Encryption::Encrypted(format!("{k}: {v}"))
            })
    };
    match provisioner {
        "ebs.csi.aws.com" | "kubernetes.io/aws-ebs" => flag_true(
            "encrypted",
            "encrypted: \"true\" (and kmsKeyId for a key of your own)",
        ),
        "pd.csi.storage.gke.io" | "kubernetes.io/gce-pd" => any_set(
            &["disk-encryption-kms-key"],
            "disk-encryption-kms-key (a customer-managed Cloud KMS key)",
        ),
        "disk.csi.azure.com" | "kubernetes.io/azure-disk" => any_set(
            &["diskEncryptionSetID", "diskEncryptionType"],
            "diskEncryptionSetID (and diskEncryptionType)",
        ),
        p if p == "rbd.csi.ceph.com"
            || p == "kubernetes.io/rbd"
            || p.ends_with(".rbd.csi.ceph.com") =>
        {
            flag_true("encrypted", "encrypted: \"true\" (with encryptionKMSID)")
        }
        _ => Encryption::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(provisioner: &str, params: &[(&str, &str)]) -> StorageClass {
        StorageClass {
            provisioner: provisioner.into(),
            parameters: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn known_provisioners_are_judged_by_their_own_parameter() {
        assert!(matches!(
            encryption(&class("ebs.csi.aws.com", &[("encrypted", "true")])),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            encryption(&class("kubernetes.io/aws-ebs", &[("Encrypted", "True")])),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            encryption(&class(
                "ebs.csi.aws.com",
                &[("encrypted", "false"), ("type", "gp3")]
            )),
            Encryption::NotEncrypted(_)
        ));
        assert!(matches!(
            encryption(&class(
                "pd.csi.storage.gke.io",
                &[(
                    "disk-encryption-kms-key",
                    "projects/p/locations/l/keyRings/r/cryptoKeys/k"
                )]
            )),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            encryption(&class("pd.csi.storage.gke.io", &[("type", "pd-ssd")])),
            Encryption::NotEncrypted(_)
        ));
        assert!(matches!(
            encryption(&class(
                "disk.csi.azure.com",
                &[("diskEncryptionType", "EncryptionAtRestWithCustomerKey")]
            )),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            encryption(&class("disk.csi.azure.com", &[("skuName", "Premium_LRS")])),
            Encryption::NotEncrypted(_)
        ));
        assert!(matches!(
            encryption(&class(
                "rook-ceph.rbd.csi.ceph.com",
                &[("encrypted", "true")]
            )),
            Encryption::Encrypted(_)
        ));
        assert!(matches!(
            encryption(&class("rbd.csi.ceph.com", &[("pool", "replicapool")])),
            Encryption::NotEncrypted(_)
        ));
    }

    #[test]
    fn unknown_provisioners_cannot_be_judged() {
        assert_eq!(
            encryption(&class("nfs.csi.k8s.io", &[("encrypted", "true")])),
            Encryption::Unknown
        );
        assert_eq!(
            encryption(&class("rancher.io/local-path", &[])),
            Encryption::Unknown
        );
    }
}
