package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiserver/apiserver/pkg/certs"
)

const (
	// benchNamespace holds the -objects ConfigMaps of the create, get,
	// update and list phases; watchNamespace the objects of the watch phase,
	// so that its list and watches start empty; crdNamespace the Widgets
	// and ConfigMaps of the crd phase, so that the list phase lists the
	// same objects with or without it.
	benchNamespace = "bench"
	watchNamespace = "bench-watch"
	crdNamespace   = "bench-crd"
)

// objectName is the name of the i-th ConfigMap of the create phase.
func objectName(i int) string { return fmt.Sprintf("cm-%05d", i) }

// configMapJSON is the body of a create (rv empty) or update: a ConfigMap
// with one data value. Names and values are alphanumeric, so they need no
// escaping.
func configMapJSON(name, rv, value string) []byte {
	rvField := ""
	if rv != "" {
		rvField = `,"resourceVersion":"` + rv + `"`
	}
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q%s},"data":{"value":%q}}`, name, rvField, value)
}

// resourceVersionOf reads metadata.resourceVersion of an object or list.
func resourceVersionOf(data []byte) (string, error) {
	var m struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("decoding an answer: %w", err)
	}
	if m.Metadata.ResourceVersion == "" {
		return "", fmt.Errorf("an answer without resourceVersion: %.200s", data)
	}
	return m.Metadata.ResourceVersion, nil
}

// apiBench runs the phases against the apiserver.
type apiBench struct {
	o    options
	srv  measured
	pool *h2Pool
	rvs  []atomic.Pointer[string] // the resourceVersion of each object's last write
	bufs []bytes.Buffer           // one answer buffer per worker
}

func newAPIBench(o options, srv measured, pool *h2Pool) *apiBench {
	return &apiBench{
		o: o, srv: srv, pool: pool,
		rvs:  make([]atomic.Pointer[string], o.objects),
		bufs: make([]bytes.Buffer, max(o.workers(), o.listClients)),
	}
}

// cpu is the CPU time of the apiserver process, its embedded etcd included.
func (a *apiBench) cpu() (time.Duration, error) {
	return a.srv.CPUTime()
}

func collectionPath(ns string) string { return "/api/v1/namespaces/" + ns + "/configmaps" }

// path is the collection the create, get, update and list phases use
// (-resource).
func (a *apiBench) path(ns string) string { return "/api/v1/namespaces/" + ns + "/" + a.o.resource }

// readQuery is the resourceVersion the get and list phases read at
// (-read-rv): none for quorum reads from etcd, "0" for the watch cache.
func (a *apiBench) readQuery() string {
	if a.o.readRV == "" {
		return ""
	}
	return "?resourceVersion=" + a.o.readRV
}

// body is the object those phases write: a ConfigMap as configMapJSON, or
// a Secret holding value under the same key.
func (a *apiBench) body(name, rv, value string) []byte {
	if a.o.resource != "secrets" {
		return configMapJSON(name, rv, value)
	}
	rvField := ""
	if rv != "" {
		rvField = `,"resourceVersion":"` + rv + `"`
	}
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":%q%s},"data":{"value":%q}}`,
		name, rvField, base64.StdEncoding.EncodeToString([]byte(value)))
}

