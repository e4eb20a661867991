//! The deployment files (issue 23, item 4) are the ones `agora deploy-files` generates from the
//! context registry: `docker-compose.yml`, `deploy/nginx.conf`, `deploy/k8s/`. A context added
//! to the registry without regenerating them fails here; so does a hand edit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The committed files equal what the binary writes (run `agora deploy-files` to update them).
#[test]
fn the_committed_deploy_files_are_the_generated_ones() {
    let dir = std::env::temp_dir().join(format!("agora-deploy-{}", uuid::Uuid::now_v7().simple()));
    let out = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["deploy-files", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (path, _) in agora::deploy::files().unwrap() {
        let written = std::fs::read_to_string(dir.join(&path)).unwrap();
        let committed = std::fs::read_to_string(root().join(&path)).unwrap_or_default();
        assert!(
            written == committed,
            "{} differs from `agora deploy-files` output: run `cargo run -- deploy-files`",
            path.display()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(agora::deploy::drift(root()).unwrap().is_empty());
}

/// Every context has its compose service, its Deployment (with probes, resources and a
/// PodDisruptionBudget) and its gateway upstream.
#[test]
fn every_context_has_a_service_a_deployment_and_an_upstream() {
    let compose = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    let nginx = std::fs::read_to_string(root().join("deploy/nginx.conf")).unwrap();
    for name in agora::contexts::names() {
        assert!(
            compose.contains(&format!("\n  {name}:\n")),
            "no compose service for {name}"
        );
        assert!(
            compose.contains(&format!("AGORA_CONTEXTS: {name}\n")),
            "{name}"
        );
        assert!(
            nginx.contains(&format!("upstream agora_{name} {{")),
            "{name}"
        );
        let k8s = std::fs::read_to_string(root().join(format!("deploy/k8s/{name}.yaml")))
            .unwrap_or_else(|_| panic!("no manifests for {name}"));
        for needle in [
            "kind: Deployment",
            "kind: Service",
            "kind: PodDisruptionBudget",
            "path: /readyz",
            "path: /healthz",
            "resources:",
            "secretKeyRef",
        ] {
            assert!(k8s.contains(needle), "{name}: no {needle}");
        }
    }
}
