#!/usr/bin/env python3
"""Checks k8s/monitoring. The alerting rules (prometheus-rules.yaml): promtool
parses them (`promtool check rules`); every alert has a severity, a summary
and a description; every gridbridge_ metric an expression names is one a
server registers (an alert on a renamed metric would never fire); and the
rules' unit tests pass (`promtool test rules tests/alerts/*.test.yml`, run
on the rules without their descriptions, which are prose). The dashboard
(gridbridge-dashboard.json): every panel has queries, every query parses
(promtool, as a recording rule) and names only registered metrics.
Exits 1 naming the first problem."""
import json
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


def check_metrics_known(known, name, expr):
    for metric in re.findall(r"gridbridge_[a-z0-9_]+", expr):
        base = metric
        for suffix in HISTOGRAM_SUFFIXES:
            if metric.endswith(suffix) and metric[: -len(suffix)] in known:
                base = metric[: -len(suffix)]
        assert base in known, f"{name}: no server registers {metric}"


def check(groups, known):
    for group in groups:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            if "alert" in rule:
                assert rule.get("labels", {}).get("severity") in ("critical", "warning"), \
                    f"{name}: severity must be critical or warning"
                for key in ("summary", "description"):
                    assert rule.get("annotations", {}).get(key), f"{name}: no {key}"
            check_metrics_known(known, name, rule["expr"])


def dashboard_rules(dashboard, known):
    """The dashboard's queries as recording rules (for promtool to parse),
    its template variables given example values."""
    rules, ids = [], set()
    for panel in dashboard["panels"]:
        assert panel["id"] not in ids, f"dashboard: panel id {panel['id']} twice"
        ids.add(panel["id"])
        if panel["type"] == "row":
            continue
        name = f"dashboard panel {panel['id']} ({panel['title']})"
        assert panel.get("targets"), f"{name}: no queries"
        for target in panel["targets"]:
            expr = target["expr"].replace("$namespace", "gridbridge")
            assert "$" not in expr, f"{name}: unknown variable in {target['expr']}"
            check_metrics_known(known, name, expr)
            rules.append({"record": f"dashboard:panel_{panel['id']}_{target['refId']}",
                          "expr": expr})
    return rules


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
    known = registered_metrics()
    assert known, "no metric registrations found under services/"
    check(groups, known)
    with open(f"{ROOT}/k8s/monitoring/gridbridge-dashboard.json", encoding="utf-8") as f:
        dashboard = json.load(f)
    queries = dashboard_rules(dashboard, known)
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/gridbridge-alerts.full.yml", "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": groups}, f, allow_unicode=True, sort_keys=False)
        with open(f"{tmp}/dashboard-queries.yml", "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": queries}]}, f,
                           allow_unicode=True, sort_keys=False)
        run(["promtool", "check", "rules", "gridbridge-alerts.full.yml", "dashboard-queries.yml"],
            tmp)
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
    print(f"alerts: {alerts} rules checked and tested; dashboard: {len(queries)} queries: ok")
except AssertionError as e:
    print(f"monitoring: {e}", file=sys.stderr)
    sys.exit(1)
