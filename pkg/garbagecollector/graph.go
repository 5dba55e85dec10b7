package garbagecollector

import (
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// objectID names one object, down to its UID: a name may be reused by a
// new object, which is not the one an ownerReference or a queued decision
// is about.
type objectID struct {
	Resource  schema.GroupResource
	Namespace string
	Name      string
	UID       types.UID
}

// node is what the graph knows of an object: its metadata as last seen.
type node struct {
	id     objectID
	owners []metav1.OwnerReference
	// deletingDependents: being deleted in the foreground (deletionTimestamp
	// and the foregroundDeletion finalizer).
	deletingDependents bool
	// orphaning: being deleted with the orphan finalizer.
	orphaning bool
}

func newNode(id objectID, m metav1.Object) *node {
	deleting := m.GetDeletionTimestamp() != nil
	return &node{
		id:                 id,
		owners:             m.GetOwnerReferences(),
		deletingDependents: deleting && slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents),
		orphaning:          deleting && slices.Contains(m.GetFinalizers(), metav1.FinalizerOrphanDependents),
	}
}

// graph is the ownership graph of every object followed: the nodes by UID,
// and for each owner UID (whether or not its object is known) the UIDs of
// the objects that name it.
type graph struct {
	mu    sync.Mutex
	nodes map[types.UID]*node
	edges map[types.UID]map[types.UID]bool
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]*node{}, edges: map[types.UID]map[types.UID]bool{}}
}

// change is what an update of the graph calls for.
type change struct {
	// check: dependents whose owners may be gone.
	check []objectID
	// foreground: owners being deleted in the foreground to look at again.
	foreground []objectID
	// orphan: owners whose dependents are to be orphaned.
	orphan []objectID
}

// upsert records n, replacing what was known of its object.
func (g *graph) upsert(n *node) change {
	g.mu.Lock()
	defer g.mu.Unlock()
	var c change
	old := g.nodes[n.id.UID]
	if old != nil {
		g.unlink(old)
	}
	g.nodes[n.id.UID] = n
	g.link(n)
	if len(n.owners) > 0 && (old == nil || !sameOwners(old.owners, n.owners)) {
		// A new reference may name an owner that is gone or going.
		c.check = append(c.check, n.id)
	}
	if n.deletingDependents && (old == nil || !old.deletingDependents) {
		c.foreground = append(c.foreground, n.id)
		c.check = append(c.check, g.dependentsOf(n.id.UID)...)
	}
	if n.orphaning && (old == nil || !old.orphaning) {
		c.orphan = append(c.orphan, n.id)
	}
	return c
}

// remove forgets the object of id, which is gone.
func (g *graph) remove(id objectID) change {
	g.mu.Lock()
	defer g.mu.Unlock()
	var c change
	n := g.nodes[id.UID]
	if n == nil {
		return c
	}
	delete(g.nodes, id.UID)
	g.unlink(n)
	c.check = g.dependentsOf(id.UID)
	for _, ref := range n.owners {
		if owner := g.nodes[ref.UID]; owner != nil && owner.deletingDependents {
			// One of its blocking dependents may have been the last.
			c.foreground = append(c.foreground, owner.id)
		}
	}
	return c
}

// removeResource forgets every object of resource r, which is no longer
// served: its objects went with it.
func (g *graph) removeResource(r schema.GroupResource) change {
	g.mu.Lock()
	var gone []objectID
	for _, n := range g.nodes {
		if n.id.Resource == r {
			gone = append(gone, n.id)
		}
	}
	g.mu.Unlock()
	var c change
	for _, id := range gone {
		rc := g.remove(id)
		c.check = append(c.check, rc.check...)
		c.foreground = append(c.foreground, rc.foreground...)
	}
	return c
}

// dependents returns the objects that name owner.
func (g *graph) dependents(owner types.UID) []objectID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dependentsOf(owner)
}

// blocking returns the objects that name owner with blockOwnerDeletion.
func (g *graph) blocking(owner types.UID) []objectID {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []objectID
	for uid := range g.edges[owner] {
		n := g.nodes[uid]
		if n == nil {
			continue
		}
		for _, ref := range n.owners {
			if ref.UID == owner && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				out = append(out, n.id)
				break
			}
		}
	}
	return out
}

// hasDependents reports whether any object names owner.
func (g *graph) hasDependents(owner types.UID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.edges[owner]) > 0
}

// lookup returns the object the graph knows under uid.
func (g *graph) lookup(uid types.UID) (objectID, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok {
		return objectID{}, false
	}
	return n.id, true
}

func (g *graph) dependentsOf(owner types.UID) []objectID {
	var out []objectID
	for uid := range g.edges[owner] {
		if n := g.nodes[uid]; n != nil {
			out = append(out, n.id)
		}
	}
	return out
}

func (g *graph) link(n *node) {
	for _, ref := range n.owners {
		set := g.edges[ref.UID]
		if set == nil {
			set = map[types.UID]bool{}
			g.edges[ref.UID] = set
		}
		set[n.id.UID] = true
	}
}

func (g *graph) unlink(n *node) {
	for _, ref := range n.owners {
		if set := g.edges[ref.UID]; set != nil {
			delete(set, n.id.UID)
			if len(set) == 0 {
				delete(g.edges, ref.UID)
			}
		}
	}
}

func sameOwners(a, b []metav1.OwnerReference) bool {
	return slices.EqualFunc(a, b, func(x, y metav1.OwnerReference) bool {
		return x.UID == y.UID && x.Name == y.Name && x.Kind == y.Kind && x.APIVersion == y.APIVersion &&
			blocks(x) == blocks(y)
	})
}

func blocks(ref metav1.OwnerReference) bool {
	return ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion
}
