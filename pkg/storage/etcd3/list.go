package etcd3

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage"
)

// parallelDecodeMin is the least number of objects worth a decoding
// worker of their own: below it, starting goroutines costs more than it
// saves.
const parallelDecodeMin = 256

// maxPageFetch caps one etcd range read when a predicate filters a paged
// list and pages have to be refilled: about 10 MiB of typical objects.
const maxPageFetch = 10000

// listPlan is how a list reads etcd, derived from its options.
type listPlan struct {
	key, end     string // first key and end of the range ("" for one key)
	prefix       string // collection prefix, which continue keys are relative to
	rev          int64  // revision to read at; 0 is the latest
	minRev       int64  // the latest must be at least this
	serializable bool   // "any": a member's local state is enough
	continued    bool   // rev comes from a continue token
}

// planList applies kube-apiserver's resourceVersion, resourceVersionMatch,
// limit and continue rules.
func (s *Store) planList(k storage.Key, opts storage.ListOptions) (listPlan, error) {
	key, end, err := s.keyRange(k, opts.Recursive)
	if err != nil {
		return listPlan{}, err
	}
	p := listPlan{key: key, end: end, prefix: key}
	bad := func(format string, args ...any) (listPlan, error) {
		return listPlan{}, storage.Errorf(storage.ErrCodeInvalidRequest, key, 0, format, args...)
	}
	if opts.Limit < 0 {
		return bad("limit must not be negative, got %d", opts.Limit)
	}
	if opts.Continue != "" {
		if !opts.Recursive {
			return bad("continue applies only to lists of a collection")
		}
		if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
			return bad("specifying resource version is not allowed when using continue")
		}
		if opts.ResourceVersionMatch != "" {
			return bad("resourceVersionMatch is forbidden when continue is provided")
		}
		start, rv, err := storage.DecodeContinue(opts.Continue)
		if err != nil {
			return listPlan{}, withKey(err, key)
		}
		p.key, p.rev, p.continued = key+start, rv, true
		return p, nil
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return listPlan{}, withKey(err, key)
	}
	switch opts.ResourceVersionMatch {
	case "":
		switch {
		case opts.ResourceVersion == "0":
			p.serializable = true
		case rv > 0 && opts.Limit > 0:
			p.rev = rv // a first page at an exact revision, as kube-apiserver reads it
		default:
			p.minRev = rv
		}
	case metav1.ResourceVersionMatchNotOlderThan:
		if opts.ResourceVersion == "" {
			return bad("resourceVersionMatch is forbidden unless resourceVersion is provided")
		}
		p.minRev, p.serializable = rv, rv == 0
	case metav1.ResourceVersionMatchExact:
		if rv == 0 {
			return bad("resourceVersionMatch %q needs a non-zero resourceVersion", opts.ResourceVersionMatch)
		}
		p.rev = rv
	default:
		return bad("unknown resourceVersionMatch %q", opts.ResourceVersionMatch)
	}
	return p, nil
}

