package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	clientfeatures "k8s.io/client-go/features"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
)

func clientset(t *testing.T, p *process) *kubernetes.Clientset {
	t.Helper()
	return clientsetFor(t, p, "")
}

// encodings are the content types a typed client may use: JSON, and the
// protobuf every typed client-go client sends since 0.32; with protobuf
// the client accepts nothing else, so every answer must be protobuf.
var encodings = []string{"application/json", "application/vnd.kubernetes.protobuf"}

// clientsetFor is a client of p that sends and accepts contentType only
// (client-go's default when empty).
func clientsetFor(t *testing.T, p *process, contentType string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	if contentType != "" {
		cfg.ContentType, cfg.AcceptContentTypes = contentType, contentType
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestClientGoCRUD(t *testing.T) {
	p := startBinary(t, "", nil)
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) { clientGoCRUD(t, clientsetFor(t, p, enc)) })
	}
}

func clientGoCRUD(t *testing.T, cs *kubernetes.Clientset) {
	ctx := t.Context()
	cms := cs.CoreV1().ConfigMaps("default")
	created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "crud-"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() || len(created.Name) != len("crud-")+5 {
		t.Errorf("created object lacks server fields: %+v", created.ObjectMeta)
	}
	got, err := cms.Get(ctx, created.Name, metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("get = %v, %v", got, err)
	}
	got.Data["k"] = "w"
	updated, err := cms.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil || updated.ResourceVersion == got.ResourceVersion {
		t.Fatalf("update = %v, %v", updated, err)
	}
	got.Data["k"] = "stale"
	if _, err := cms.Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update with a stale resourceVersion = %v, want Conflict", err)
	}
	if err := cms.Delete(ctx, created.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := cms.Get(ctx, created.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete = %v, want NotFound", err)
	}

	secrets := cs.CoreV1().Secrets("default")
	s, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"}, StringData: map[string]string{"user": "admin"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	if string(s.Data["user"]) != "admin" || len(s.StringData) != 0 || s.Type != corev1.SecretTypeOpaque {
		t.Errorf("secret = data %q stringData %v type %q; want stringData folded into data, type Opaque", s.Data, s.StringData, s.Type)
	}
	list, err := secrets.List(ctx, metav1.ListOptions{FieldSelector: "type=Opaque"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("list secrets by type = %v, %v", list, err)
	}
	if err := secrets.Delete(ctx, "creds", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestInformerConverges drives 1,000 adds, 1,000 updates and 500 deletes
// through the API while an informer watches; its cache must end equal to a
// fresh list.
func TestInformerConverges(t *testing.T) {
	p := startBinary(t, "", nil)
	for i, enc := range encodings {
		t.Run(enc, func(t *testing.T) { informerConverges(t, clientsetFor(t, p, enc), fmt.Sprintf("informer-%d", i)) })
	}
}

func informerConverges(t *testing.T, cs *kubernetes.Clientset, ns string) {
	const n = 1000
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns), informers.WithTweakListOptions(ownOnly))
	inf := factory.Core().V1().ConfigMaps().Informer()
	var adds, updates, deletes atomic.Int64
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { adds.Add(1) },
		UpdateFunc: func(any, any) { updates.Add(1) },
		DeleteFunc: func(any) { deletes.Add(1) },
	})
	factory.Start(ctx.Done())
	defer func() {
		cancel() // Shutdown waits for the informers, which stop with ctx.
		factory.Shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer never synced")
	}
	cms := cs.CoreV1().ConfigMaps(ns)
	t.Log("creating")
	parallel(t, n, func(i int) error {
		_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%04d", i)}, Data: map[string]string{"v": "0"}}, metav1.CreateOptions{})
		return err
	})
	t.Log("patching")
	parallel(t, n, func(i int) error {
		_, err := cms.Patch(ctx, fmt.Sprintf("cm-%04d", i), "application/merge-patch+json", []byte(`{"data":{"v":"1"}}`), metav1.PatchOptions{})
		return err
	})
	t.Log("deleting")
	parallel(t, n/2, func(i int) error {
		return cms.Delete(ctx, fmt.Sprintf("cm-%04d", 2*i), metav1.DeleteOptions{})
	})
	waitUntil(t, 60*time.Second, "informer saw every event", func() bool {
		return adds.Load() >= n && updates.Load() >= n && deletes.Load() >= n/2
	})
	list, err := cms.List(ctx, metav1.ListOptions{FieldSelector: notServerOwned})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, cm := range list.Items {
		want[cm.Name] = cm.ResourceVersion
	}
	got := map[string]string{}
	for _, obj := range inf.GetStore().List() {
		cm := obj.(*corev1.ConfigMap)
		got[cm.Name] = cm.ResourceVersion
		if cm.Data["v"] != "1" {
			t.Errorf("cache holds %s with v=%q, want 1", cm.Name, cm.Data["v"])
		}
	}
	if len(want) != n/2 || len(got) != len(want) {
		t.Fatalf("cache has %d objects, list %d, want %d", len(got), len(want), n/2)
	}
	for name, rv := range want {
		if got[name] != rv {
			t.Errorf("%s: cache resourceVersion %q, list %q", name, got[name], rv)
		}
	}
	t.Logf("events: %d adds, %d updates, %d deletes", adds.Load(), updates.Load(), deletes.Load())
}