// setup creates the namespaces and sends one request on every
// connection, so that no phase pays for a connection's first stream.
func (a *apiBench) setup(ctx context.Context) error {
	var buf bytes.Buffer
	for _, ns := range []string{benchNamespace, watchNamespace, crdNamespace} {
		body := fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q}}`, ns)
		if err := a.pool.send(ctx, 0, http.MethodPost, "/api/v1/namespaces", body, http.StatusCreated, &buf); err != nil {
			return err
		}
	}
	for i := range a.pool.conns {
		if err := a.pool.send(ctx, i, http.MethodGet, "/api/v1/namespaces/"+benchNamespace, nil, http.StatusOK, &buf); err != nil {
			return err
		}
	}
	return nil
}

// setupUser prepares as the administrator (the pool's certificate) what
// the phases need as -user: the namespaces and
// -role-bindings RoleBindings of the bench namespace, the user's own the
// last; then the pool becomes the user's, once the authorizer lets the
// user read the bench namespace.
func (a *apiBench) setupUser(ctx context.Context, userPair certs.Pair, serverCA string) error {
	if err := a.setup(ctx); err != nil {
		return err
	}
	var buf bytes.Buffer
	path := "/apis/rbac.authorization.k8s.io/v1/namespaces/" + benchNamespace + "/rolebindings"
	for i := range a.o.roleBindings {
		subject := fmt.Sprintf("other-user-%d", i)
		if i == a.o.roleBindings-1 {
			subject = a.o.user
		}
		body := fmt.Appendf(nil, `{"metadata":{"name":"bench-%05d"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":%q}]}`, i, subject)
		if err := a.pool.send(ctx, i, http.MethodPost, path, body, http.StatusCreated, &buf); err != nil {
			return err
		}
	}
	cfg, err := clientTLS(serverCA, userPair)
	if err != nil {
		return err
	}
	pool, err := dialPool(ctx, a.pool.addr, cfg, len(a.pool.conns))
	if err != nil {
		return err
	}
	pool.accept = a.pool.accept
	a.pool.close()
	a.pool = pool
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := a.pool.send(ctx, 0, http.MethodGet, collectionPath(benchNamespace)+"?limit=1", nil, http.StatusOK, &buf)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the user is not allowed yet: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range a.pool.conns {
		if err := a.pool.send(ctx, i, http.MethodGet, collectionPath(benchNamespace)+"?limit=1", nil, http.StatusOK, &buf); err != nil {
			return err
		}
	}
	return nil
}

func (a *apiBench) create(ctx context.Context) (phaseResult, error) {
	value := objectValue(a.o.valueSize, 0)
	return drive(ctx, a.o.workers(), a.o.objects, a.cpu, func(ctx context.Context, w, i int) error {
		buf := &a.bufs[w]
		body := a.body(objectName(i), "", value)
		if err := a.pool.send(ctx, w, http.MethodPost, a.path(benchNamespace), body, http.StatusCreated, buf); err != nil {
			return err
		}
		rv, err := resourceVersionOf(buf.Bytes())
		a.rvs[i].Store(&rv)
		return err
	})
}

func (a *apiBench) get(ctx context.Context) (phaseResult, error) {
	return drive(ctx, a.o.workers(), a.o.gets, a.cpu, func(ctx context.Context, w, _ int) error {
		path := a.path(benchNamespace) + "/" + objectName(rand.IntN(a.o.objects)) + a.readQuery()
		return a.pool.send(ctx, w, http.MethodGet, path, nil, http.StatusOK, &a.bufs[w])
	})
}

// update PUTs object i mod -objects with the resourceVersion of its last
// write and a new value: a compare-and-swap, as client-go's Update is. An
// object is updated again only after -objects other updates, so with
// -objects well above the concurrency no two updates of one object overlap.
func (a *apiBench) update(ctx context.Context) (phaseResult, error) {
	return drive(ctx, a.o.workers(), a.o.updates, a.cpu, func(ctx context.Context, w, i int) error {
		j := i % a.o.objects
		buf := &a.bufs[w]
		name := objectName(j)
		body := a.body(name, *a.rvs[j].Load(), objectValue(a.o.valueSize, i/a.o.objects+1))
		if err := a.pool.send(ctx, w, http.MethodPut, a.path(benchNamespace)+"/"+name, body, http.StatusOK, buf); err != nil {
			return err
		}
		rv, err := resourceVersionOf(buf.Bytes())
		a.rvs[j].Store(&rv)
		return err
	})
}

