package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// haNamespace holds every object of the high-availability test.
const haNamespace = "ha"

// outcome is what a client knows of a write it sent.
type outcome int

const (
	// done: the server answered 2xx.
	done outcome = iota
	// refused: the server answered 4xx; the write did not happen.
	refused
	// unknown: no answer (timeout, connection lost) or a 5xx: the write may
	// or may not have happened.
	unknown
	// notSent: there was no server to connect to (restarting).
	notSent
)

func (o outcome) String() string { return [...]string{"done", "refused", "unknown", "not-sent"}[o] }

// replicaSet is the servers of the test, each restartable on its port and
// data, with an HTTP/2 client of its own.
type replicaSet struct {
	t     *testing.T
	flags []string
	mu    sync.Mutex
	procs []*process
	ports []int
	http  []*http.Client
}

func (rs *replicaSet) start(i int) {
	p := startBinaryOnPort(rs.t, rs.ports[i], rs.dataDir(i), nil, rs.flags...)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.procs[i] = p
	if rs.http[i] == nil {
		rs.http[i] = adminHTTP(rs.t, p)
	}
}

func (rs *replicaSet) dataDir(i int) string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.procs[i] != nil {
		return rs.procs[i].DataDir
	}
	return ""
}

func (rs *replicaSet) proc(i int) *process {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.procs[i]
}

// send makes one request to replica i within timeout and classifies the
// answer.
func (rs *replicaSet) send(ctx context.Context, i int, method, path string, body []byte) (outcome, int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("https://127.0.0.1:%d%s", rs.ports[i], path), bytes.NewReader(body))
	if err != nil {
		rs.t.Error(err)
		return unknown, 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	rs.mu.Lock()
	c := rs.http[i]
	rs.mu.Unlock()
	resp, err := c.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return notSent, 0, nil
	}
	if err != nil {
		return unknown, 0, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return unknown, resp.StatusCode, nil
	case resp.StatusCode < 300:
		return done, resp.StatusCode, data
	case resp.StatusCode < 500:
		return refused, resp.StatusCode, data
	default:
		return unknown, resp.StatusCode, data
	}
}

// casInput and casOutput are the operations of one register (a ConfigMap
// whose data.v every write sets to a value never written before): a read
// returns the value; a compare-and-swap writes next if the value is still
// expect (the update carries the resourceVersion read with expect).
type casInput struct {
	read         bool
	expect, next string
}

type casOutput struct {
	value   string // of a read
	outcome outcome
}

// registerModel is a linearizable register with compare-and-swap, as
// porcupine checks it: an update whose outcome is unknown may or may not
// have happened.
var registerModel = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, out, cur := input.(casInput), output.(casOutput), state.(string)
		switch {
		case in.read:
			return out.value == cur, cur
		case out.outcome == notSent:
			return true, cur
		case out.outcome == unknown:
			if cur == in.expect {
				return true, in.next // either it happened...
			}
			return true, cur // ...or it did not
		case out.outcome == done:
			return cur == in.expect, in.next
		default: // refused: 409, the value had changed
			return cur != in.expect, cur
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(casInput), output.(casOutput)
		if in.read {
			return "read " + out.value
		}
		return fmt.Sprintf("cas %q->%q: %d", in.expect, in.next, out.outcome)
	},
}

// history records operations with their times.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   map[string][]porcupine.Operation // by register
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(key string, op porcupine.Operation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops[key] = append(h.ops[key], op)
}

// haEvent is one event as a watcher saw it, or as etcd recorded it.
type haEvent struct {
	Type string
	Name string
	RV   int64
}

func (e haEvent) String() string { return fmt.Sprintf("%s %s@%d", e.Type, e.Name, e.RV) }