// GetList implements storage.Interface. Each page is read at one revision:
// the latest for a first page (pinned in the continue token), the token's
// for later pages. With a predicate, etcd is read in growing batches until
// the page has Limit matches or the range ends.
func (s *Store) GetList(ctx context.Context, k storage.Key, opts storage.ListOptions, listObj kruntime.Object) error {
	defer metrics.ObserveEtcdRequest("list", s.metricType, time.Now())
	p, err := s.planList(k, opts)
	if err != nil {
		return err
	}
	items, err := itemsOf(listObj)
	if err != nil {
		return withKey(err, p.prefix)
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()

	pg := pager{items: items, limit: opts.Limit, empty: opts.Predicate.Empty()}
	fetch := opts.Limit
	for from := p.key; ; {
		resp, err := s.client.KV.Get(ctx, from, p.rangeOps(fetch)...)
		if err != nil {
			return s.listError(err, p)
		}
		if p.rev == 0 {
			if err := checkMinRevision(p.prefix, p.minRev, resp.Header.Revision); err != nil {
				return err
			}
			p.rev = resp.Header.Revision // later batches read the same snapshot
		}
		objs, err := s.decodeBatch(resp.Kvs, opts.Predicate)
		if err != nil {
			return err
		}
		if pg.take(resp, objs) || !resp.More {
			break
		}
		from = pg.lastKey + "\x00"
		fetch = min(2*fetch, maxPageFetch)
	}
	var cont string
	if pg.hasMore {
		if cont, err = storage.EncodeContinue(pg.lastKey[len(p.prefix):]+"\x00", p.rev); err != nil {
			return storage.NewError(storage.ErrCodeInternal, pg.lastKey, p.rev, err)
		}
	}
	return withKey(storage.SetListMeta(listObj, p.rev, cont, pg.remaining), p.prefix)
}

// pager fills one page of a list from etcd batches.
type pager struct {
	items     reflect.Value
	limit     int64 // 0: no limit
	empty     bool  // the predicate selects everything
	count     int64
	lastKey   string // the last key examined
	hasMore   bool   // keys after lastKey remain for another page
	remaining *int64
}

// take appends the selected objects of one batch (nil entries were not
// selected) and reports whether the page is full.
func (pg *pager) take(resp *clientv3.GetResponse, objs []kruntime.Object) bool {
	growItems(pg.items, objs, pg.limit-pg.count)
	for i, obj := range objs {
		pg.lastKey = string(resp.Kvs[i].Key)
		if obj != nil {
			appendItem(pg.items, obj)
			pg.count++
		}
		if pg.limit > 0 && pg.count == pg.limit {
			pg.hasMore = i < len(resp.Kvs)-1 || resp.More
			if pg.hasMore && pg.empty {
				r := resp.Count - int64(i) - 1
				pg.remaining = &r
			}
			return true
		}
	}
	return pg.limit == 0
}

func (p listPlan) rangeOps(limit int64) []clientv3.OpOption {
	ops := make([]clientv3.OpOption, 0, 4)
	if p.end != "" {
		ops = append(ops, clientv3.WithRange(p.end))
	}
	if p.rev > 0 {
		ops = append(ops, clientv3.WithRev(p.rev))
	}
	if p.serializable {
		ops = append(ops, clientv3.WithSerializable())
	}
	if limit > 0 {
		ops = append(ops, clientv3.WithLimit(limit))
	}
	return ops
}

// listError explains an expired continue token, as kube-apiserver does.
func (s *Store) listError(err error, p listPlan) error {
	err = interpretError(err, p.prefix, p.rev)
	if p.continued && storage.IsResourceExpired(err) {
		return storage.Errorf(storage.ErrCodeResourceExpired, p.prefix, p.rev,
			"the provided continue parameter is too old to display a consistent list result; "+
				"start a new list without the continue parameter: %w", err)
	}
	return err
}

// decodeBatch decodes kvs and applies pred; an object pred rejects is nil.
// A large batch is decoded by one worker per CPU: decoding is most of a
// big list's cost, and the workers' results keep etcd's key order.
func (s *Store) decodeBatch(kvs []*mvccpb.KeyValue, pred storage.SelectionPredicate) ([]kruntime.Object, error) {
	objs := make([]kruntime.Object, len(kvs))
	decodeRange := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			key := string(kvs[i].Key)
			obj := s.newFunc()
			if err := s.decode(key, kvs[i].Value, obj, kvs[i].ModRevision); err != nil {
				return err
			}
			ok, err := pred.Matches(obj)
			if err != nil {
				return storage.Errorf(storage.ErrCodeInvalidObject, key, kvs[i].ModRevision, "selecting object: %w", err)
			}
			if ok {
				objs[i] = obj
			}
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(kvs)/parallelDecodeMin)
	if workers < 2 {
		return objs, decodeRange(0, len(kvs))
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(kvs) + workers - 1) / workers
	for w := range workers {
		wg.Go(func() { errs[w] = decodeRange(w*chunk, min((w+1)*chunk, len(kvs))) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// itemsOf returns the Items slice of a list object.
func itemsOf(listObj kruntime.Object) (reflect.Value, error) {
	ptr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return reflect.Value{}, storage.Errorf(storage.ErrCodeInvalidObject, "", 0, "list object %T: %w", listObj, err)
	}
	v := reflect.ValueOf(ptr).Elem()
	if v.Kind() != reflect.Slice {
		return reflect.Value{}, storage.Errorf(storage.ErrCodeInvalidObject, "", 0, "items of %T are not a slice", listObj)
	}
	if v.IsNil() {
		// An empty list is "items": [], never null, as kube-apiserver
		// writes it: some clients (Python's) cannot parse null.
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	v.SetLen(0)
	return v, nil
}

// growItems makes room in items for the objects of a batch (at most room
// of them when room > 0), so that appending does not copy the slice again
// and again.
func growItems(items reflect.Value, objs []kruntime.Object, room int64) {
	n := 0
	for _, o := range objs {
		if o != nil {
			n++
		}
	}
	if room > 0 {
		n = min(n, int(room))
	}
	items.Grow(n)
}

// appendItem appends obj (a pointer) to items, whose elements are values,
// pointers or kruntime.Objects.
func appendItem(items reflect.Value, obj kruntime.Object) {
	v := reflect.ValueOf(obj)
	switch elem := items.Type().Elem(); {
	case elem.Kind() == reflect.Interface || v.Type().AssignableTo(elem):
	default:
		v = v.Elem()
	}
	items.Set(reflect.Append(items, v))
}