// list GETs the whole collection, without limit. One list before the
// timed ones is decoded and must hold every object; decoding each would
// take the generator's CPU from the server on a small machine, so the timed
// answers need only be 200 and as long as that one (give or take the
// digits of the resourceVersions).
func (a *apiBench) list(ctx context.Context) (phaseResult, error) {
	path := a.path(benchNamespace) + a.readQuery()
	buf := &a.bufs[0]
	accept := a.pool.accept
	a.pool.accept = "" // the checked list is JSON, whatever -accept says
	err := a.pool.send(ctx, 0, http.MethodGet, path, nil, http.StatusOK, buf)
	a.pool.accept = accept
	if err != nil {
		return phaseResult{}, err
	}
	var list struct{ Items []json.RawMessage }
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		return phaseResult{}, fmt.Errorf("decoding a list: %w", err)
	}
	if len(list.Items) != a.o.objects {
		return phaseResult{}, fmt.Errorf("listed %d ConfigMaps, want %d", len(list.Items), a.o.objects)
	}
	// The timed lists are compared with one in their own encoding.
	if err := a.pool.send(ctx, 0, http.MethodGet, path, nil, http.StatusOK, buf); err != nil {
		return phaseResult{}, err
	}
	want := buf.Len()
	return drive(ctx, a.o.listClients, a.o.lists, a.cpu, func(ctx context.Context, w, _ int) error {
		buf := &a.bufs[w]
		if err := a.pool.send(ctx, w, http.MethodGet, path, nil, http.StatusOK, buf); err != nil {
			return err
		}
		if d := buf.Len() - want; d < -a.o.objects || d > a.o.objects {
			return fmt.Errorf("a list of %d bytes, the checked one was %d", buf.Len(), want)
		}
		return nil
	})
}

// watch starts -watchers watches of the empty watch namespace from the
// resourceVersion of its list, then measures the delivery of -watch-creates
// creates.
func (a *apiBench) watch(ctx context.Context) (watchResult, error) {
	var buf bytes.Buffer
	if err := a.pool.send(ctx, 0, http.MethodGet, collectionPath(watchNamespace), nil, http.StatusOK, &buf); err != nil {
		return watchResult{}, err
	}
	rv, err := resourceVersionOf(buf.Bytes())
	if err != nil {
		return watchResult{}, err
	}
	r := newReceipts(a.o.watchers, a.o.watchCreates)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil) // ends the watches, then wg.Wait returns
	path := collectionPath(watchNamespace) + "?watch=true&resourceVersion=" + rv
	for w := range a.o.watchers {
		resp, err := a.pool.open(ctx, w, http.MethodGet, path, nil)
		if err != nil {
			return watchResult{}, err
		}
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return watchResult{}, fmt.Errorf("watch: %s: %s", resp.Status, body)
		}
		wg.Go(func() {
			defer resp.Body.Close()
			if err := readWatch(resp.Body, w, r); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("watcher %d: %w", w, err))
			}
		})
	}
	cpuBefore, err := a.cpu()
	if err != nil {
		return watchResult{}, err
	}
	value := objectValue(a.o.valueSize, 0)
	res, err := measureWatch(ctx, r, a.o.watchCreates, a.o.watchRate, func(ctx context.Context, i int) error {
		var buf bytes.Buffer
		return a.pool.send(ctx, i, http.MethodPost, collectionPath(watchNamespace), configMapJSON(watchName(i), "", value), http.StatusCreated, &buf)
	})
	if err != nil {
		return res, err
	}
	cpuAfter, err := a.cpu()
	res.cpu = cpuAfter - cpuBefore
	return res, err
}

// readWatch reads the newline-delimited JSON events of one watch and
// records when each arrived, until the stream ends.
func readWatch(body io.Reader, w int, r *receipts) error {
	rd := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := rd.ReadSlice('\n')
		t := time.Now()
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return errors.New("the watch ended")
		}
		if err != nil {
			return err
		}
		var ev struct {
			Type   string `json:"type"`
			Object struct {
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			} `json:"object"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("decoding an event: %w", err)
		}
		if ev.Type != "ADDED" {
			return fmt.Errorf("a %s event: %.300s", ev.Type, line)
		}
		if err := r.record(w, ev.Object.Metadata.Name, t); err != nil {
			return err
		}
	}
}
