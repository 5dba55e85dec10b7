// Package metrics holds the server's Prometheus metrics, named and labelled
// as kube-apiserver's where kube-apiserver has them, in one registry that
// /metrics serves.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of the server, the Go runtime's and the
// process's included.
var Registry = prometheus.NewRegistry()

// latencyBuckets are kube-apiserver's request latency buckets, in seconds.
var latencyBuckets = []float64{0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60}

// requestLabels describe what a request was about, as kube-apiserver labels
// it.
var requestLabels = []string{"verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"}

var (
	requestTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_request_total",
		Help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
	}, append(requestLabels, "code"))
	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "apiserver_request_duration_seconds",
		Help:    "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
		Buckets: latencyBuckets,
	}, requestLabels)
	responseSizes = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "apiserver_response_sizes",
		Help:    "Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.",
		Buckets: prometheus.ExponentialBuckets(1000, 10.0, 7),
	}, requestLabels)
	longRunning = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "apiserver_longrunning_requests",
		Help: "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.",
	}, requestLabels)
	etcdRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "etcd_request_duration_seconds",
		Help:    "Etcd request latency in seconds for each operation and object type.",
		Buckets: latencyBuckets,
	}, []string{"operation", "type"})
	watchEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_watch_events_total",
		Help: "Number of events sent in watch clients",
	}, []string{"group", "version", "kind"})
	storageObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "apiserver_storage_objects",
		Help: "Number of stored objects at the time of last check split by kind.",
	}, []string{"resource"})
	watchCacheInitializations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_watch_cache_initializations_total",
		Help: "Counter of watch cache initializations broken by resource type.",
	}, []string{"resource"})
	watchCacheEventsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_watch_cache_events_received_total",
		Help: "Counter of events received in watch cache broken by resource type.",
	}, []string{"resource"})
	watchCacheEventsDispatched = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apiserver_watch_cache_events_dispatched_total",
		Help: "Counter of events dispatched in watch cache broken by resource type.",
	}, []string{"resource"})
	watchCacheResourceVersion = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "apiserver_watch_cache_resource_version",
		Help: "Current resource version of watch cache broken by resource type.",
	}, []string{"resource"})
	webhookDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "apiserver_admission_webhook_admission_duration_seconds",
		Help:    "Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
		Buckets: []float64{0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25},
	}, []string{"name", "type", "operation", "rejected"})
	watchCacheCapacity = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "watch_cache_capacity",
		Help: "Total capacity of watch cache broken by resource type.",
	}, []string{"resource"})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		requestTotal, requestDuration, responseSizes, longRunning,
		etcdRequestDuration, watchEvents, storageObjects,
		watchCacheInitializations, watchCacheEventsReceived, watchCacheEventsDispatched,
		watchCacheResourceVersion, watchCacheCapacity, webhookDuration,
	)
}

// ObserveWebhook records one admission webhook call: typ is "admit" or
// "validating", as kube labels them.
func ObserveWebhook(name, typ, operation string, rejected bool, took time.Duration) {
	webhookDuration.WithLabelValues(name, typ, operation, strconv.FormatBool(rejected)).Observe(took.Seconds())
}

// Handler serves the registry in Prometheus' text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
}

// Request describes a request for its metrics.
type Request struct {
	Verb, DryRun, Group, Version, Resource, Subresource, Scope string
}

func (r Request) values() []string {
	return []string{r.Verb, r.DryRun, r.Group, r.Version, r.Resource, r.Subresource, r.Scope, "apiserver"}
}

// RecordRequest records a finished request.
func RecordRequest(r Request, code int, took time.Duration, size int64) {
	values := r.values()
	requestTotal.WithLabelValues(append(values, strconv.Itoa(code))...).Inc()
	requestDuration.WithLabelValues(values...).Observe(took.Seconds())
	responseSizes.WithLabelValues(values...).Observe(float64(size))
}

// LongRunningStarted counts a long-running request in; the returned func
// counts it out.
func LongRunningStarted(r Request) func() {
	g := longRunning.WithLabelValues(r.values()...)
	g.Inc()
	return g.Dec
}

// RegisterInFlight publishes apiserver_current_inflight_requests, read from
// readOnly and mutating at each scrape. A later call replaces an earlier
// one (a server restarted in the same process, in tests).
func RegisterInFlight(readOnly, mutating func() int64) {
	for kind, count := range map[string]func() int64{"readOnly": readOnly, "mutating": mutating} {
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "apiserver_current_inflight_requests",
			Help:        "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
			ConstLabels: prometheus.Labels{"request_kind": kind},
		}, func() float64 { return float64(count()) })
		Registry.Unregister(g)
		_ = Registry.Register(g)
	}
}

// ObserveEtcdRequest records an etcd request of operation ("get", "list",
// "create", "update", "delete", "count") on objects of type (a resource),
// started at start.
func ObserveEtcdRequest(operation, typ string, start time.Time) {
	etcdRequestDuration.WithLabelValues(operation, typ).Observe(time.Since(start).Seconds())
}

// WatchEventSent counts an event sent to a watcher.
func WatchEventSent(group, version, kind string) {
	watchEvents.WithLabelValues(group, version, kind).Inc()
}

// SetStorageObjects records how many objects of resource are stored.
func SetStorageObjects(resource string, n int64) {
	storageObjects.WithLabelValues(resource).Set(float64(n))
}

// WatchCacheInitialized counts a (re)list of resource's watch cache, whose
// window holds capacity events.
func WatchCacheInitialized(resource string, capacity int) {
	watchCacheInitializations.WithLabelValues(resource).Inc()
	watchCacheCapacity.WithLabelValues(resource).Set(float64(capacity))
}

// WatchCacheEvent counts an event the watch cache of resource received, at
// revision rv, and handed to watchers.
func WatchCacheEvent(resource string, rv int64, watchers int) {
	watchCacheEventsReceived.WithLabelValues(resource).Inc()
	watchCacheEventsDispatched.WithLabelValues(resource).Add(float64(watchers))
	watchCacheResourceVersion.WithLabelValues(resource).Set(float64(rv))
}
