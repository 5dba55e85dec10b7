package allocator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrTaken: another holder has the value.
var ErrTaken = errors.New("provided value is already allocated")

// claims is a set of unique values under one etcd prefix.
type claims struct {
	client *clientv3.Client
	prefix string // ends in "/"
}

func (c claims) key(value string) string { return c.prefix + value }

// take records holder as the holder of value, unless someone holds it:
// ErrTaken then, or nil when it is holder itself and again is true.
func (c claims) take(ctx context.Context, value, holder string, again bool) error {
	key := c.key(value)
	resp, err := c.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, holder)).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("taking %s: %w", key, err)
	}
	if resp.Succeeded {
		return nil
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; again && len(kvs) == 1 && string(kvs[0].Value) == holder {
		return nil
	}
	return ErrTaken
}

// held reports whether value is held, by anyone.
func (c claims) held(ctx context.Context, value string) (bool, error) {
	resp, err := c.client.Get(ctx, c.key(value), clientv3.WithCountOnly())
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", c.key(value), err)
	}
	return resp.Count > 0, nil
}

// give frees value if holder holds it.
func (c claims) give(ctx context.Context, value, holder string) error {
	key := c.key(value)
	_, err := c.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(key), "=", holder)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("freeing %s: %w", key, err)
	}
	return nil
}

// Claim is one value taken, as a repair reads it.
type Claim struct {
	Value, Holder string
	ModRevision   int64
}

// list returns every value held, and the revision read at.
func (c claims) list(ctx context.Context) ([]Claim, int64, error) {
	resp, err := c.client.Get(ctx, c.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("listing %s: %w", c.prefix, err)
	}
	out := make([]Claim, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, Claim{Value: strings.TrimPrefix(string(kv.Key), c.prefix), Holder: string(kv.Value), ModRevision: kv.ModRevision})
	}
	return out, resp.Header.Revision, nil
}

// drop frees a claim Repair found stale, unless it changed since.
func (c claims) drop(ctx context.Context, cl Claim) error {
	key := c.key(cl.Value)
	_, err := c.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", cl.ModRevision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("freeing %s: %w", key, err)
	}
	return nil
}
