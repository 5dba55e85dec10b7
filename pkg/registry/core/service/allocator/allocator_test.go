package allocator

import (
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

func newRanges(t *testing.T) (*IPRange, *PortRange) {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	return NewIPRange(backend.Client(), "/test/serviceips", netip.MustParsePrefix("10.0.0.0/29")),
		NewPortRange(backend.Client(), "/test/nodeports", 30000, 3)
}

// TestIPRange: a /29 hands out .2 to .6 (not the network, broadcast or
// first address) until full, each once however many take at the same
// time; a freed one is handed out again; static takes check the range.
func TestIPRange(t *testing.T) {
	ips, _ := newRanges(t)
	ctx := t.Context()
	if ips.First() != "10.0.0.1" || ips.Family() != "IPv4" {
		t.Errorf("first = %s, family = %s", ips.First(), ips.Family())
	}
	var mu sync.Mutex
	got := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ip, err := ips.Next(ctx, "holder")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrFull):
			case err != nil:
				t.Error(err)
			case got[ip]:
				t.Errorf("%s handed out twice", ip)
			default:
				got[ip] = true
			}
		})
	}
	wg.Wait()
	if len(got) != 5 || got["10.0.0.1"] || got["10.0.0.0"] || got["10.0.0.7"] {
		t.Fatalf("handed out %v, want .2 to .6", got)
	}
	if err := ips.Take(ctx, "10.0.0.1", "kubernetes"); err != nil {
		t.Errorf("taking the first address: %v", err)
	}
	if err := ips.Take(ctx, "10.0.0.1", "kubernetes"); err != nil {
		t.Errorf("taking it again for the same holder: %v", err)
	}
	if err := ips.Take(ctx, "10.0.0.1", "other"); !errors.Is(err, ErrTaken) {
		t.Errorf("taking a held address = %v, want ErrTaken", err)
	}
	for _, ip := range []string{"10.0.0.0", "10.0.0.7", "10.0.1.1", "fd00::1", "bad"} {
		if err := ips.Take(ctx, ip, "h"); !IsNotInRange(err) {
			t.Errorf("taking %s = %v, want not in range", ip, err)
		}
	}
	if err := ips.Take(ctx, "10.0.0.9", "h"); err == nil || err.Error() != "the provided IP (10.0.0.9) is not in the valid range. The range of valid IPs is 10.0.0.0/29" {
		t.Errorf("out of range message = %v", err)
	}
	if err := ips.Give(ctx, "10.0.0.3", "someone else"); err != nil {
		t.Fatal(err)
	}
	if _, err := ips.Next(ctx, "h"); !errors.Is(err, ErrFull) {
		t.Errorf("a give by another holder freed the address: %v", err)
	}
	if err := ips.Give(ctx, "10.0.0.3", "holder"); err != nil {
		t.Fatal(err)
	}
	if err := ips.Check(ctx, "10.0.0.3"); err != nil {
		t.Errorf("check of a free address: %v", err)
	}
	if ip, err := ips.Next(ctx, "h"); err != nil || ip != "10.0.0.3" {
		t.Errorf("next after a give = %s, %v", ip, err)
	}
	if err := ips.Check(ctx, "10.0.0.3"); !errors.Is(err, ErrTaken) {
		t.Errorf("check of a held address = %v", err)
	}
}

// TestPortRange: every port once, then full; the range's message.
func TestPortRange(t *testing.T) {
	_, ports := newRanges(t)
	ctx := t.Context()
	if err := ports.Take(ctx, 30001, "a"); err != nil {
		t.Fatal(err)
	}
	seen := map[int32]bool{30001: true}
	for range 2 {
		p, err := ports.Next(ctx, "b")
		if err != nil || seen[p] || !ports.Contains(p) {
			t.Fatalf("next = %d, %v (seen %v)", p, err, seen)
		}
		seen[p] = true
	}
	if _, err := ports.Next(ctx, "c"); !errors.Is(err, ErrFull) {
		t.Errorf("next on a full range = %v", err)
	}
	if err := ports.Take(ctx, 30001, "c"); !errors.Is(err, ErrTaken) {
		t.Errorf("take of a held port = %v", err)
	}
	if err := ports.Check(ctx, 40000); err == nil || err.Error() != "provided port is not in the valid range. The range of valid ports is 30000-30002" {
		t.Errorf("out of range = %v", err)
	}
	claims, rev, err := ports.List(ctx)
	if err != nil || len(claims) != 3 || rev == 0 {
		t.Fatalf("list = %v, %d, %v", claims, rev, err)
	}
	if err := ports.Drop(ctx, claims[0]); err != nil {
		t.Fatal(err)
	}
	if err := ports.Check(ctx, 30000); err != nil {
		t.Errorf("a dropped port is still held: %v", err)
	}
}

func TestIPv6Range(t *testing.T) {
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	r := NewIPRange(backend.Client(), "/test/ips", netip.MustParsePrefix("fd00::/120"))
	if r.First() != "fd00::1" || r.Family() != "IPv6" {
		t.Errorf("first %s family %s", r.First(), r.Family())
	}
	ip, err := r.Next(t.Context(), "h")
	if err != nil || !r.Contains(ip) || ip == "fd00::1" {
		t.Errorf("next = %s, %v", ip, err)
	}
	if err := r.Take(t.Context(), "fd00::ff", "h"); err != nil {
		t.Errorf("the last IPv6 address is handed out: %v", err)
	}
}
