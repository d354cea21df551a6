"""deploy/k8s/: valid by the Kubernetes API's schemas (offline, strict: an
unknown field is an error), and sound where a schema cannot look
(tests/deploy/k8s_checks.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import httpx
import kubernetes_validate
import pytest
import yaml

from tests.deploy.k8s_checks import container_env, k8s_problems
from tests.deploy.parts import DEPLOY, cli_part, settings_from

K8S = DEPLOY / "k8s"
# The oldest Kubernetes these manifests promise to fit (autoscaling/v2 and
# policy/v1 are older still); kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.30.0"


def _docs() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def _find(docs: list[dict], kind: str, name: str) -> dict:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _container(docs: list[dict], name: str) -> dict:
    return _find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_manifest_follows_the_kubernetes_schema(doc):
    # A kind without a schema raises SchemaNotFoundError: a failure, not a pass.
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.update(readinesProbe=c.pop("readinessProbe")), "'readinesProbe' was unexpected"),
    (lambda c: c["ports"][0].update(containerPort="8080"), "'8080' is not of type 'integer'"),
    (lambda c: c["resources"]["limits"].update(memory=["512Mi"]), "is not valid"),
])
def test_the_schema_refuses_a_broken_manifest(change, message):
    doc = copy.deepcopy(_find(_docs(), "Deployment", "hub-gateway"))
    change(doc["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(kubernetes_validate.ValidationError) as caught:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert message in caught.value.message


def test_every_part_of_the_hub_and_its_topics_job():
    docs = _docs()
    parts = {d["metadata"]["name"]: cli_part(d["spec"]["template"]["spec"]["containers"][0]
                                             ["command"])
             for d in docs if d["kind"] in ("Deployment", "Job")}
    assert parts == {"hub-topics": "topics create", "hub-gateway": "gateway", "hub-smtp": "smtp",
                     "hub-worker": "worker", "hub-dispatcher": "dispatcher"}
    assert {d["kind"] for d in docs} >= {"Namespace", "ConfigMap", "Secret", "Service",
                                         "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    settings = settings_from(container_env(_container(docs, "hub-worker"), "hub", {
        (d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d for d in docs})[0])
    assert (settings.env, settings.session_timeout_s, settings.metrics_host) == (
        "production", 30, "0.0.0.0")


def test_the_manifests_hold_together():
    assert k8s_problems(_docs()) == []


def _in(kind: str, name: str, change: Callable[[dict], None]) -> Callable[[list], None]:
    return lambda docs: change(_find(docs, kind, name))


def _pod(name: str, change: Callable[[dict], None]) -> Callable[[list], None]:
    return _in("Deployment", name, lambda d: change(d["spec"]["template"]["spec"]["containers"][0]))


def _config(**data: str) -> Callable[[list], None]:
    return _in("ConfigMap", "hub-config", lambda d: d["data"].update(data))


@pytest.mark.parametrize(("change", "problem"), [
    (_in("Deployment", "hub-gateway",
         lambda d: d["spec"]["selector"]["matchLabels"].update(tier="web")),
     "Deployment/hub-gateway: selector"),
    (_in("Service", "hub-gateway",
         lambda d: d["spec"]["selector"].update({"app.kubernetes.io/component": "gw"})),
     "Service/hub-gateway: selector"),
    (_in("Service", "hub-smtp", lambda d: d["spec"]["selector"].pop(
        "app.kubernetes.io/component")), "Service/hub-smtp: selector"),
    (_in("Service", "hub-gateway", lambda d: d["spec"]["ports"][0].update(targetPort="web")),
     "Service/hub-gateway: port 80 targets 'web'"),
    (_in("PodDisruptionBudget", "hub-smtp", lambda d: d["spec"].update(minAvailable=2)),
     "PodDisruptionBudget/hub-smtp: minAvailable 2 of 2 replicas"),
    (_in("HorizontalPodAutoscaler", "hub-worker", lambda d: d["spec"].update(maxReplicas=20)),
     "HorizontalPodAutoscaler/hub-worker: maxReplicas 20 above HUB_PARTITIONS=12"),
    (_in("HorizontalPodAutoscaler", "hub-worker", lambda d: d["spec"]["metrics"][0]["external"]
         ["metric"].update(name="kafka_consumergroup_lag")),
     "HorizontalPodAutoscaler/hub-worker: external metric kafka_consumergroup_lag"),
    (_in("HorizontalPodAutoscaler", "hub-worker", lambda d: d["spec"]["metrics"][0]["external"]
         ["metric"]["selector"]["matchLabels"].update(stage="hub-dispatcher")),
     "HorizontalPodAutoscaler/hub-worker: hub_stream_lag{'stage': 'hub-dispatcher'"),
    (_in("HorizontalPodAutoscaler", "hub-worker", lambda d: d["spec"]["metrics"][0]["external"]
         ["metric"]["selector"]["matchLabels"].update(group="hub-worker")),
     "HorizontalPodAutoscaler/hub-worker: hub_stream_lag has no label ['group']"),
    (_in("HorizontalPodAutoscaler", "hub-worker",
         lambda d: d["spec"]["scaleTargetRef"].update(name="worker")),
     "HorizontalPodAutoscaler/hub-worker: scales Deployment/worker, which does not exist"),
    (_config(HUB_PARTITION="12"), "ConfigMap/hub-config: HUB_PARTITION is not a hub setting"),
    (_in("Secret", "hub-secrets", lambda d: d["stringData"].update(HUB_QR_SECRET="hubdevqrsecret")),
     "Deployment/hub-gateway: gateway: `hub gateway` would not start"),
    (_config(HUB_WORKER_METRICS_PORT="9100"),
     "Deployment/hub-worker: worker: startupProbe: probes port 9091, `hub worker` listens on 9100"),
    (_config(HUB_METRICS_HOST="127.0.0.1"),
     "Deployment/hub-dispatcher: dispatcher: readinessProbe: `hub dispatcher` listens on "
     "127.0.0.1 only"),
    (_in("ConfigMap", "hub-config", lambda d: d["data"].pop("HUB_KAFKA_SESSION_TIMEOUT_S")),
     "Deployment/hub-worker: worker: a worker needs a session timeout"),
    (_pod("hub-gateway", lambda c: c["readinessProbe"]["httpGet"].update(path="/ready")),
     "Deployment/hub-gateway: gateway: readinessProbe: `hub gateway` serves no /ready"),
    (_pod("hub-gateway", lambda c: c["readinessProbe"]["httpGet"].update(path="/readyz?scope=x")),
     "Deployment/hub-gateway: gateway: readinessProbe: /readyz?scope= takes"),
    (_pod("hub-gateway", lambda c: c["livenessProbe"]["httpGet"].update(port=9091)),
     "Deployment/hub-gateway: gateway: livenessProbe: probes port 9091"),
    (_pod("hub-worker", lambda c: c["livenessProbe"]["httpGet"].update(port="http")),
     "Deployment/hub-worker: worker: livenessProbe: port 'http' is not a port"),
    (_pod("hub-worker", lambda c: c["livenessProbe"]["httpGet"].update(path="/healthz")),
     "Deployment/hub-worker: worker: livenessProbe: `hub worker` serves no /healthz"),
    (_pod("hub-smtp", lambda c: c.update(livenessProbe={"httpGet": {"path": "/healthz",
                                                                    "port": "smtp"}})),
     "Deployment/hub-smtp: smtp: livenessProbe: `hub smtp` serves no HTTP"),
    (_pod("hub-worker", lambda c: c.pop("volumeMounts")),
     "Deployment/hub-worker: worker: HUB_STATE_DIR /var/lib/hub is on the read-only"),
    (_pod("hub-dispatcher", lambda c: c["envFrom"][1]["secretRef"].update(name="hub-secret")),
     "Deployment/hub-dispatcher: dispatcher: envFrom Secret hub-secret does not exist"),
    (_pod("hub-smtp", lambda c: c.update(env=[{"name": "HUB_LOG_LEVEL", "valueFrom": {
        "configMapKeyRef": {"name": "hub-config", "key": "LOG_LEVEL"}}}])),
     "Deployment/hub-smtp: smtp: HUB_LOG_LEVEL refers to ConfigMap hub-config key LOG_LEVEL"),
    (_pod("hub-worker", lambda c: c.update(command=["hub", "work"])),
     "Deployment/hub-worker: worker: hub work: the hub CLI has no 'work'"),
    (_in("Deployment", "hub-worker", lambda d: d["spec"].update(replicas=2)),
     "Deployment/hub-worker: sets replicas, which its autoscaler owns"),
    (_in("Deployment", "hub-dispatcher", lambda d: d["spec"]["template"]["metadata"]
         ["annotations"].update({"prometheus.io/port": "9091"})),
     "Deployment/hub-dispatcher: dispatcher: Prometheus' scrape: probes port 9091, "
     "`hub dispatcher` listens on 9093"),
    (_in("Deployment", "hub-gateway", lambda d: d["spec"]["template"]["metadata"]
         ["annotations"].update({"prometheus.io/path": "/stats"})),
     "Deployment/hub-gateway: gateway: Prometheus' scrape: `hub gateway` serves no /stats"),
    (_pod("hub-gateway", lambda c: c["resources"].pop("limits")),
     "Deployment/hub-gateway: gateway: needs cpu and memory requests and a memory limit"),
])
def test_a_broken_manifest_is_refused_with_the_reason(change, problem):
    docs = copy.deepcopy(_docs())
    change(docs)
    problems = k8s_problems(docs)
    assert any(p.startswith(problem) for p in problems), problems


def test_the_gateway_answers_its_probes(gateway):
    # The session's real gateway (topics created) asked what kubelet would ask.
    container = _container(_docs(), "hub-gateway")
    for probe in ("readinessProbe", "livenessProbe"):
        reply = httpx.get(f"{gateway}{container[probe]['httpGet']['path']}", timeout=10)
        assert reply.status_code == 200, (probe, reply.text)
    assert reply.json() == {"status": "ok"}


def test_files_apply_in_order():
    # `kubectl apply -f deploy/k8s/` goes by file name: the namespace, the
    # settings, the topics' Job, then the parts.
    first_kinds = [next(yaml.safe_load_all(p.read_text()))["kind"]
                   for p in sorted(K8S.glob("*.yaml"))]
    assert first_kinds == ["Namespace", "ConfigMap", "Secret", "Job", "Deployment", "Deployment",
                           "Deployment", "Deployment"]
