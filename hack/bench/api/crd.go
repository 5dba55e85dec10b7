package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

const (
	// crdTimeout bounds the wait for one definition to serve its first
	// list: ten times the 1 s goal.
	crdTimeout = 10 * time.Second
	// crdPoll is the interval between lists while a definition is not yet
	// served: fine enough to resolve a goal of 1 s to 0.5 %, coarse enough
	// not to load the server that is establishing it.
	crdPoll = 5 * time.Millisecond
)

// crdGroup is the API group of the i-th definition of the crd phase; each
// has its own, as independent extensions would, so every one publishes a
// new group version.
func crdGroup(i int) string { return fmt.Sprintf("bench%d.example.com", i) }

// definitionJSON is a CustomResourceDefinition of namespaced Widgets in
// group: a small structural schema (a string and a bounded integer in spec,
// a string in status) and the status subresource.
func definitionJSON(group string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",`+
		`"metadata":{"name":"widgets.%[1]s"},"spec":{"group":%[1]q,"scope":"Namespaced",`+
		`"names":{"kind":"Widget","listKind":"WidgetList","plural":"widgets","singular":"widget"},`+
		`"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},`+
		`"schema":{"openAPIV3Schema":{"type":"object","properties":{`+
		`"spec":{"type":"object","properties":{"value":{"type":"string"},"replicas":{"type":"integer","minimum":0}}},`+
		`"status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}}`, group)
}