// ownOnly makes an informer follow what the test created.
func ownOnly(o *metav1.ListOptions) { o.FieldSelector = notServerOwned }

func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				if err := fn(i); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request failed: %v", err)
	}
}

// TestWatchResumesAfterRestart keeps a client-go RetryWatcher open across a
// server restart: it reconnects from the last resourceVersion it saw and
// gets what happened after, with no gap.
func TestWatchResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	p := startBinaryOnPort(t, port, dir, nil)
	cs := clientset(t, p)
	ctx := t.Context()
	cms := cs.CoreV1().ConfigMaps("default")
	first, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "before"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, first.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return cms.Watch(ctx, opts)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Stop()
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "during"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, rw, "during")

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	p = startBinaryOnPort(t, port, dir, nil)
	cs = clientset(t, p)
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, rw, "after")
}

func expectEvent(t *testing.T, w watch.Interface, name string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	var seen []string
	for {
		select {
		case ev := <-w.ResultChan():
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok {
				seen = append(seen, fmt.Sprintf("%s %T", ev.Type, ev.Object))
				continue
			}
			if cm.Name == name && ev.Type == watch.Added {
				return
			}
			seen = append(seen, string(ev.Type)+" "+cm.Name)
		case <-timeout:
			t.Fatalf("no ADDED event for %s within 30s; saw %v", name, seen)
		}
	}
}

// watchListGates turns client-go's WatchListClient on, as
// KUBE_FEATURE_WatchListClient=true does.
type watchListGates struct{ clientfeatures.Gates }

func (g watchListGates) Enabled(key clientfeatures.Feature) bool {
	return key == clientfeatures.WatchListClient || g.Gates.Enabled(key)
}

// TestInformerWatchList: with client-go's WatchListClient, an informer
// fills its store from one watch with sendInitialEvents (JSON and
// protobuf), with no list.
func TestInformerWatchList(t *testing.T) {
	before := clientfeatures.FeatureGates()
	clientfeatures.ReplaceFeatureGates(watchListGates{before})
	defer clientfeatures.ReplaceFeatureGates(before)
	p := startBinary(t, "", nil)
	admin := adminHTTP(t, p)
	lists := func() int {
		_, body := do(t, admin, "GET", p.URL+"/metrics", "", nil)
		n := 0
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "apiserver_request_total{") && strings.Contains(line, `resource="configmaps"`) && strings.Contains(line, `verb="LIST"`) {
				var v float64
				fmt.Sscan(strings.Fields(line)[1], &v)
				n += int(v)
			}
		}
		return n
	}
	cs := clientset(t, p)
	for i := range 50 {
		if _, err := cs.CoreV1().ConfigMaps("default").Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", i)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			listed := lists()
			ctx, cancel := context.WithCancel(t.Context())
			factory := informers.NewSharedInformerFactoryWithOptions(clientsetFor(t, p, enc), 0, informers.WithNamespace("default"), informers.WithTweakListOptions(ownOnly))
			inf := factory.Core().V1().ConfigMaps().Informer()
			factory.Start(ctx.Done())
			defer func() {
				cancel()
				factory.Shutdown()
			}()
			sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
			defer scancel()
			if !cache.WaitForCacheSync(sctx.Done(), inf.HasSynced) {
				t.Fatal("informer never synced")
			}
			if n := len(inf.GetStore().List()); n != 50 {
				t.Errorf("informer holds %d objects, want 50", n)
			}
			if got := lists() - listed; got != 0 {
				t.Errorf("%d LIST requests: the informer did not use a watch list", got)
			}
		})
	}
}
