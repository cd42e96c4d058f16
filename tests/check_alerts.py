#!/usr/bin/env python3
"""Checks the alerting rules (k8s/monitoring/prometheus-rules.yaml): promtool
parses them (`promtool check rules`); every alert has a severity, a summary
and a description; every gridbridge_ metric an expression names is one a
server registers (an alert on a renamed metric would never fire); and the
rules' unit tests pass (`promtool test rules tests/alerts/*.test.yml`, run
on the rules without their descriptions, which are prose).
Exits 1 naming the first problem."""
import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = sys.argv[1]
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def registered_metrics():
    names = set()
    for path in glob.glob(f"{ROOT}/services/**/*.cc", recursive=True):
        if "/tests/" in path:
            continue
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r'\.Name\(\s*"(gridbridge_[a-z0-9_]+)"', f.read()))
    return names


def check(groups):
    known = registered_metrics()
    assert known, "no metric registrations found under services/"
    for group in groups:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            if "alert" in rule:
                assert rule.get("labels", {}).get("severity") in ("critical", "warning"), \
                    f"{name}: severity must be critical or warning"
                for key in ("summary", "description"):
                    assert rule.get("annotations", {}).get(key), f"{name}: no {key}"
            for metric in re.findall(r"gridbridge_[a-z0-9_]+", rule["expr"]):
                base = metric
                for suffix in HISTOGRAM_SUFFIXES:
                    if metric.endswith(suffix) and metric[: -len(suffix)] in known:
                        base = metric[: -len(suffix)]
                assert base in known, f"{name}: no server registers {metric}"


def run(args, cwd):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise AssertionError(f"{' '.join(args)} failed")
    return result.stdout


try:
    with open(f"{ROOT}/k8s/monitoring/prometheus-rules.yaml", encoding="utf-8") as f:
        rule = yaml.safe_load(f)
    assert rule["kind"] == "PrometheusRule", "not a PrometheusRule"
    groups = rule["spec"]["groups"]
    check(groups)
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/gridbridge-alerts.full.yml", "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": groups}, f, allow_unicode=True, sort_keys=False)
        run(["promtool", "check", "rules", "gridbridge-alerts.full.yml"], tmp)
        for group in groups:
            for r in group["rules"]:
                r.get("annotations", {}).pop("description", None)
        with open(f"{tmp}/gridbridge-alerts.rules.yml", "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": groups}, f, allow_unicode=True, sort_keys=False)
        tests = sorted(glob.glob(f"{ROOT}/tests/alerts/*.test.yml"))
        assert tests, "no rule tests in tests/alerts/"
        for test in tests:
            os.symlink(test, f"{tmp}/{os.path.basename(test)}")
        print(run(["promtool", "test", "rules"] + [os.path.basename(t) for t in tests], tmp))
    alerts = sum(1 for g in groups for r in g["rules"] if "alert" in r)
    print(f"alerts: {alerts} rules checked and tested: ok")
except AssertionError as e:
    print(f"alerting rules: {e}", file=sys.stderr)
    sys.exit(1)
