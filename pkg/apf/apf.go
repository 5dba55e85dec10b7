// Package apf keeps the flowcontrol.apiserver.k8s.io configuration as
// kube-apiserver keeps it: the bootstrap PriorityLevelConfigurations and
// FlowSchemas exist (recorded from kube-apiserver 1.31, in bootstrap.json),
// those marked apf.kubernetes.io/autoupdate-spec=true keep kube's spec, and
// every FlowSchema's Dangling condition says whether its priority level
// exists. This server does not queue requests by them: its
// --max-requests-inflight limits stand in for priority and fairness.
package apf

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/flowschema"
	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/prioritylevelconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// autoUpdate marks a bootstrap object whose spec the server keeps.
const autoUpdate = "apf.kubernetes.io/autoupdate-spec"

//go:embed bootstrap.json
var bootstrapJSON []byte

// Bootstrap is kube-apiserver's configuration: its priority levels and its
// flow schemas.
type Bootstrap struct {
	PriorityLevelConfigurations []flowcontrolv1.PriorityLevelConfiguration `json:"priorityLevelConfigurations"`
	FlowSchemas                 []flowcontrolv1.FlowSchema                 `json:"flowSchemas"`
}

// Objects returns the bootstrap configuration, defaulted as the server
// stores it.
func Objects() (Bootstrap, error) {
	var b Bootstrap
	if err := json.Unmarshal(bootstrapJSON, &b); err != nil {
		return b, fmt.Errorf("reading the bootstrap configuration: %w", err)
	}
	for i := range b.PriorityLevelConfigurations {
		prioritylevelconfiguration.Default(&b.PriorityLevelConfigurations[i])
	}
	for i := range b.FlowSchemas {
		flowschema.Default(&b.FlowSchemas[i])
	}
	return b, nil
}

var (
	levels  = schema.GroupResource{Group: flowcontrolv1.GroupName, Resource: "prioritylevelconfigurations"}
	schemas = schema.GroupResource{Group: flowcontrolv1.GroupName, Resource: "flowschemas"}
)

// storages are the served resources the package reads and writes.
type storages struct {
	levels, schemas, schemaStatus rest.Storage
}

func lookup(catalog *rest.Catalog) (storages, error) {
	var s storages
	l, ok := catalog.Resource(levels)
	if !ok {
		return s, fmt.Errorf("%s are not served", levels)
	}
	f, ok := catalog.Resource(schemas)
	if !ok {
		return s, fmt.Errorf("%s are not served", schemas)
	}
	status, ok := f.Subresource("status")
	if !ok {
		return s, fmt.Errorf("%s/status is not served", schemas)
	}
	return storages{levels: l.Storage, schemas: f.Storage, schemaStatus: status.Storage}, nil
}

// Ensure creates the bootstrap objects that are missing and puts back
// the spec of those marked for it, levels first; replicas may all do it.
func Ensure(ctx context.Context, catalog *rest.Catalog) error {
	s, err := lookup(catalog)
	if err != nil {
		return err
	}
	b, err := Objects()
	if err != nil {
		return err
	}
	type wanted struct {
		storage rest.Storage
		obj     runtime.Object
	}
	var wants []wanted
	for i := range b.PriorityLevelConfigurations {
		wants = append(wants, wanted{s.levels, &b.PriorityLevelConfigurations[i]})
	}
	for i := range b.FlowSchemas {
		wants = append(wants, wanted{s.schemas, &b.FlowSchemas[i]})
	}
	for _, w := range wants {
		if err := ensure(ctx, w.storage, w.obj, func(cur runtime.Object) (runtime.Object, bool) { return specOf(cur, w.obj) }); err != nil {
			return fmt.Errorf("%s %s: %w", w.obj.GetObjectKind().GroupVersionKind().Kind, w.obj.(metav1.Object).GetName(), err)
		}
	}
	return nil
}

// specOf returns cur with want's spec when cur is marked for the server
// to keep and its spec differs; both are objects of one type with a Spec.
func specOf(cur, want runtime.Object) (runtime.Object, bool) {
	if cur.(metav1.Object).GetAnnotations()[autoUpdate] != "true" {
		return nil, false
	}
	wantSpec := reflect.ValueOf(want).Elem().FieldByName("Spec")
	if reflect.DeepEqual(reflect.ValueOf(cur).Elem().FieldByName("Spec").Interface(), wantSpec.Interface()) {
		return nil, false
	}
	next := cur.DeepCopyObject()
	reflect.ValueOf(next).Elem().FieldByName("Spec").Set(wantSpec)
	return next, true
}

// ensure creates want unless it exists; otherwise fix says whether and
// how the current object changes, written only over the version read.
func ensure(ctx context.Context, s rest.Storage, want runtime.Object, fix func(runtime.Object) (runtime.Object, bool)) error {
	name := want.(metav1.Object).GetName()
	cur, err := s.(rest.Getter).Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = s.(rest.Creater).Create(ctx, "", want.DeepCopyObject(), false)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	fixed, changed := fix(cur)
	if !changed {
		return nil
	}
	return writeOver(ctx, s, cur, fixed)
}