// widgetJSON is the body of a custom resource create: as configMapJSON, one
// value of -value-size alphanumeric bytes, here in spec.
func widgetJSON(group, name, value string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"%s/v1","kind":"Widget","metadata":{"name":%q},"spec":{"value":%q,"replicas":1}}`, group, name, value)
}

func widgetPath(group string) string {
	return "/apis/" + group + "/v1/namespaces/" + crdNamespace + "/widgets"
}

// crdResult is the crd phase: how long each definition took from its
// create request to its first served list, and the create and get of the
// first one's Widgets ([0]) and of ConfigMaps ([1]), run in alternating
// rounds.
type crdResult struct {
	established []time.Duration
	create, get [2]phaseResult
}

// runCRDPhase creates -crds definitions one after the other, timing each,
// then creates and gets -objects Widgets of the first one and as many
// ConfigMaps, with the ConfigMap phases' concurrency and value size.
func runCRDPhase(ctx context.Context, api *apiBench) (crdResult, error) {
	var res crdResult
	for i := range api.o.crds {
		d, err := api.establish(ctx, crdGroup(i))
		if err != nil {
			return res, fmt.Errorf("crd phase, definition %d: %w", i, err)
		}
		res.established = append(res.established, d)
	}
	progress("crd created to served, median ms", "apiserver", float64(summarize(res.established).p50.Microseconds())/1000)
	group := crdGroup(0)
	if err := api.warmUp(ctx, group); err != nil {
		return res, fmt.Errorf("crd phase, warm-up: %w", err)
	}
	var err error
	if res.create, err = api.alternate(ctx, api.o.objects, api.createOp(group, objectName)); err != nil {
		return res, fmt.Errorf("crd phase, create: %w", err)
	}
	progress("create, custom resources / ConfigMaps", "apiserver", res.create[0].rate()/res.create[1].rate())
	pick := func() string { return objectName(rand.IntN(api.o.objects)) }
	if res.get, err = api.alternate(ctx, api.o.gets, api.getOp(group, pick)); err != nil {
		return res, fmt.Errorf("crd phase, get: %w", err)
	}
	progress("get, custom resources / ConfigMaps", "apiserver", res.get[0].rate()/res.get[1].rate())
	return res, nil
}

// alternate runs n operations on each side, custom resources (side 0) and
// ConfigMaps (side 1), in -crd-rounds rounds of n/rounds each, ordered
// ABBA ABBA… so that a change in the machine's load, which on a shared
// machine comes and goes within seconds, falls on both sides alike, and a
// steady trend cancels out. op(side) is that side's operation; i counts
// from 0 to n across the rounds.
func (a *apiBench) alternate(ctx context.Context, n int, op func(side int) opFunc) ([2]phaseResult, error) {
	var parts [2][]phaseResult
	rounds := a.o.crdRounds
	for r := range rounds {
		lo, hi := n*r/rounds, n*(r+1)/rounds
		for k := range 2 {
			side := (r + k) % 2
			f := op(side)
			res, err := drive(ctx, a.o.workers(), hi-lo, a.cpu, func(ctx context.Context, w, i int) error { return f(ctx, w, lo+i) })
			if err != nil {
				return [2]phaseResult{}, err
			}
			parts[side] = append(parts[side], res)
		}
	}
	return [2]phaseResult{merge(parts[0]), merge(parts[1])}, nil
}

// merge adds up the rounds of one side.
func merge(rs []phaseResult) phaseResult {
	var m phaseResult
	for _, r := range rs {
		m.elapsed += r.elapsed
		m.cpu += r.cpu
		m.lat = append(m.lat, r.lat...)
	}
	return m
}

// establish creates the definition of Widgets in group and lists them
// every crdPoll until the list answers 200, and returns the time from the
// create request's start to that answer.
func (a *apiBench) establish(ctx context.Context, group string) (time.Duration, error) {
	var buf bytes.Buffer
	start := time.Now()
	const definitions = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if err := a.pool.send(ctx, 0, http.MethodPost, definitions, definitionJSON(group), http.StatusCreated, &buf); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, crdTimeout)
	defer cancel()
	path := widgetPath(group)
	for {
		code, err := a.status(ctx, 0, path)
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, fmt.Errorf("%s not served within %s", path, crdTimeout)
		case err != nil:
			return 0, err
		case code == http.StatusOK:
			return time.Since(start), nil
		case code != http.StatusNotFound && code != http.StatusServiceUnavailable:
			return 0, fmt.Errorf("GET %s: %d while waiting for it to be served", path, code)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s not served within %s", path, crdTimeout)
		case <-time.After(crdPoll):
		}
	}
}

// status GETs path on connection conn and returns the answer's status code.
func (a *apiBench) status(ctx context.Context, conn int, path string) (int, error) {
	resp, err := a.pool.open(ctx, conn, http.MethodGet, path, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// warmUp creates and gets, untimed, a few objects on each side, so that
// neither side's first round pays for what the server does once per
// resource (its first request, its first write).
func (a *apiBench) warmUp(ctx context.Context, group string) error {
	n := 2 * a.o.workers()
	name := func(i int) string { return fmt.Sprintf("warm-%05d", i) }
	create := a.createOp(group, name)
	get := a.getOp(group, func() string { return name(rand.IntN(n)) })
	for side := range 2 {
		for _, op := range []opFunc{create(side), get(side)} {
			if _, err := drive(ctx, a.o.workers(), n, a.cpu, op); err != nil {
				return err
			}
		}
	}
	return nil
}

// createOp POSTs Widget name(i) (side 0) or ConfigMap name(i) (side 1)
// into crdNamespace. Both decode the resourceVersion of the answer, as the
// ConfigMap create phase does, so the load generator does the same work
// for each.
func (a *apiBench) createOp(group string, name func(int) string) func(side int) opFunc {
	value := objectValue(a.o.valueSize, 0)
	return func(side int) opFunc {
		path, body := widgetPath(group), func(i int) []byte { return widgetJSON(group, name(i), value) }
		if side == 1 {
			path, body = collectionPath(crdNamespace), func(i int) []byte { return configMapJSON(name(i), "", value) }
		}
		return func(ctx context.Context, w, i int) error {
			buf := &a.bufs[w]
			if err := a.pool.send(ctx, w, http.MethodPost, path, body(i), http.StatusCreated, buf); err != nil {
				return err
			}
			_, err := resourceVersionOf(buf.Bytes())
			return err
		}
	}
}

// getOp GETs the Widget (side 0) or ConfigMap (side 1) that pick names.
func (a *apiBench) getOp(group string, pick func() string) func(side int) opFunc {
	return func(side int) opFunc {
		path := widgetPath(group) + "/"
		if side == 1 {
			path = collectionPath(crdNamespace) + "/"
		}
		return func(ctx context.Context, w, _ int) error {
			return a.pool.send(ctx, w, http.MethodGet, path+pick(), nil, http.StatusOK, &a.bufs[w])
		}
	}
}