// TestHighAvailability runs three replicas on a three-member etcd cluster
// (Debian's etcd processes) while clients create, compare-and-swap, delete
// and watch through all of them, and meanwhile kills the etcd leader and
// brings it back, pauses a replica, and restarts each replica in turn. The
// history must then hold: every acknowledged write present and every
// refused one absent, the compare-and-swap registers linearizable
// (porcupine), and every watcher's stream, resumed on another replica each
// time it ends, exactly etcd's own history of the namespace: ordered,
// gap-free, without duplicates.
func TestHighAvailability(t *testing.T) {
	cluster := etcdtest.StartCluster(t, 3)
	rs := &replicaSet{t: t, flags: []string{"--etcd-servers", strings.Join(cluster.Config.Servers, ",")},
		procs: make([]*process, 3), ports: make([]int, 3), http: make([]*http.Client, 3)}
	for i := range rs.ports {
		rs.ports[i] = freePort(t)
		rs.start(i)
	}
	defer func() {
		if t.Failed() {
			t.Logf("etcd logs:\n%s", cluster.Logs())
		}
	}()
	ctx := t.Context()
	if o, code, body := rs.send(ctx, 0, "POST", "/api/v1/namespaces", []byte(`{"metadata":{"name":"`+haNamespace+`"}}`)); o != done {
		t.Fatalf("creating the namespace: %d %s", code, body)
	}
	base := "/api/v1/namespaces/" + haNamespace + "/configmaps"
	const registers = 3
	for r := range registers {
		body := fmt.Sprintf(`{"metadata":{"name":"reg-%d"},"data":{"v":""}}`, r)
		if o, code, body := rs.send(ctx, r%3, "POST", base, []byte(body)); o != done {
			t.Fatalf("creating register %d: %d %s", r, code, body)
		}
	}
	o, code, body := rs.send(ctx, 0, "GET", base, nil)
	if o != done {
		t.Fatalf("listing: %d %s", code, body)
	}
	var list struct {
		Metadata struct{ ResourceVersion string }
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var startRV int64
	fmt.Sscan(list.Metadata.ResourceVersion, &startRV)

	hist := &history{start: time.Now(), ops: map[string][]porcupine.Operation{}}
	work, stopWork := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var seq atomic.Int64

	// Creators and deleters: unique names, deletes of what was created.
	type objectOps struct {
		create  outcome
		deletes []outcome
	}
	var objMu sync.Mutex
	objects := map[string]*objectOps{}
	for w := range 2 {
		wg.Go(func() {
			var mine []string
			for i := 0; work.Err() == nil; i++ {
				replica := int(seq.Add(1)) % 3
				if len(mine) > 0 && rand.IntN(3) == 0 {
					name := mine[rand.IntN(len(mine))]
					o, _, _ := rs.send(ctx, replica, "DELETE", base+"/"+name, nil)
					objMu.Lock()
					objects[name].deletes = append(objects[name].deletes, o)
					objMu.Unlock()
					continue
				}
				name := fmt.Sprintf("obj-%d-%d", w, i)
				o, _, _ := rs.send(ctx, replica, "POST", base, []byte(`{"metadata":{"name":"`+name+`"},"data":{"k":"v"}}`))
				objMu.Lock()
				objects[name] = &objectOps{create: o}
				objMu.Unlock()
				if o == done {
					mine = append(mine, name)
				}
			}
		})
	}

	// Compare-and-swap clients: read a register, write a new value on the
	// resourceVersion read.
	for c := range 4 {
		wg.Go(func() {
			for work.Err() == nil {
				replica := int(seq.Add(1)) % 3
				key := fmt.Sprintf("reg-%d", rand.IntN(registers))
				call := hist.now()
				o, _, data := rs.send(ctx, replica, "GET", base+"/"+key, nil)
				if o != done {
					continue // a failed read changes nothing
				}
				var cm struct {
					Metadata struct{ ResourceVersion string }
					Data     map[string]string
				}
				if err := json.Unmarshal(data, &cm); err != nil {
					t.Errorf("decoding %s: %v", key, err)
					return
				}
				hist.add(key, porcupine.Operation{ClientId: c, Input: casInput{read: true}, Call: call, Output: casOutput{value: cm.Data["v"]}, Return: hist.now()})
				next := fmt.Sprintf("c%d-%d", c, seq.Add(1))
				replica = int(seq.Add(1)) % 3
				call = hist.now()
				o, code, answer := rs.send(ctx, replica, "PUT", base+"/"+key, []byte(fmt.Sprintf(
					`{"metadata":{"name":%q,"resourceVersion":%q},"data":{"v":%q}}`, key, cm.Metadata.ResourceVersion, next)))
				ret := hist.now()
				if o == refused && code != http.StatusConflict {
					t.Errorf("updating %s: %d %s", key, code, answer)
				}
				if o == unknown {
					ret = math.MaxInt64 // it may take effect at any time after
				}
				hist.add(key, porcupine.Operation{ClientId: c, Input: casInput{expect: cm.Data["v"], next: next}, Call: call, Output: casOutput{outcome: o}, Return: ret})
			}
		})
	}

	// Watchers: each starts on its own replica and, whenever its stream
	// ends (timeoutSeconds, a restart, a paused server), resumes from the
	// last resourceVersion it saw on the next replica.
	const watchers = 3
	seen := make([][]haEvent, watchers)
	var lastSeen [watchers]atomic.Int64
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watchWG sync.WaitGroup
	for w := range watchers {
		watchWG.Go(func() {
			rv, replica := startRV, w
			for watchCtx.Err() == nil {
				events, err := rs.watch(watchCtx, replica, base, rv)
				for _, e := range events {
					if e.RV <= rv {
						t.Errorf("watcher %d: %s after resourceVersion %d", w, e, rv)
					}
					rv = e.RV
				}
				seen[w] = append(seen[w], events...)
				lastSeen[w].Store(rv)
				if errors.Is(err, errWatchGone) {
					t.Errorf("watcher %d: resuming at %d on replica %d: %v", w, rv, replica, err)
					return
				}
				if len(events) == 0 && err != nil && !errors.Is(err, io.EOF) {
					time.Sleep(50 * time.Millisecond) // that replica is down: do not spin
				}
				replica = (replica + 1) % 3
			}
		})
	}

	// The faults, on the test's goroutine.
	sleep := func(d time.Duration) { time.Sleep(d) }
	sleep(2 * time.Second)
	leader := cluster.Leader(t)
	t.Logf("killing the etcd leader %s", leader.Name)
	leader.Kill(t)
	sleep(3 * time.Second)
	t.Logf("restarting etcd %s", leader.Name)
	leader.Restart(t)
	sleep(2 * time.Second)
	t.Log("pausing replica 1")
	rs.proc(1).signal(t, syscall.SIGSTOP)
	sleep(3 * time.Second)
	rs.proc(1).signal(t, syscall.SIGCONT)
	for i := range 3 {
		sleep(time.Second)
		t.Logf("restarting replica %d", i)
		p := rs.proc(i)
		p.signal(t, syscall.SIGTERM)
		if code := p.wait(t, 30*time.Second); code != 0 {
			t.Errorf("replica %d exited with %d on SIGTERM", i, code)
		}
		rs.start(i)
	}
	sleep(2 * time.Second)
	stopWork()
	wg.Wait()

	// Every acknowledged write is there, every refused one is not.
	o, code, body = rs.send(ctx, 0, "GET", base, nil)
	if o != done {
		t.Fatalf("listing: %d %s", code, body)
	}
	var final struct {
		Metadata struct{ ResourceVersion string }
		Items    []struct {
			Metadata struct{ Name string }
			Data     map[string]string
		}
	}
	if err := json.Unmarshal(body, &final); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, it := range final.Items {
		present[it.Metadata.Name] = true
	}
	counts := map[string]int{}
	for name, ops := range objects {
		deleted := slices.Contains(ops.deletes, done)
		mayDelete := deleted || slices.Contains(ops.deletes, unknown)
		switch {
		case ops.create == done && !mayDelete && !present[name]:
			t.Errorf("%s: created (acknowledged), never deleted, and missing", name)
		case deleted && present[name]:
			t.Errorf("%s: deleted (acknowledged), and still there", name)
		case (ops.create == refused || ops.create == notSent) && present[name]:
			t.Errorf("%s: its create failed (%s), and it is there", name, ops.create)
		}
		counts[fmt.Sprint("create ", ops.create)]++
		for _, d := range ops.deletes {
			counts[fmt.Sprint("delete ", d)]++
		}
	}

	// The registers are linearizable, their final values included.
	for r := range registers {
		key := fmt.Sprintf("reg-%d", r)
		call := hist.now()
		o, _, data := rs.send(ctx, 0, "GET", base+"/"+key, nil)
		if o != done {
			t.Fatalf("reading %s: %s", key, data)
		}
		var cm struct{ Data map[string]string }
		_ = json.Unmarshal(data, &cm)
		hist.add(key, porcupine.Operation{ClientId: 99, Input: casInput{read: true}, Call: call, Output: casOutput{value: cm.Data["v"]}, Return: hist.now()})
	}
	for key, ops := range hist.ops {
		for _, op := range ops {
			if !op.Input.(casInput).read {
				counts[fmt.Sprint("register update ", op.Output.(casOutput).outcome)]++
			}
		}
		checkStart := time.Now()
		res := porcupine.CheckOperationsTimeout(registerModel, ops, 60*time.Second)
		t.Logf("%s: %d operations checked in %s", key, len(ops), time.Since(checkStart).Round(time.Millisecond))
		if res != porcupine.Ok {
			t.Errorf("%s: history of %d operations is %s", key, len(ops), res)
		}
		counts["register operations"] += len(ops)
	}
	t.Logf("operations: %v", counts)
	// The faults must not have left the history too thin to mean anything.
	for _, c := range []string{"create done", "delete done", "register update done", "register update refused"} {
		if counts[c] < 50 {
			t.Errorf("only %d operations %q: %v", counts[c], c, counts)
		}
	}

	// Every watcher saw etcd's history of the namespace, exactly.
	truth := etcdHistory(t, cluster, "/registry/configmaps/"+haNamespace+"/", startRV)
	if len(truth) == 0 {
		t.Fatal("etcd recorded no change")
	}
	last := truth[len(truth)-1].RV
	waitUntil(t, 20*time.Second, "watchers caught up", func() bool {
		for w := range watchers {
			if lastSeen[w].Load() < last {
				return false
			}
		}
		return true
	})
	stopWatch()
	watchWG.Wait()
	for w := range watchers {
		got := seen[w]
		if i := slices.IndexFunc(got, func(e haEvent) bool { return e.RV > last }); i >= 0 {
			got = got[:i]
		}
		if !slices.Equal(got, truth) {
			t.Errorf("watcher %d saw %d events, etcd recorded %d; first difference: %s", w, len(got), len(truth), firstDifference(got, truth))
		}
	}
	t.Logf("%d events in etcd's history, seen by each of %d watchers", len(truth), watchers)
}

// errWatchGone: the server cannot resume a watch at that resourceVersion.
var errWatchGone = errors.New("410 Gone")

// watch streams the changes of path after rv from replica i, for at most a
// few seconds, and returns the events it got.
func (rs *replicaSet) watch(ctx context.Context, i int, path string, rv int64) ([]haEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, 6*time.Second)
	defer cancel()
	url := fmt.Sprintf("https://127.0.0.1:%d%s?watch=true&resourceVersion=%d&timeoutSeconds=%d", rs.ports[i], path, rv, 1+rand.IntN(3))
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	rs.mu.Lock()
	c := rs.http[i]
	rs.mu.Unlock()
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusGone {
		return nil, errWatchGone
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("watch answered %d", resp.StatusCode)
	}
	var events []haEvent
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct {
			Type   string
			Object struct {
				Code     int
				Metadata struct{ Name, ResourceVersion string }
			}
		}
		if err := dec.Decode(&ev); err != nil {
			return events, err
		}
		switch ev.Type {
		case "ADDED", "MODIFIED", "DELETED":
			var erv int64
			fmt.Sscan(ev.Object.Metadata.ResourceVersion, &erv)
			events = append(events, haEvent{ev.Type, ev.Object.Metadata.Name, erv})
		case "ERROR":
			if ev.Object.Code == http.StatusGone {
				return events, errWatchGone
			}
			return events, fmt.Errorf("watch error %d", ev.Object.Code)
		}
	}
}

