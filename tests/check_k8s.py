#!/usr/bin/env python3
"""Renders k8s/overlays/{dev,prod} with `kubectl kustomize` (offline) and
checks every Deployment (STYLE.md's rules and more): gRPC readiness probe,
replicas spread over nodes, non-root, read-only root filesystem, no
privilege escalation, requests and limits; a service's target names a
headless Service; prod runs more than one replica, with a
PodDisruptionBudget each, and carries the alerting rules. Exits 1 naming
the first problem."""
import subprocess
import sys

import yaml

ROOT = sys.argv[1]


def render(overlay):
    out = subprocess.run(["kubectl", "kustomize", f"{ROOT}/k8s/overlays/{overlay}"],
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def check(overlay, min_replicas, more_kinds=()):
    docs = render(overlay)
    kinds = {d["kind"] for d in docs}
    for kind in ("Namespace", "Deployment", "Service", "ConfigMap", "KafkaTopic", *more_kinds):
        assert kind in kinds, f"{overlay}: no {kind}"
    for d in (d for d in docs if d["kind"] == "Deployment"):
        name = f"{overlay}/{d['metadata']['name']}"
        spec = d["spec"]["template"]["spec"]
        assert d["spec"]["replicas"] >= min_replicas, f"{name}: replicas < {min_replicas}"
        assert spec["securityContext"]["runAsNonRoot"] is True, f"{name}: not runAsNonRoot"
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        assert any(t["topologyKey"] == "kubernetes.io/hostname" and
                   all(pod_labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items())
                   for t in spec.get("topologySpreadConstraints", [])), \
            f"{name}: replicas not spread over nodes"
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, f"{name}: root FS writable"
            assert sc["allowPrivilegeEscalation"] is False, f"{name}: privilege escalation"
            assert "grpc" in c["readinessProbe"], f"{name}: readiness probe is not gRPC"
            assert c["resources"]["limits"] and c["resources"]["requests"], f"{name}: no limits"
            assert any(e.get("configMapRef") for e in c.get("envFrom", [])), f"{name}: no config"
            for e in c.get("env", []):
                if e["name"].endswith("_TARGET"):
                    check_service_target(docs, name, e["value"])
    if min_replicas > 1:
        check_disruption_budgets(docs, overlay)
    return len(docs)


def check_service_target(docs, name, target):
    """A service's client balances over what its target resolves to: it must
    name a headless Service (one DNS record per ready pod) of this render."""
    prefix = "dns:///"
    assert target.startswith(prefix), f"{name}: target {target} is not dns:///<headless service>"
    service = target[len(prefix):].split(".")[0]
    found = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == service]
    assert found, f"{name}: target {target}: no Service {service}"
    assert found[0]["spec"].get("clusterIP") == "None", f"{name}: Service {service} is not headless"


def check_disruption_budgets(docs, overlay):
    """Each replicated Deployment has a PodDisruptionBudget selecting its pods."""
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for d in (d for d in docs if d["kind"] == "Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert any(all(labels.get(k) == v for k, v in b["spec"]["selector"]["matchLabels"].items())
                   for b in budgets), f"{overlay}/{d['metadata']['name']}: no PodDisruptionBudget"


try:
    print(f"dev: {check('dev', 1)} objects, prod: {check('prod', 2, ['PrometheusRule'])} objects: ok")
except AssertionError as e:
    print(f"k8s manifests: {e}", file=sys.stderr)
    sys.exit(1)
