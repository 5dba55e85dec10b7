package e2e

import (
	"strings"
	"testing"
	"time"
)

// gadgetCRD is a cluster-scoped definition without a schema of its own.
func gadgetCRD(group string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.` + group + `
spec:
  group: ` + group + `
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
}

// TestGarbageCollection drives the collector with kubectl's --cascade
// policies, across built-in and custom owners and dependents, namespaced
// and cluster-scoped: what a user of kube-controller-manager's collector
// sees.
func TestGarbageCollection(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	const group = "gc.example.com"
	k.stdin(widgetCRD(group), "apply", "-f", "-")
	k.stdin(gadgetCRD(group), "apply", "-f", "-")
	k.run("wait", "--for", "condition=established", "crd/widgets."+group, "crd/gadgets."+group, "--timeout=20s")
	widgets, gadgets := "widgets."+group, "gadgets."+group

	uid := func(resource, name string) string {
		return k.run("get", resource, name, "-o", "jsonpath={.metadata.uid}")
	}
	// owned creates a ConfigMap, or with kind a custom object, owned by the
	// given owner.
	owned := func(kind, name, ownerAPIVersion, ownerKind, ownerName, ownerUID string, extra string) {
		apiVersion := "v1"
		body := ""
		if kind == "Widget" {
			apiVersion, body = group+"/v1", "spec: {size: 1}\n"
		}
		k.stdin("apiVersion: "+apiVersion+"\nkind: "+kind+"\nmetadata:\n  name: "+name+"\n"+extra+
			"  ownerReferences:\n  - {apiVersion: "+ownerAPIVersion+", kind: "+ownerKind+", name: "+ownerName+", uid: "+ownerUID+", blockOwnerDeletion: true}\n"+body,
			"apply", "-f", "-")
	}
	gone := func(resource string, names ...string) {
		t.Helper()
		for _, name := range names {
			waitUntil(t, 10*time.Second, resource+" "+name+" collected", func() bool {
				out, err := k.try("get", resource, name)
				return err != nil && strings.Contains(out, "NotFound")
			})
		}
	}

	t.Run("custom owner, background", func(t *testing.T) {
		k.stdin("apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w-bg\nspec: {size: 1}\n", "apply", "-f", "-")
		owner := uid(widgets, "w-bg")
		for _, name := range []string{"bg-1", "bg-2"} {
			owned("ConfigMap", name, group+"/v1", "Widget", "w-bg", owner, "")
		}
		k.run("delete", widgets, "w-bg")
		gone("configmap", "bg-1", "bg-2")
	})

	t.Run("built-in owner, custom dependent, foreground", func(t *testing.T) {
		k.run("create", "configmap", "cm-fg")
		owned("Widget", "w-fg", "v1", "ConfigMap", "cm-fg", uid("configmap", "cm-fg"), "  finalizers: [example.com/hold]\n")
		k.run("delete", "configmap", "cm-fg", "--cascade=foreground", "--wait=false")
		// The owner waits for its blocking dependent.
		waitUntil(t, 10*time.Second, "the dependent being deleted", func() bool {
			return k.run("get", widgets, "w-fg", "-o", "jsonpath={.metadata.deletionTimestamp}") != ""
		})
		if got := k.run("get", "configmap", "cm-fg", "-o", "jsonpath={.metadata.finalizers}"); !strings.Contains(got, "foregroundDeletion") {
			t.Fatalf("owner finalizers = %s, want foregroundDeletion", got)
		}
		time.Sleep(300 * time.Millisecond)
		if _, err := k.try("get", "configmap", "cm-fg"); err != nil {
			t.Fatal("the owner went before its blocking dependent")
		}
		k.run("patch", widgets, "w-fg", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
		gone(widgets, "w-fg")
		gone("configmap", "cm-fg")
	})

	t.Run("custom owner, orphan", func(t *testing.T) {
		k.stdin("apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w-or\nspec: {size: 1}\n", "apply", "-f", "-")
		owned("ConfigMap", "or-1", group+"/v1", "Widget", "w-or", uid(widgets, "w-or"), "")
		k.run("delete", widgets, "w-or", "--cascade=orphan")
		gone(widgets, "w-or")
		time.Sleep(300 * time.Millisecond)
		if got := k.run("get", "configmap", "or-1", "-o", "jsonpath={.metadata.ownerReferences}"); got != "" {
			t.Errorf("orphan still names its owner: %s", got)
		}
	})

	t.Run("cluster-scoped custom owner", func(t *testing.T) {
		k.stdin("apiVersion: "+group+"/v1\nkind: Gadget\nmetadata:\n  name: g1\n", "apply", "-f", "-")
		owned("ConfigMap", "of-gadget", group+"/v1", "Gadget", "g1", uid(gadgets, "g1"), "")
		owned("Widget", "w-of-gadget", group+"/v1", "Gadget", "g1", uid(gadgets, "g1"), "")
		k.run("delete", gadgets, "g1")
		gone("configmap", "of-gadget")
		gone(widgets, "w-of-gadget")
	})

	t.Run("owner in another namespace", func(t *testing.T) {
		k.run("create", "namespace", "gc-other")
		k.run("create", "configmap", "there")
		there := uid("configmap", "there")
		k.stdin("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cross\n  namespace: gc-other\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: there, uid: "+there+"}\n", "apply", "-f", "-")
		waitUntil(t, 10*time.Second, "the dependent of an owner elsewhere collected", func() bool {
			out, err := k.try("get", "configmap", "cross", "-n", "gc-other")
			return err != nil && strings.Contains(out, "NotFound")
		})
		waitUntil(t, 10*time.Second, "an OwnerRefInvalidNamespace event", func() bool {
			return strings.Contains(k.run("get", "events", "-n", "gc-other"), "OwnerRefInvalidNamespace")
		})
	})

	t.Run("deleting a definition collects the dependents of its objects", func(t *testing.T) {
		k.stdin("apiVersion: "+group+"/v1\nkind: Gadget\nmetadata:\n  name: g2\n", "apply", "-f", "-")
		owned("ConfigMap", "of-g2", group+"/v1", "Gadget", "g2", uid(gadgets, "g2"), "")
		k.run("delete", "crd", gadgets)
		gone("configmap", "of-g2")
	})
}

// TestTerminatingDefinition: a definition being deleted keeps serving its
// objects, without creates, until the last is gone, as kube-apiserver does:
// an object held by a finalizer can still have it removed.
func TestTerminatingDefinition(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	const group = "term.example.com"
	gadgets := "gadgets." + group
	k.stdin(gadgetCRD(group), "apply", "-f", "-")
	k.run("wait", "--for", "condition=established", "crd/"+gadgets, "--timeout=20s")
	k.stdin("apiVersion: "+group+"/v1\nkind: Gadget\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\n", "apply", "-f", "-")
	k.run("delete", "crd", gadgets, "--wait=false")
	waitUntil(t, 10*time.Second, "creates refused", func() bool {
		out, err := k.try("create", "-f", writeTemp(t, "apiVersion: "+group+"/v1\nkind: Gadget\nmetadata:\n  name: new\n"))
		return err != nil && strings.Contains(out, "MethodNotAllowed")
	})
	if got := k.run("get", gadgets, "held", "-o", "jsonpath={.metadata.deletionTimestamp}"); got == "" {
		t.Fatal("the held object is not being deleted")
	}
	k.run("patch", gadgets, "held", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
	waitUntil(t, 10*time.Second, "the definition gone", func() bool {
		out, err := k.try("get", "crd", gadgets)
		return err != nil && strings.Contains(out, "NotFound")
	})
}