// etcdHistory reads every change under prefix after rev from etcd itself,
// up to its current revision.
func etcdHistory(t *testing.T, c *etcdtest.Cluster, prefix string, rev int64) []haEvent {
	t.Helper()
	client := etcdtest.NewClient(t, c.Config)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	resp, err := client.Get(ctx, "history-end", clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	end := resp.Header.Revision
	var out []haEvent
	wch := client.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	if err := client.RequestProgress(ctx); err != nil {
		t.Fatal(err)
	}
	for wr := range wch {
		if err := wr.Err(); err != nil {
			t.Fatalf("reading etcd's history: %v", err)
		}
		for _, ev := range wr.Events {
			if ev.Kv.ModRevision > end {
				continue
			}
			typ := "MODIFIED"
			switch {
			case ev.Type == clientv3.EventTypeDelete:
				typ = "DELETED"
			case ev.IsCreate():
				typ = "ADDED"
			}
			out = append(out, haEvent{typ, strings.TrimPrefix(string(ev.Kv.Key), prefix), ev.Kv.ModRevision})
		}
		if wr.Header.Revision >= end && (wr.IsProgressNotify() || len(wr.Events) > 0 && wr.Events[len(wr.Events)-1].Kv.ModRevision >= end) {
			return out
		}
		if wr.IsProgressNotify() || len(wr.Events) > 0 {
			_ = client.RequestProgress(ctx)
		}
	}
	t.Fatalf("etcd's history ended before revision %d", end)
	return nil
}

func firstDifference(got, want []haEvent) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: got %s, want %s", i, got[i], want[i])
		}
	}
	if len(got) < len(want) {
		return fmt.Sprintf("missing from %d: %s", len(got), want[len(got)])
	}
	if len(got) > len(want) {
		return fmt.Sprintf("extra from %d: %s", len(want), got[len(want)])
	}
	return "none"
}
