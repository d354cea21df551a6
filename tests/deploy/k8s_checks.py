"""What the Kubernetes schemas cannot say about deploy/k8s/: that selectors
find their pods, Services and probes reach ports the containers open and
paths the hub serves, every setting is one the hub has, and each part would
start with what its pod is given."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hub.kafka.topics import INTAKE
from hub.settings import Settings
from hub.stream.runner import LAG
from tests.deploy.parts import (
    cli_part,
    dockerfile_env,
    probe_problem,
    settings_problem,
    unknown_settings,
)

WORKLOADS = ("Deployment", "Job")
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
# The worker metric the autoscaler may follow, with its labels.
SCALING_METRICS = {LAG._name: set(LAG._labelnames)}  # prometheus_client keeps no public view


def k8s_problems(docs: list[dict[str, Any]]) -> list[str]:
    index = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d for d in docs}
    problems = []
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        check = {"Deployment": _workload, "Job": _workload, "Service": _service,
                 "PodDisruptionBudget": _pdb, "HorizontalPodAutoscaler": _hpa,
                 "ConfigMap": _settings_keys, "Secret": _settings_keys}.get(doc["kind"])
        if check:
            problems += [f"{name}: {p}" for p in check(doc, index)]
    return problems


def _pods(index: dict, namespace: str | None) -> Iterator[dict]:
    for (kind, ns, _), doc in index.items():
        if kind in WORKLOADS and ns == namespace:
            yield doc


def _selected(selector: dict[str, str], index: dict, namespace: str | None) -> list[dict]:
    return [w for w in _pods(index, namespace)
            if selector.items() <= w["spec"]["template"]["metadata"].get("labels", {}).items()]


def container_env(container: dict, namespace: str | None, index: dict) -> tuple[dict, list]:
    """The environment a container starts with: the image's ENV, then envFrom,
    then env; and what it refers to that does not exist."""
    env, missing = dict(dockerfile_env()), []
    for source in container.get("envFrom", []):
        for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if ref in source:
                target = index.get((kind, namespace, source[ref]["name"]))
                if target is None:
                    missing.append(f"envFrom {kind} {source[ref]['name']} does not exist")
                else:
                    env.update(_data(target))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        for kind, ref in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            key_ref = item.get("valueFrom", {}).get(ref)
            if key_ref:
                data = _data(index.get((kind, namespace, key_ref["name"])) or {})
                if key_ref["key"] in data:
                    env[item["name"]] = data[key_ref["key"]]
                else:
                    missing.append(f"{item['name']} refers to {kind} {key_ref['name']} "
                                   f"key {key_ref['key']}, which does not exist")
    return env, missing


def _data(doc: dict) -> dict[str, str]:
    # Secret data (base64) is not used here; stringData is what a person writes.
    return {**doc.get("data", {}), **doc.get("stringData", {})}


def _settings_keys(doc: dict, _index: dict) -> list[str]:
    return [f"{n} is not a hub setting" for n in unknown_settings(list(_data(doc)))]


def _workload(doc: dict, index: dict) -> list[str]:
    namespace, spec = doc["metadata"].get("namespace"), doc["spec"]
    template = spec["template"]
    labels = template["metadata"].get("labels", {})
    problems = []
    selector = spec.get("selector", {}).get("matchLabels")
    if doc["kind"] == "Deployment" and not selector.items() <= labels.items():
        problems.append(f"selector {selector} does not match its pods' labels {labels}")
    scaled = any(kind == "HorizontalPodAutoscaler" and ns == namespace and
                 hpa["spec"]["scaleTargetRef"]["name"] == doc["metadata"]["name"]
                 for (kind, ns, _), hpa in index.items())
    if scaled and "replicas" in spec:
        problems.append("sets replicas, which its autoscaler owns: every `kubectl apply` "
                        "would reset the count")
    annotations = template["metadata"].get("annotations", {})
    for container in template["spec"]["containers"]:
        problems += [f"{container['name']}: {p}"
                     for p in _container(container, template["spec"], namespace, index,
                                         annotations)]
    return problems


def _container(container: dict, pod: dict, namespace: str | None, index: dict,
               annotations: dict[str, str]) -> list[str]:
    try:
        part = cli_part(container.get("command", []) + container.get("args", []))
    except ValueError as err:
        return [str(err)]
    env, problems = container_env(container, namespace, index)
    problems += [f"{n} is not a hub setting" for n in unknown_settings(list(env))]
    settings, refused = settings_problem(env)
    if refused:
        return [*problems, f"`hub {part}` would not start: {refused}"]
    resources = container.get("resources", {})
    if not {"cpu", "memory"} <= resources.get("requests", {}).keys() or \
            "memory" not in resources.get("limits", {}):
        problems.append("needs cpu and memory requests and a memory limit")
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    for probe_name in PROBES:
        if probe_name in container:
            problem = _probe(container[probe_name], ports, part, settings)
            if problem:
                problems.append(f"{probe_name}: {problem}")
    if annotations.get("prometheus.io/scrape") == "true":
        problem = probe_problem(part, settings, "http", int(annotations["prometheus.io/port"]),
                                annotations.get("prometheus.io/path", "/metrics"),
                                from_outside=True)
        if problem:
            problems.append(f"Prometheus' scrape: {problem}")
    if part == "worker" and "HUB_KAFKA_SESSION_TIMEOUT_S" not in env:
        problems.append("a worker needs a session timeout of its own (HUB_KAFKA_SESSION_TIMEOUT_S)"
                        " so that rolling restarts and pauses do not rebalance the group")
    if part in ("worker", "dispatcher"):
        problems += _state_problems(container, pod, settings)
    return problems


def _probe(probe: dict, ports: dict, part: str, settings: Settings) -> str | None:
    if "httpGet" in probe:
        protocol, target, path = "http", probe["httpGet"]["port"], probe["httpGet"].get("path")
    elif "tcpSocket" in probe:
        protocol, target, path = "tcp", probe["tcpSocket"]["port"], None
    else:
        return "the checks know httpGet and tcpSocket probes only"
    if isinstance(target, str):
        if target not in ports:
            return f"port {target!r} is not a port of the container"
        target = ports[target]
    return probe_problem(part, settings, protocol, target, path, from_outside=True)


def _state_problems(container: dict, pod: dict, settings: Settings) -> list[str]:
    read_only = container.get("securityContext", {}).get("readOnlyRootFilesystem")
    mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
    state = str(settings.hub_path)
    if read_only and not any(state == m or state.startswith(m.rstrip("/") + "/")
                             for m in mounts):
        return [f"HUB_STATE_DIR {state} is on the read-only root filesystem: mount a volume"]
    return []


def _service(doc: dict, index: dict) -> list[str]:
    namespace, spec = doc["metadata"].get("namespace"), doc["spec"]
    pods = _selected(spec.get("selector", {}), index, namespace)
    if len(pods) != 1:
        return [f"selector {spec.get('selector')} selects {len(pods)} workloads, not one"]
    containers = pods[0]["spec"]["template"]["spec"]["containers"]
    names = {p.get("name") for c in containers for p in c.get("ports", [])}
    numbers = {p["containerPort"] for c in containers for p in c.get("ports", [])}
    return [f"port {port['port']} targets {port.get('targetPort', port['port'])!r}, which "
            f"no container of {pods[0]['metadata']['name']} opens"
            for port in spec["ports"]
            if port.get("targetPort", port["port"]) not in names | numbers]


def _pdb(doc: dict, index: dict) -> list[str]:
    pods = _selected(doc["spec"]["selector"].get("matchLabels", {}), index,
                     doc["metadata"].get("namespace"))
    if len(pods) != 1 or pods[0]["kind"] != "Deployment":
        return [f"selects {len(pods)} workloads, not one Deployment"]
    minimum, replicas = doc["spec"].get("minAvailable"), pods[0]["spec"].get("replicas", 1)
    if isinstance(minimum, int) and minimum >= replicas:
        return [f"minAvailable {minimum} of {replicas} replicas: no node could ever be drained"]
    return []


def _hpa(doc: dict, index: dict) -> list[str]:
    namespace, spec = doc["metadata"].get("namespace"), doc["spec"]
    ref = spec["scaleTargetRef"]
    target = index.get((ref["kind"], namespace, ref["name"]))
    if target is None:
        return [f"scales {ref['kind']}/{ref['name']}, which does not exist"]
    container = target["spec"]["template"]["spec"]["containers"][0]
    settings, refused = settings_problem(container_env(container, namespace, index)[0])
    if refused:
        return [f"its target would not start: {refused}"]
    problems = []
    if spec["maxReplicas"] > settings.partitions:
        problems.append(f"maxReplicas {spec['maxReplicas']} above HUB_PARTITIONS="
                        f"{settings.partitions}: the extra workers would stand idle")
    for metric in spec.get("metrics", []):
        if metric["type"] != "External":
            continue
        name = metric["external"]["metric"]["name"]
        selector = metric["external"]["metric"].get("selector", {}).get("matchLabels", {})
        if name not in SCALING_METRICS:
            problems.append(f"external metric {name} is not one the hub exports")
        elif not selector.keys() <= SCALING_METRICS[name]:
            unknown = sorted(selector.keys() - SCALING_METRICS[name])
            problems.append(f"{name} has no label {unknown}")
        elif selector.get("stage", settings.worker_id) != settings.worker_id or \
                selector.get("topic", INTAKE) != INTAKE:
            problems.append(f"{name}{selector} is not the router's lag on {INTAKE} "
                            f"(stage {settings.worker_id})")
    return problems
