package main

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseFlagsDefaultsAreValid(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}
	if o.workers() != 64 || o.objects != 3000 || o.valueSize != 256 || o.watchers != 50 || o.watchCreates != 500 {
		t.Errorf("defaults %+v are not the issue's 64 clients, 3,000 objects of 256 bytes, 50 watchers and 500 creates", o)
	}
	if got, want := o.phases.String(), strings.Join(allPhases, ","); got != want || o.crds != 5 {
		t.Errorf("default phases %q and -crds %d, want every phase (%q) and 5 definitions", got, o.crds, want)
	}
}

func TestParsePhases(t *testing.T) {
	o, err := parseFlags([]string{"-phases", " watch, crd,get,create"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if got := o.phases.String(); got != "create,get,crd,watch" {
		t.Errorf("phases = %q, want them in run order, create,get,crd,watch", got)
	}
}

func TestValidate(t *testing.T) {
	valid, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*options)
		want   []string // one substring per expected error
	}{
		{"defaults", func(*options) {}, nil},
		{"too few objects for the concurrency", func(o *options) { o.objects = 100 }, []string{"-objects 100"}},
		{"value too small", func(o *options) { o.valueSize = 4 }, []string{"-value-size 4"}},
		{"no streams", func(o *options) { o.streams = 0 }, []string{"-streams 0"}},
		{"everything", func(o *options) { o.gets, o.lists, o.watchRate, o.watchCreates = 0, -1, 0, 0 },
			[]string{"-gets 0", "-lists -1", "-watch-creates 0", "-watch-rate 0"}},
		{"no definitions", func(o *options) { o.crds = 0 }, []string{"-crds 0"}},
		{"watch alone", func(o *options) { o.phases = newPhaseSet("watch") }, nil},
		{"no phase", func(o *options) { o.phases = newPhaseSet() }, []string{"-phases must name"}},
		{"unknown phases", func(o *options) { o.phases = newPhaseSet("create", "patch", "delete") },
			[]string{`unknown phase "delete"`, `unknown phase "patch"`}},
		{"crd alone", func(o *options) { o.phases = newPhaseSet("crd") }, nil},
		{"a reference kube-apiserver", func(o *options) { o.kasDir, o.h2load = "/tmp/kas", "" }, nil},
		{"a reference kube-apiserver and a binary", func(o *options) { o.kasDir, o.binary = "/tmp/kas", "/bin/true" },
			[]string{"-kas-dir measures a running kube-apiserver"}},
		{"as a user", func(o *options) { o.user, o.roleBindings, o.h2load = "bench-user", 1000, "" }, nil},
		{"as a system user, with h2load", func(o *options) { o.user, o.roleBindings = "system:admin", 0 },
			[]string{`-user "system:admin" takes -h2load ''`}},
		{"more rounds than objects", func(o *options) { o.objects, o.crdRounds = 300, 301 }, []string{"-crd-rounds 301"}},
		{"get without objects", func(o *options) { o.phases = newPhaseSet("get", "list") },
			[]string{"get needs create", "list needs create"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := valid
			tc.change(&o)
			errs := o.validate()
			if len(errs) != len(tc.want) {
				t.Fatalf("validate() = %v, want %d errors", errs, len(tc.want))
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to name %q", i, err, tc.want[i])
				}
			}
		})
	}
}

func TestReceipts(t *testing.T) {
	r := newReceipts(2, 3)
	now := time.Now()
	for w := range 2 {
		if err := r.record(w, watchName(0), now); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-r.warm:
	default:
		t.Fatal("warm-up not complete after both watchers read event 0")
	}
	for w := range 2 {
		for i := 1; i <= 3; i++ {
			if err := r.record(w, watchName(i), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-r.all:
	default:
		t.Fatal("not complete after every event was read")
	}
	if err := r.record(0, watchName(1), now); err == nil {
		t.Error("a second read of one event was accepted")
	}
	if err := r.record(0, watchName(4), now); err == nil {
		t.Error("an event the benchmark did not create was accepted")
	}
	if err := r.record(0, "cm-00001", now); err == nil {
		t.Error("an object of another phase was accepted")
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarize(ds)
	want := latencySummary{p50: 50 * time.Millisecond, p99: 99 * time.Millisecond, max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
}

func TestObjectValue(t *testing.T) {
	a, b := objectValue(256, 0), objectValue(256, 1)
	if len(a) != 256 || len(b) != 256 || a == b {
		t.Errorf("objectValue: lengths %d, %d, equal %t; want 256, 256 and different", len(a), len(b), a == b)
	}
}