// writeOver updates cur to next unless cur changed since it was read.
func writeOver(ctx context.Context, s rest.Storage, cur, next runtime.Object) error {
	m := cur.(metav1.Object)
	read := m.GetResourceVersion()
	_, _, err := s.(rest.Updater).Update(ctx, "", m.GetName(), func(_ context.Context, latest runtime.Object) (runtime.Object, error) {
		if latest == nil || latest.(metav1.Object).GetResourceVersion() != read {
			return nil, apierrors.NewConflict(schemas, m.GetName(), fmt.Errorf("changed since it was read"))
		}
		return next, nil
	}, false, false)
	return err
}

// Run keeps every FlowSchema's Dangling condition until ctx ends.
func Run(ctx context.Context, catalog *rest.Catalog) {
	log := klog.FromContext(ctx).WithName("flowschema-status")
	s, err := lookup(catalog)
	if err != nil {
		log.Error(err, "Not keeping FlowSchema conditions")
		return
	}
	queue := controller.NewQueue[string]("flowschema-status", 50*time.Millisecond, 30*time.Second)
	defer queue.ShutDown()
	schemaLW, ok1 := rest.ListWatch(s.schemas)
	levelLW, ok2 := rest.ListWatch(s.levels)
	if !ok1 || !ok2 {
		log.Error(nil, "FlowSchemas or priority levels cannot be followed; not keeping FlowSchema conditions")
		return
	}
	schemaInf := cache.NewSharedIndexInformer(schemaLW, s.schemas.New(), 0, cache.Indexers{})
	levelInf := cache.NewSharedIndexInformer(levelLW, s.levels.New(), 0, cache.Indexers{})
	enqueue := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if m, ok := obj.(metav1.Object); ok {
			queue.Add(m.GetName())
		}
	}
	// A level coming or going concerns the schemas that name it.
	enqueueReferrers := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		m, ok := obj.(metav1.Object)
		if !ok {
			return
		}
		for _, o := range schemaInf.GetStore().List() {
			if fs, ok := o.(*flowcontrolv1.FlowSchema); ok && fs.Spec.PriorityLevelConfiguration.Name == m.GetName() {
				queue.Add(fs.Name)
			}
		}
	}
	for _, reg := range []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandlerFuncs
	}{
		{schemaInf, cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }}},
		{levelInf, cache.ResourceEventHandlerFuncs{AddFunc: enqueueReferrers, DeleteFunc: enqueueReferrers}},
	} {
		if _, err := reg.inf.AddEventHandler(reg.h); err != nil {
			log.Error(err, "Following a resource failed; not keeping FlowSchema conditions")
			return
		}
		go reg.inf.RunWithContext(ctx)
	}
	controller.Run(ctx, queue, func(ctx context.Context, name string) error {
		return s.sync(ctx, name)
	}, func(name string, err error) {
		log.V(2).Info("Keeping a FlowSchema's condition failed; retrying", "flowSchema", name, "err", err)
	})
}

// sync sets the Dangling condition of FlowSchema name from fresh reads.
func (s storages) sync(ctx context.Context, name string) error {
	obj, err := s.schemas.(rest.Getter).Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	fs := obj.(*flowcontrolv1.FlowSchema)
	level := fs.Spec.PriorityLevelConfiguration.Name
	_, err = s.levels.(rest.Getter).Get(ctx, "", level, &metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	want := Dangling(level, apierrors.IsNotFound(err))
	var cur *flowcontrolv1.FlowSchemaCondition
	for i := range fs.Status.Conditions {
		if fs.Status.Conditions[i].Type == flowcontrolv1.FlowSchemaConditionDangling {
			cur = &fs.Status.Conditions[i]
		}
	}
	if cur != nil && cur.Status == want.Status && cur.Reason == want.Reason && cur.Message == want.Message {
		return nil
	}
	next := fs.DeepCopy()
	want.LastTransitionTime = metav1.NewTime(time.Now())
	if cur != nil && cur.Status == want.Status {
		want.LastTransitionTime = cur.LastTransitionTime
	}
	replaced := false
	for i := range next.Status.Conditions {
		if next.Status.Conditions[i].Type == flowcontrolv1.FlowSchemaConditionDangling {
			next.Status.Conditions[i], replaced = want, true
		}
	}
	if !replaced {
		next.Status.Conditions = append(next.Status.Conditions, want)
	}
	return writeOver(ctx, s.schemaStatus, fs, next)
}

// Dangling is the condition of a FlowSchema naming level, with kube's
// reasons and messages.
func Dangling(level string, missing bool) flowcontrolv1.FlowSchemaCondition {
	if missing {
		return flowcontrolv1.FlowSchemaCondition{Type: flowcontrolv1.FlowSchemaConditionDangling, Status: flowcontrolv1.ConditionTrue, Reason: "NotFound",
			Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q but there is no such object", level)}
	}
	return flowcontrolv1.FlowSchemaCondition{Type: flowcontrolv1.FlowSchemaConditionDangling, Status: flowcontrolv1.ConditionFalse, Reason: "Found",
		Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q and it exists", level)}
}
