// Package storagetest is the behaviour suite every storage.Interface
// implementation must pass: CRUD semantics, optimistic concurrency,
// consistent paginated lists, ordered watches, compaction and an
// unavailable backend. A backend's tests call RunTests with a Backend that
// makes stores over empty key ranges:
//
//	func TestEmbedded(t *testing.T) {
//		storagetest.RunTests(t, storagetest.Backend{NewStore: ..., Compact: ...})
//	}
package storagetest
