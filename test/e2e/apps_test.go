package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestDeployments: every kubectl 1.27–1.33 creates, scales, describes
// and lists Deployments and asks for their rollout history, as against
// kube-apiserver without kube-controller-manager (no ReplicaSets appear:
// rolling out is the controller manager's).
func TestDeployments(t *testing.T) {
	p := startBinary(t, "", nil)
	for name, bin := range kubectls(t) {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bin, kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
			d := "web-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "deployment", d, "--image=nginx:1.27", "--replicas=2", "--port=80")
			if out := k.run("get", "deploy", d, "-o", "jsonpath={.spec.replicas} {.metadata.generation} {.spec.template.spec.containers[0].imagePullPolicy} {.spec.strategy.rollingUpdate.maxSurge}"); out != "2 1 IfNotPresent 25%" {
				t.Errorf("created deployment: %q", out)
			}
			k.run("scale", "deployment", d, "--replicas=3")
			if out := k.run("get", "deploy", d, "-o", "jsonpath={.spec.replicas} {.metadata.generation}"); out != "3 2" {
				t.Errorf("after scale: %q", out)
			}
			if out := k.run("get", "deploy", d, "-o", "wide"); !strings.Contains(out, "0/3") || !strings.Contains(out, "nginx:1.27") || !strings.Contains(out, "app="+d) {
				t.Errorf("get -o wide:\n%s", out)
			}
			if out := k.run("rollout", "history", "deployment", d); !strings.Contains(out, "deployment.apps/"+d) {
				t.Errorf("rollout history:\n%s", out)
			}
			out := strings.Join(strings.Fields(k.run("describe", "deployment", d)), " ")
			for _, want := range []string{"Name: " + d, "Replicas: 3 desired | 0 updated | 0 total | 0 available | 0 unavailable", "StrategyType: RollingUpdate", "Image: nginx:1.27"} {
				if !strings.Contains(out, want) {
					t.Errorf("describe lacks %q:\n%s", want, out)
				}
			}
			if out := k.run("get", "all"); !strings.Contains(out, "deployment.apps/"+d) || !strings.Contains(out, "service/kubernetes") {
				t.Errorf("get all:\n%s", out)
			}
			if out, err := k.try("set", "image", "deployment/"+d, "nginx=nginx:1.28"); err != nil {
				t.Errorf("set image: %v\n%s", err, out)
			}
			if out, err := k.stdinTry(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`, "create", "-f", "-"); err == nil ||
				!strings.Contains(out, "The Deployment \"bad\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`") {
				t.Errorf("invalid deployment: %v\n%s", err, out)
			}
			hpa := "hpa-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"`+hpa+`"},"spec":{"maxReplicas":3,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"`+d+`"}}}`, "create", "-f", "-")
			if out := strings.Join(strings.Fields(k.run("get", "hpa", hpa)), " "); !strings.Contains(out, hpa+" Deployment/"+d+" cpu: <unknown>/80% 1 3 0") {
				t.Errorf("get hpa: %s", out)
			}
			k.run("delete", "hpa", hpa)
			// kubectl autoscale writes autoscaling/v1 (v2 from kubectl 1.34).
			k.run("autoscale", "deployment", d, "--max=5", "--cpu-percent=60", "--name="+hpa)
			if out := strings.Join(strings.Fields(k.run("get", "hpa", hpa)), " "); !strings.Contains(out, hpa+" Deployment/"+d+" cpu: <unknown>/60% 1 5 0") {
				t.Errorf("get hpa after autoscale: %s", out)
			}
			if out := k.run("get", "hpa.v2.autoscaling", hpa, "-o", "jsonpath={.spec.metrics[0].resource.target.averageUtilization}"); out != "60" {
				t.Errorf("the autoscaler through autoscaling/v2: %q", out)
			}
			k.run("delete", "hpa", hpa)
			k.run("delete", "deployment", d)

			sts, ds := "sts-"+strings.ReplaceAll(name, ".", "-"), "ds-"+strings.ReplaceAll(name, ".", "-")
			workload := `{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`
			k.stdin(`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"`+sts+`"},"spec":`+workload+`}`, "create", "-f", "-")
			k.stdin(`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"`+ds+`"},"spec":`+workload+`}`, "create", "-f", "-")
			k.run("scale", "statefulset", sts, "--replicas=3")
			if out := strings.Join(strings.Fields(k.run("get", "sts", sts)), " "); !strings.Contains(out, sts+" 0/3") {
				t.Errorf("get sts: %s", out)
			}
			if out, err := k.try("rollout", "history", "statefulset", sts); err != nil {
				t.Errorf("rollout history of a StatefulSet: %v\n%s", err, out)
			}
			if out := strings.Join(strings.Fields(k.run("get", "ds", ds)), " "); !strings.Contains(out, ds+" 0 0 0 0 0 <none>") {
				t.Errorf("get ds: %s", out)
			}
			if out := k.run("get", "all"); !strings.Contains(out, "statefulset.apps/"+sts) || !strings.Contains(out, "daemonset.apps/"+ds) {
				t.Errorf("get all:\n%s", out)
			}
			k.run("delete", "sts", sts)
			k.run("delete", "ds", ds)
		})
	}
}

// TestOperatorOwningDeployment: a controller-runtime operator that owns
// Deployments (For ConfigMaps, Owns Deployments) starts, creates one
// Deployment per ConfigMap with a controller reference, recreates it when
// it is deleted, and the garbage collector deletes it with its owner.
func TestOperatorOwningDeployment(t *testing.T) {
	p := startBinary(t, "", nil)
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	log.SetLogger(zap.New(zap.WriteTo(testWriter{t})))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mgr.GetClient()
	err = ctrl.NewControllerManagedBy(mgr).Named("shop-operator").For(&corev1.ConfigMap{}).Owns(&appsv1.Deployment{}).Complete(reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, req.NamespacedName, &cm); err != nil || cm.Labels["app"] == "" {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: cm.Name, Namespace: cm.Namespace}}
		_, err := controllerutil.CreateOrUpdate(ctx, c, d, func() error {
			labels := map[string]string{"app": cm.Labels["app"]}
			d.Spec.Replicas = ptr.To(int32(1))
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
			d.Spec.Template.Labels = labels
			d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: cm.Data["image"]}}
			return controllerutil.SetControllerReference(&cm, d, mgr.GetScheme())
		})
		return reconcile.Result{}, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	cs := clientset(t, p)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "default", Labels: map[string]string{"app": "shop"}}, Data: map[string]string{"image": "shop:1"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deployment := func() *appsv1.Deployment {
		d, err := cs.AppsV1().Deployments("default").Get(t.Context(), "shop", metav1.GetOptions{})
		if err != nil {
			return nil
		}
		return d
	}
	waitUntil(t, 30*time.Second, "the operator's Deployment", func() bool {
		d := deployment()
		return d != nil && len(d.OwnerReferences) == 1 && d.OwnerReferences[0].Name == "shop" && d.Spec.Template.Spec.Containers[0].Image == "shop:1"
	})
	first := deployment().UID
	if err := cs.AppsV1().Deployments("default").Delete(t.Context(), "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the Deployment recreated", func() bool {
		d := deployment()
		return d != nil && d.UID != first
	})
	if err := cs.CoreV1().ConfigMaps("default").Delete(t.Context(), "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the Deployment collected with its owner", func() bool {
		_, err := cs.AppsV1().Deployments("default").Get(t.Context(), "shop", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

// TestJobsAndCronJobs: every kubectl 1.27–1.33 creates Jobs and CronJobs,
// a Job from a CronJob, lists and describes them, as against
// kube-apiserver without kube-controller-manager (no Pods run).
func TestJobsAndCronJobs(t *testing.T) {
	p := startBinary(t, "", nil)
	for name, bin := range kubectls(t) {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bin, kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
			j := "job-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "job", j, "--image=busybox", "--", "echo", "hi")
			uid := k.run("get", "job", j, "-o", "jsonpath={.metadata.uid}")
			if out := k.run("get", "job", j, "-o", "jsonpath={.spec.selector.matchLabels.batch\\.kubernetes\\.io/controller-uid} {.spec.template.metadata.labels.job-name} {.spec.backoffLimit} {.spec.template.spec.restartPolicy}"); out != uid+" "+j+" 6 Never" {
				t.Errorf("created job: %q", out)
			}
			if out := k.run("get", "jobs", "-o", "wide"); !strings.Contains(out, j) || !strings.Contains(out, "Running") || !strings.Contains(out, "0/1") {
				t.Errorf("get jobs:\n%s", out)
			}
			cj := "cron-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "cronjob", cj, "--image=busybox", "--schedule=*/5 * * * *", "--", "echo", "hi")
			k.run("create", "job", cj+"-now", "--from=cronjob/"+cj)
			if out := k.run("get", "job", cj+"-now", "-o", "jsonpath={.metadata.ownerReferences[0].kind} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}"); out != "CronJob manual" {
				t.Errorf("job from a cronjob: %q", out)
			}
			if out := strings.Join(strings.Fields(k.run("describe", "cronjob", cj)), " "); !strings.Contains(out, "Schedule: */5 * * * *") || !strings.Contains(out, "Concurrency Policy: Allow") {
				t.Errorf("describe cronjob:\n%s", out)
			}
			if out := strings.Join(strings.Fields(k.run("describe", "job", j)), " "); !strings.Contains(out, "Completions: 1") || !strings.Contains(out, "Parallelism: 1") {
				t.Errorf("describe job:\n%s", out)
			}
			if out := k.run("get", "all"); !strings.Contains(out, "job.batch/"+j) || !strings.Contains(out, "cronjob.batch/"+cj) {
				t.Errorf("get all:\n%s", out)
			}
			if out, err := k.try("patch", "job", j, "--type=merge", "-p", `{"spec":{"completions":5}}`); err == nil ||
				!strings.Contains(out, `The Job "`+j+`" is invalid: spec.completions: Invalid value: 5: field is immutable`) {
				t.Errorf("changing completions: %v\n%s", err, out)
			}
			if out, err := k.stdinTry(`{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"bad"},"spec":{"schedule":"bad","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}}}`, "create", "-f", "-"); err == nil ||
				!strings.Contains(out, `The CronJob "bad" is invalid: spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]`) {
				t.Errorf("a bad schedule: %v\n%s", err, out)
			}
			// Deleting the CronJob takes the Job made from it (garbage collection).
			k.run("delete", "cronjob", cj)
			waitUntil(t, 20*time.Second, "the CronJob's Job collected", func() bool {
				_, err := k.try("get", "job", cj+"-now")
				return err != nil
			})
			k.run("delete", "job", j)
		})
	}
}

// certificateRequest is a PEM certificate request of a new key.
func certificateRequest(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestQuotasAndPodTemplates: every kubectl 1.27–1.33 creates, lists and
// describes ResourceQuotas (their status counted in-process), PodTemplates, PodDisruptionBudgets and
// StorageClasses, approves CertificateSigningRequests and cordons Nodes,
// with kube-apiserver 1.31's columns and messages.
func TestQuotasAndPodTemplates(t *testing.T) {
	p := startBinary(t, "", nil)
	for name, bin := range kubectls(t) {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bin, kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
			q := "q-" + strings.ReplaceAll(name, ".", "-")
			// The quota's status is counted in-process, as
			// kube-controller-manager counts it: a Pod's requests and
			// limits show up.
			qns := "quota-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "namespace", qns)
			k.run("-n", qns, "create", "quota", q, "--hard=cpu=1,memory=2G,pods=2,limits.memory=2Gi")
			waitUntil(t, 10*time.Second, "the default ServiceAccount", func() bool {
				_, err := k.try("-n", qns, "get", "serviceaccount", "default")
				return err == nil
			})
			k.run("-n", qns, "run", "consumer", "--image=nginx",
				`--overrides={"spec":{"containers":[{"name":"consumer","image":"nginx","resources":{"requests":{"cpu":"500m"},"limits":{"memory":"1Gi"}}}]}}`)
			var out string
			waitUntil(t, 20*time.Second, "the quota counting the Pod", func() bool {
				out = strings.Join(strings.Fields(k.run("-n", qns, "get", "quota", q)), " ")
				return strings.Contains(out, "cpu: 500m/1, memory: 1Gi/2G, pods: 1/2 limits.memory: 1Gi/2Gi")
			})
			if out := strings.Join(strings.Fields(k.run("-n", qns, "describe", "quota", q)), " "); !strings.Contains(out, "cpu 500m 1") || !strings.Contains(out, "pods 1 2") {
				t.Errorf("describe quota: %s", out)
			}
			if out, err := k.try("create", "quota", "bad", "--hard=foo=1"); err == nil || !strings.Contains(out, "spec.hard[foo]: Invalid value: foo: must be a standard resource for quota") {
				t.Errorf("a bad quota: %v\n%s", err, out)
			}
			// The quota is enforced on create, as kube-apiserver's
			// ResourceQuota admission plugin enforces it.
			if out, err := k.try("-n", qns, "run", "unstated", "--image=nginx"); err == nil || !strings.Contains(out, "failed quota: "+q+": must specify cpu for: unstated; limits.memory for: unstated; memory for: unstated") {
				t.Errorf("a Pod without requests: %v\n%s", err, out)
			}
			if out, err := k.try("-n", qns, "run", "too-much", "--image=nginx",
				`--overrides={"spec":{"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"800m"},"limits":{"memory":"100Mi"}}}]}}`); err == nil ||
				!strings.Contains(out, "exceeded quota: "+q+", requested: cpu=800m, used: cpu=500m, limited: cpu=1") {
				t.Errorf("a Pod over the quota: %v\n%s", err, out)
			}
			pt := "pt-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"v1","kind":"PodTemplate","metadata":{"name":"`+pt+`"},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`, "create", "-f", "-")
			if out := strings.Join(strings.Fields(k.run("get", "podtemplates", pt)), " "); !strings.Contains(out, pt+" x i a=b") {
				t.Errorf("get podtemplates: %s", out)
			}
			pdb := "pdb-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "pdb", pdb, "--selector=app=a", "--min-available=1")
			if out := strings.Join(strings.Fields(k.run("get", "pdb", pdb)), " "); !strings.Contains(out, pdb+" 1 N/A 0") {
				t.Errorf("get pdb: %s", out)
			}
			sc := "sc-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"`+sc+`"},"provisioner":"example.com/x"}`, "create", "-f", "-")
			if out := strings.Join(strings.Fields(k.run("get", "sc", sc)), " "); !strings.Contains(out, sc+" example.com/x Delete Immediate false") {
				t.Errorf("get sc: %s", out)
			}
			if out, err := k.try("patch", "sc", sc, "--type=merge", "-p", `{"provisioner":"example.com/y"}`); err == nil ||
				!strings.Contains(out, "provisioner: Forbidden: updates to provisioner are forbidden.") {
				t.Errorf("changing the provisioner: %v\n%s", err, out)
			}
			csr := "csr-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"`+csr+`"},"spec":{"request":"`+
				base64.StdEncoding.EncodeToString(certificateRequest(t))+`","signerName":"example.com/signer","usages":["client auth"]}}`, "create", "-f", "-")
			k.run("certificate", "approve", csr)
			if out := strings.Join(strings.Fields(k.run("get", "csr", csr)), " "); !strings.Contains(out, "example.com/signer admin <none> Approved") {
				t.Errorf("get csr: %s", out)
			}
			if out, err := k.try("certificate", "deny", csr); err == nil || !strings.Contains(out, "already Approved") {
				t.Errorf("denying an approved request: %v\n%s", err, out)
			}
			k.run("delete", "csr", csr)
			node := "node-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"`+node+`"},"status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.31.0"}}}`, "create", "-f", "-")
			k.run("cordon", node)
			if out := strings.Join(strings.Fields(k.run("get", "node", node)), " "); !strings.Contains(out, node+" Ready,SchedulingDisabled <none>") {
				t.Errorf("get node: %s", out)
			}
			k.run("delete", "node", node)
			rc := "rc-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"`+rc+`"},"spec":{"template":{"metadata":{"labels":{"rc":"`+rc+`"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`, "create", "-f", "-")
			k.run("scale", "rc", rc, "--replicas=2")
			if out := strings.Join(strings.Fields(k.run("get", "rc", rc)), " "); !strings.Contains(out, rc+" 2 0 0") {
				t.Errorf("get rc: %s", out)
			}
			k.run("delete", "rc", rc)
			pvc := "pvc-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"`+pvc+`"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}`, "create", "-f", "-")
			if out := strings.Join(strings.Fields(k.run("get", "pvc", pvc)), " "); !strings.Contains(out, pvc+" Pending") {
				t.Errorf("get pvc: %s", out)
			}
			k.run("delete", "pvc", pvc)
			if out := strings.Join(strings.Fields(k.run("get", "componentstatuses")), " "); !strings.Contains(out, "etcd-0 Healthy ok") || !strings.Contains(out, "deprecated") {
				t.Errorf("get componentstatuses: %s", out)
			}
			k.run("-n", qns, "delete", "quota", q)
			k.run("delete", "podtemplate", pt)
			k.run("delete", "pdb", pdb)
			k.run("delete", "sc", sc)
		})
	}
}
